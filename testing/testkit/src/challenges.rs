//! The internet an org's domain lives on, for the tests: a DNS server and a web server on
//! loopback (`domain_challenges.py`, on PyPI dnslib), started once per test binary, answering
//! what the tests write into a directory. The test servers verify domains through them.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

pub struct Challenges {
    /// The DNS server (TXT records as the tests publish them; every name at 127.0.0.1).
    pub dns: SocketAddr,
    /// The web server's port.
    pub http_port: u16,
    root: PathBuf,
    _process: Child,
    _dir: tempfile::TempDir,
}

fn python() -> PathBuf {
    match std::env::var_os("PORTCULLIS_VENV") {
        Some(venv) => PathBuf::from(venv).join("bin/python"),
        None => PathBuf::from("python3"),
    }
}

fn start() -> Result<Challenges, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/domain_challenges.py");
    let mut process = Command::new(python())
        .arg(script)
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{script}: {e}"))?;
    let out = process.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(out)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let ports: serde_json::Value = serde_json::from_str(&line)
        .map_err(|e| format!("{script} did not start (is dnslib installed?): {e}"))?;
    let port = |k: &str| {
        ports[k]
            .as_u64()
            .map(|p| p as u16)
            .ok_or(format!("no {k} port"))
    };
    Ok(Challenges {
        dns: SocketAddr::from(([127, 0, 0, 1], port("dns")?)),
        http_port: port("http")?,
        root: dir.path().to_path_buf(),
        _process: process,
        _dir: dir,
    })
}

/// This test binary's challenge servers (none if they cannot start: domain checks then fail).
pub fn challenges() -> Option<&'static Challenges> {
    static CHALLENGES: OnceLock<Option<Challenges>> = OnceLock::new();
    CHALLENGES
        .get_or_init(|| {
            start()
                .map_err(|e| eprintln!("the domain challenge servers did not start: {e}"))
                .ok()
        })
        .as_ref()
}

impl Challenges {
    /// Publishes a TXT record `name` holding `value` (besides the values it holds).
    pub fn publish_txt(&self, name: &str, value: &str) {
        use std::io::Write;
        let dir = self.root.join("txt");
        std::fs::create_dir_all(&dir).expect("the records' directory");
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(name.to_lowercase()))
            .expect("a record file");
        writeln!(f, "{value}").expect("a record written");
    }

    /// Serves `body` at `http://{domain}/.well-known/portcullis-challenge/{token}`.
    pub fn serve_http(&self, domain: &str, token: &str, body: &str) {
        let dir = self.root.join("http").join(domain.to_lowercase());
        std::fs::create_dir_all(&dir).expect("the domain's directory");
        std::fs::write(dir.join(token), body).expect("a challenge written");
    }
}
