//! A real SMTP server for the tests (aiosmtpd on loopback, `tests/clients/smtp_sink.py`): it
//! keeps every message it takes, decoded, for the tests to read the codes and links in them.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::oidc_clients::venv_python;

pub struct MailSink {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl MailSink {
    /// A sink on a free port that answers the first `refuse` messages with a temporary failure.
    pub fn start(refuse: u32) -> MailSink {
        MailSink::on(None, refuse)
    }

    /// A sink on `port` (or a free one).
    pub fn on(port: Option<u16>, refuse: u32) -> MailSink {
        let dir = tempfile::tempdir().unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/smtp_sink.py");
        let mut cmd = Command::new(venv_python());
        cmd.arg(script)
            .arg(dir.path())
            .args(["--refuse", &refuse.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(p) = port {
            cmd.args(["--port", &p.to_string()]);
        }
        let mut child = cmd
            .spawn()
            .expect("the SMTP sink starts (is aiosmtpd in PORTCULLIS_VENV?)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the SMTP sink did not say its port: {line:?}"));
        MailSink { child, port, dir }
    }

    /// Where the sink writes each message it takes (one JSON file each).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Every message taken so far, oldest first.
    pub fn messages(&self) -> Vec<Value> {
        let mut files: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
            .collect()
    }

    /// The messages to `to`.
    pub fn messages_to(&self, to: &str) -> Vec<Value> {
        self.messages()
            .into_iter()
            .filter(|m| m["to"].as_array().unwrap().iter().any(|r| r == to))
            .collect()
    }

    /// Waits (up to 30 s) for the `n`th message to `to` (1-based).
    pub fn wait_for(&self, to: &str, n: usize) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.messages_to(to);
            if got.len() >= n {
                return got[n - 1].clone();
            }
            assert!(
                Instant::now() < deadline,
                "no message {n} to {to}; the sink has {:?}",
                self.messages()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for MailSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The code in a message's text (the line `Your code: XXXXXXXX`, `Ihr Code: …`).
pub fn code_in(message: &Value) -> String {
    let text = message["text"].as_str().unwrap();
    text.lines()
        .find_map(|l| l.split_once("ode: ").map(|(_, c)| c.trim().to_string()))
        .unwrap_or_else(|| panic!("no code in {text}"))
}

/// The link in a message's text (the line `<button>: <url>`).
pub fn link_in(message: &Value) -> String {
    let text = message["text"].as_str().unwrap();
    text.split_whitespace()
        .find(|w| w.starts_with("http://") || w.starts_with("https://"))
        .unwrap_or_else(|| panic!("no link in {text}"))
        .to_string()
}
