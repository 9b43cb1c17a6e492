//! `loadgen receive`: an HTTP receiver on loopback for the actions benchmark. It answers
//! every POST at once (a thread a connection, so it is never the bottleneck Python's server
//! was), `/claims` with a claim to append and anything else with `{}`, counts the calls by
//! path, and tells a count on `GET /count/<path>`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

type Counts = Arc<Mutex<HashMap<String, u64>>>;

const CLAIMS: &str = r#"{"append_claims":[{"key":"department","value":"Engines"}]}"#;

/// Serves on `127.0.0.1:port` until the process ends.
pub fn serve(port: u16) -> Result<(), String> {
    let listener =
        TcpListener::bind(("127.0.0.1", port)).map_err(|e| format!("port {port}: {e}"))?;
    let counts: Counts = Arc::default();
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let counts = counts.clone();
        std::thread::spawn(move || {
            let _ = connection(stream, &counts);
        });
    }
    Ok(())
}

/// Answers the requests of one connection (kept alive while the caller keeps it).
fn connection(stream: TcpStream, counts: &Counts) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
        let (method, path) = (method.to_string(), path.to_string());
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header)?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let answer = match method.as_str() {
            "GET" => {
                let asked = path.strip_prefix("/count").unwrap_or(&path);
                let n = counts.lock().expect("counts").get(asked).copied();
                n.unwrap_or(0).to_string()
            }
            _ => {
                *counts
                    .lock()
                    .expect("counts")
                    .entry(path.clone())
                    .or_default() += 1;
                match path.as_str() {
                    "/claims" => CLAIMS.to_string(),
                    _ => "{}".to_string(),
                }
            }
        };
        write!(
            out,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
            answer.len()
        )?;
        out.flush()?;
    }
}
