//! `portcullis`: the one binary. `portcullis start` runs role `all` on embedded storage.

use std::process::ExitCode;

use clap::Parser;
use portcullis::{config, config_file, export, import, import_users, logging, server};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Err(e) = config_file::apply(&args) {
        eprintln!("portcullis: {e}");
        return ExitCode::FAILURE;
    }
    let cli = config::Cli::parse();
    match cli.command {
        config::Command::Start(opts) => run(opts.role.name(), || server::start(*opts)),
        #[cfg(feature = "cluster")]
        config::Command::Migrate(opts) => run("migrate", || portcullis::migrate::run(&opts)),
        #[cfg(not(feature = "cluster"))]
        config::Command::Migrate(_) => run("migrate", || Err(config::WITHOUT_CLUSTER.into())),
        config::Command::Export(opts) => run("export", || export::run(&opts)),
        config::Command::Import(opts) => run("import", || import::run(&opts)),
        config::Command::ImportUsers(opts) => run("import-users", || import_users::run(&opts)),
        config::Command::Version => {
            println!("{}", portcullis::version::describe());
            ExitCode::SUCCESS
        }
    }
}

/// Runs a command with logging (and trace export) for `role`; its error ends the process.
fn run(role: &str, command: impl FnOnce() -> Result<(), String>) -> ExitCode {
    let traces = match logging::init(role) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("portcullis: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = match command() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("portcullis: {e}");
            ExitCode::FAILURE
        }
    };
    traces.shutdown();
    code
}
