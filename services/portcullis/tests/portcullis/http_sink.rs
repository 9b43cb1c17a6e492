//! A local HTTP receiver in place of an SMS provider or an app's endpoints: it keeps every
//! call it gets (the signature header and the body), answers the first `refuse` calls 503,
//! the rest 200 with the body it is given to serve (none at first).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

#[derive(Clone, Debug)]
pub struct Call {
    pub path: String,
    pub signature: String,
    pub body: Vec<u8>,
}

impl Call {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// Whether the signature is `t=<unix>,v1=<hex HMAC-SHA256(key, "<t>.<body>")>`, with `t`
    /// within five minutes of now, computed here as a receiver would.
    pub fn signed_with(&self, key: &str) -> bool {
        let Some((t, v1)) = self
            .signature
            .split_once(',')
            .and_then(|(t, v)| Some((t.strip_prefix("t=")?, v.strip_prefix("v1=")?)))
        else {
            return false;
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let fresh = t.parse::<i64>().is_ok_and(|t| (now - t).abs() < 300);
        let Some(tag) = (0..v1.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(v1.get(i..i + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()
        else {
            return false;
        };
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key.as_bytes());
        let signed = [t.as_bytes(), b".", &self.body].concat();
        fresh && ring::hmac::verify(&key, &signed, &tag).is_ok()
    }
}

pub struct HttpSink {
    pub port: u16,
    calls: Arc<Mutex<Vec<Call>>>,
    serving: Arc<Mutex<String>>,
    /// Bodies served at one path each, before `serving`.
    at: Arc<Mutex<std::collections::HashMap<String, String>>>,
    stop: Arc<AtomicBool>,
}

/// Reads one HTTP/1.1 request: its path, signature header and body.
pub fn read_call(stream: &TcpStream) -> Option<Call> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_string();
    let (mut length, mut signature) = (0usize, String::new());
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "portcullis-signature" => signature = value.trim().to_string(),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Call {
        path,
        signature,
        body,
    })
}

/// A receiver that answers each call on a thread of its own, with the JSON body `answer`
/// returns however long it takes (it may wait, or call the server back): its address of
/// `path`, and how many calls it has had.
pub fn answering(
    path: &str,
    answer: impl Fn() -> String + Send + Sync + 'static,
) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}{path}",
        listener.local_addr().unwrap().port()
    );
    let (calls, answer) = (Arc::new(AtomicUsize::new(0)), Arc::new(answer));
    let counted = calls.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let (counted, answer) = (counted.clone(), answer.clone());
            std::thread::spawn(move || {
                let Ok(mut stream) = stream else { return };
                if read_call(&stream).is_none() {
                    return;
                }
                counted.fetch_add(1, Ordering::SeqCst);
                let body = answer();
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    (url, calls)
}

impl HttpSink {
    pub fn start(refuse: u32) -> HttpSink {
        HttpSink::on(0, refuse)
    }

    /// A receiver on `port` of this machine (0: any free one).
    pub fn on(port: u16, refuse: u32) -> HttpSink {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let calls = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let refused = AtomicU32::new(0);
        let serving = Arc::new(Mutex::new(String::new()));
        let at = Arc::new(Mutex::new(
            std::collections::HashMap::<String, String>::new(),
        ));
        let (kept, stopped, served, served_at) =
            (calls.clone(), stop.clone(), serving.clone(), at.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(mut stream) = stream else { continue };
                let Some(call) = read_call(&stream) else {
                    continue;
                };
                let answer = match refused.fetch_add(1, Ordering::SeqCst) < refuse {
                    true => "503 Service Unavailable",
                    false => "200 OK",
                };
                let path = call.path.split('?').next().unwrap_or("").to_string();
                kept.lock().unwrap().push(call);
                let body = served_at
                    .lock()
                    .unwrap()
                    .get(&path)
                    .cloned()
                    .unwrap_or_else(|| served.lock().unwrap().clone());
                let _ = write!(
                    stream,
                    "HTTP/1.1 {answer}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        HttpSink {
            port,
            calls,
            serving,
            at,
            stop,
        }
    }

    /// Serves `body` (JSON) at `path` from now on.
    pub fn serve_at(&self, path: &str, body: &str) {
        self.at.lock().unwrap().insert(path.into(), body.into());
    }

    /// Serves `body` (JSON) from now on.
    pub fn serve(&self, body: &str) {
        *self.serving.lock().unwrap() = body.to_string();
    }

    /// The address of `path` on the receiver.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Waits (up to 30 s) for `n` calls to `path`, and returns them, oldest first.
    pub fn wait_for_calls(&self, path: &str, n: usize) -> Vec<Call> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got: Vec<Call> = self
                .calls
                .lock()
                .unwrap()
                .iter()
                .filter(|c| c.path == path)
                .cloned()
                .collect();
            if got.len() >= n {
                return got;
            }
            assert!(Instant::now() < deadline, "no {n} calls to {path}: {got:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The calls to `path` so far.
    pub fn calls(&self, path: &str) -> Vec<Call> {
        let calls = self.calls.lock().unwrap();
        calls.iter().filter(|c| c.path == path).cloned().collect()
    }

    /// The endpoint to set as the instance's SMS provider.
    pub fn endpoint(&self) -> String {
        self.url("/sms")
    }

    /// The calls whose body sends to `to`, oldest first.
    pub fn calls_to(&self, to: &str) -> Vec<Call> {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .filter(|c| c.json()["to"] == to)
            .cloned()
            .collect()
    }

    /// Waits (up to 30 s) for the `n`th call to `to` (1-based).
    pub fn wait_for(&self, to: &str, n: usize) -> Call {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.calls_to(to);
            if got.len() >= n {
                return got[n - 1].clone();
            }
            assert!(
                Instant::now() < deadline,
                "no {n} text messages to {to}: {got:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for HttpSink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}
