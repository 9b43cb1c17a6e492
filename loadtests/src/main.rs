//! `loadgen`: runs scenarios against a Portcullis on loopback and prints a Markdown table;
//! `--json` also writes every report as JSON.
//!
//!   loadgen --base http://127.0.0.1:8080 --pat-file portcullis-data/admin.pat \
//!           --scenario client-credentials --workers 32 --duration 20
//!   loadgen --base http://127.0.0.1:3000 --peer oidc-provider=fixtures.json   # the peer
//!   loadgen seed --pat-file portcullis-data/admin.pat --orgs 10 --users 100000 --projects 5 --apps 20
//!   loadgen receive --port 9000                          # a receiver for action targets

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use loadtests::harness::{self, Load, Mode};
use loadtests::report::Report;
use loadtests::scenarios;
use loadtests::target::Target;

#[derive(Parser)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    seed: Option<Command>,
    #[command(flatten)]
    run: Args,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Fill an instance through the API: orgs, users over them, projects, OIDC apps.
    Seed(SeedArgs),
    /// An HTTP receiver for action targets on loopback (see `loadtests/actions.sh`).
    Receive {
        #[arg(long)]
        port: u16,
    },
}

#[derive(clap::Args)]
struct SeedArgs {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base: String,
    /// The instance, by its domain (sent as Host); the server's default instance if unset.
    #[arg(long)]
    host: Option<String>,
    /// A file holding an instance admin's personal access token.
    #[arg(long)]
    pat_file: std::path::PathBuf,
    #[arg(long, default_value_t = 1)]
    orgs: usize,
    #[arg(long, default_value_t = 0)]
    users: usize,
    #[arg(long, default_value_t = 0)]
    projects: usize,
    /// OIDC apps, spread over the projects.
    #[arg(long, default_value_t = 0)]
    apps: usize,
    /// Writes in flight while creating users.
    #[arg(long, default_value_t = 32)]
    workers: usize,
    /// Names start with this (default: one no earlier run used).
    #[arg(long)]
    prefix: Option<String>,
}

#[derive(clap::Args)]
struct Args {
    /// The server, on loopback.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base: String,
    /// The instance, by its domain (sent as Host); the server's default instance if unset.
    #[arg(long)]
    host: Option<String>,
    /// A file holding an instance admin's personal access token (the fixtures are made with it).
    #[arg(long, required_unless_present = "peer")]
    pat_file: Option<std::path::PathBuf>,
    /// The gRPC API on loopback (`host:port`), for the scenarios over gRPC.
    #[arg(long)]
    grpc: Option<String>,
    /// Load a peer instead: `<name>=<fixtures.json>`, the fixtures its host script wrote.
    #[arg(long)]
    peer: Option<String>,
    /// Scenarios to run, in order (repeat the flag); all of them if none.
    #[arg(long)]
    scenario: Vec<String>,
    /// Closed loop: requests in flight. Open loop: most requests in flight.
    #[arg(long, default_value_t = 16)]
    workers: usize,
    /// Open loop at this many requests a second; closed loop if unset.
    #[arg(long)]
    rate: Option<f64>,
    /// Seconds of unrecorded warm-up.
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// Seconds recorded.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// At most this many recorded requests.
    #[arg(long, default_value_t = 10_000_000)]
    max_requests: u64,
    /// Fixture size: distinct clients (client-credentials), users (list-users).
    #[arg(long, default_value_t = 100)]
    size: usize,
    /// Write the reports as a JSON array here.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let done = match cli.seed {
        Some(Command::Seed(args)) => seed(args),
        Some(Command::Receive { port }) => loadtests::receiver::serve(port),
        None => run(cli.run),
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn read(path: &std::path::Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn seed(args: SeedArgs) -> Result<(), String> {
    let target = Target::new(&args.base, args.host.as_deref(), &read(&args.pat_file)?)?;
    let prefix = args.prefix.unwrap_or_else(scenarios::run_prefix);
    let started = std::time::Instant::now();
    let seeded = loadtests::seed::seed(
        &target,
        &prefix,
        loadtests::seed::Plan {
            orgs: args.orgs,
            users: args.users,
            projects: args.projects,
            apps: args.apps,
            workers: args.workers,
        },
    )?;
    println!(
        "seeded {} orgs, {} users ({:.0}/s), {} projects, {} apps under {prefix} in {:.1} s; the read models hold them",
        seeded.orgs.len(),
        seeded.users,
        seeded.user_rate,
        seeded.projects.len(),
        seeded.apps,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn run(args: Args) -> Result<(), String> {
    let peer = match &args.peer {
        Some(spec) => {
            let (name, path) = spec
                .split_once('=')
                .ok_or("--peer takes <name>=<fixtures.json>")?;
            let fixtures: serde_json::Value =
                serde_json::from_str(&read(path.as_ref())?).map_err(|e| format!("{path}: {e}"))?;
            Some((name.to_string(), fixtures))
        }
        None => None,
    };
    let pat = match &args.pat_file {
        Some(path) => read(path)?,
        None => String::new(),
    };
    let mut target = Target::new(&args.base, args.host.as_deref(), &pat)?;
    if let Some(grpc) = &args.grpc {
        target = target.with_grpc(grpc)?;
    }
    let known = if peer.is_some() {
        scenarios::PEER_NAMES
    } else {
        scenarios::NAMES
    };
    let names: Vec<String> = if args.scenario.is_empty() {
        known.iter().map(|s| s.to_string()).collect()
    } else {
        args.scenario.clone()
    };
    let load = Load {
        mode: match args.rate {
            Some(rate) if rate > 0.0 => Mode::Open {
                rate,
                workers: args.workers,
            },
            Some(_) => return Err("--rate must be above 0".into()),
            None => Mode::Closed {
                workers: args.workers,
            },
        },
        warmup: Duration::from_secs(args.warmup),
        duration: Duration::from_secs(args.duration),
        max_requests: args.max_requests,
    };
    println!("{}", Report::MARKDOWN_HEADER);
    let mut reports = Vec::new();
    for name in &names {
        eprintln!("loadgen: setting up {name}");
        let scenario = match &peer {
            Some((_, fixtures)) => scenarios::peer(name, &target, fixtures)?,
            None => scenarios::setup(name, &target, args.size)?,
        };
        eprintln!("loadgen: running {name} ({:?})", load.mode);
        let mut report = harness::run(scenario.as_ref(), &load);
        if let Some((peer, _)) = &peer {
            report.server = peer.clone();
        }
        println!("{}", report.markdown_row());
        reports.push(report);
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&reports).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}
