//! A CQL protocol bridge for tests: the `scylla` driver speaks protocol v4, the CQL server the
//! tests can install (Apache Cassandra 2.1, `scripts/cql-server.sh`) speaks v3. The two differ
//! in little that the read-model adapter uses; this proxy mends exactly that, frame by frame:
//!
//! - the version byte of every frame (requests 4 -> 3, responses 3 -> 4);
//! - STARTUP's `CQL_VERSION` (the driver asks for 4.0.0; 2.1 serves 3.2.0);
//! - the metadata of a prepared statement's result, which gains v4's partition-key index count
//!   (0: the driver then routes without token awareness, which one node does not need);
//! - the driver's topology query on `system.local`, whose `rpc_address` column 2.1 lacks: the
//!   bridge asks without it and adds the column (the bridge's own address) to the answer.
//!
//! Tests only; production runs ScyllaDB 5+ (or Cassandra 4+), which speak v4 themselves.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const STARTUP: u8 = 0x01;
const RESULT: u8 = 0x08;
const QUERY: u8 = 0x07;
const PREPARE: u8 = 0x09;
const EXECUTE: u8 = 0x0A;
const ROWS: i32 = 2;
const PREPARED: i32 = 4;
const TOPOLOGY: &str =
    "SELECT host_id, rpc_address, data_center, rack, tokens, cluster_name FROM system.local WHERE key='local'";
const TOPOLOGY_V3: &str =
    "SELECT host_id, data_center, rack, tokens, cluster_name FROM system.local WHERE key='local'";

/// A running bridge; it serves until the process ends.
pub struct Bridge {
    pub addr: SocketAddr,
    down: tokio::sync::watch::Sender<bool>,
}

impl Bridge {
    /// Cuts every connection and refuses new ones (`true`), as a CQL node that went away, or
    /// serves again (`false`).
    pub fn cut(&self, down: bool) {
        self.down.send_replace(down);
    }
}

/// Starts a bridge to the v3 server at `upstream` on a free loopback port, on a runtime of its
/// own (so that it outlives any test's runtime).
pub fn start(upstream: SocketAddr) -> Bridge {
    let (tx, rx) = std::sync::mpsc::channel();
    let (down, cut) = tokio::sync::watch::channel(false);
    std::thread::Builder::new()
        .name("cql-bridge".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("the bridge's runtime");
            rt.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("bridge port");
                tx.send(listener.local_addr().expect("bridge address"))
                    .expect("bridge started");
                loop {
                    let Ok((client, _)) = listener.accept().await else {
                        continue;
                    };
                    if *cut.borrow() {
                        continue;
                    }
                    let mut cut = cut.clone();
                    tokio::spawn(async move {
                        let Ok(server) = TcpStream::connect(upstream).await else {
                            return;
                        };
                        tokio::select! {
                            _ = connection(client, server) => {}
                            _ = cut.wait_for(|down| *down) => {}
                        }
                    });
                }
            });
        })
        .expect("bridge thread");
    Bridge {
        addr: rx.recv().expect("the bridge's address"),
        down,
    }
}

struct Frame {
    header: [u8; 9],
    body: Vec<u8>,
}

impl Frame {
    fn stream(&self) -> i16 {
        i16::from_be_bytes([self.header[2], self.header[3]])
    }
    fn opcode(&self) -> u8 {
        self.header[4]
    }
}

async fn read_frame(r: &mut (impl AsyncReadExt + Unpin)) -> std::io::Result<Frame> {
    let mut header = [0u8; 9];
    r.read_exact(&mut header).await?;
    let len = u32::from_be_bytes([header[5], header[6], header[7], header[8]]) as usize;
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).await?;
    Ok(Frame { header, body })
}

/// Writes a frame in one write (with Nagle's algorithm off, a frame is one segment).
async fn write_frame(w: &mut (impl AsyncWriteExt + Unpin), mut f: Frame) -> std::io::Result<()> {
    f.header[5..9].copy_from_slice(&(f.body.len() as u32).to_be_bytes());
    let mut out = Vec::with_capacity(9 + f.body.len());
    out.extend_from_slice(&f.header);
    out.extend_from_slice(&f.body);
    w.write_all(&out).await
}

/// What a connection remembers of the topology statement: the streams of its pending
/// preparations and executions, and its prepared ids.
#[derive(Default)]
struct Topology {
    preparing: HashSet<i16>,
    running: HashSet<i16>,
    ids: HashSet<Vec<u8>>,
}

async fn connection(client: TcpStream, server: TcpStream) -> std::io::Result<()> {
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let bridge_ip = match client.local_addr()? {
        SocketAddr::V4(a) => a.ip().octets(),
        SocketAddr::V6(_) => [127, 0, 0, 1],
    };
    let (mut client_r, mut client_w) = client.into_split();
    let (mut server_r, mut server_w) = server.into_split();
    let topology: Arc<Mutex<Topology>> = Arc::default();
    let asked = topology.clone();
    let up = async move {
        loop {
            let mut f = read_frame(&mut client_r).await?;
            f.header[0] = (f.header[0] & 0x80) | 3;
            let is_topology = query_text(&f.body).as_deref() == Some(TOPOLOGY);
            {
                let mut t = asked.lock().expect("bridge lock");
                match f.opcode() {
                    STARTUP => f.body = startup_v3(&f.body),
                    QUERY if is_topology => {
                        f.body = replace_query(&f.body, TOPOLOGY_V3);
                        t.running.insert(f.stream());
                    }
                    PREPARE if is_topology => {
                        f.body = replace_query(&f.body, TOPOLOGY_V3);
                        t.preparing.insert(f.stream());
                    }
                    EXECUTE => {
                        let id = Cursor {
                            buf: &f.body,
                            at: 0,
                        }
                        .short_bytes();
                        if id.is_some_and(|id| t.ids.contains(id)) {
                            t.running.insert(f.stream());
                        }
                    }
                    _ => {}
                }
            }
            write_frame(&mut server_w, f).await?;
        }
        #[allow(unreachable_code)]
        Ok::<(), std::io::Error>(())
    };
    let down = async move {
        loop {
            let mut f = read_frame(&mut server_r).await?;
            f.header[0] = (f.header[0] & 0x80) | 4;
            if f.opcode() == RESULT && f.body.len() >= 4 {
                let kind = i32::from_be_bytes([f.body[0], f.body[1], f.body[2], f.body[3]]);
                let mut guard = topology.lock().expect("bridge lock");
                let t = &mut *guard;
                if kind == PREPARED {
                    f.body = prepared_v4(&f.body);
                    if t.preparing.remove(&f.stream()) {
                        if let Some(id) = (Cursor {
                            buf: &f.body,
                            at: 4,
                        })
                        .short_bytes()
                        {
                            t.ids.insert(id.to_vec());
                        }
                        f.body = prepared_topology(&f.body).unwrap_or(f.body);
                    }
                } else if kind == ROWS && t.running.remove(&f.stream()) {
                    f.body = with_rpc_address(&f.body, bridge_ip).unwrap_or(f.body);
                }
                drop(guard);
            }
            write_frame(&mut client_w, f).await?;
        }
        #[allow(unreachable_code)]
        Ok::<(), std::io::Error>(())
    };
    tokio::try_join!(up, down).map(|_| ())
}

/// A reader of the protocol's notation.
struct Cursor<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.buf.get(self.at..self.at + n)?;
        self.at += n;
        Some(s)
    }
    fn short(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
    fn short_bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.short()? as usize;
        self.take(n)
    }
    fn int(&mut self) -> Option<i32> {
        self.take(4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn string(&mut self) -> Option<&'a str> {
        let n = self.short()? as usize;
        std::str::from_utf8(self.take(n)?).ok()
    }
    fn long_string(&mut self) -> Option<&'a str> {
        let n = self.int()? as usize;
        std::str::from_utf8(self.take(n)?).ok()
    }
    fn bytes(&mut self) -> Option<Option<&'a [u8]>> {
        let n = self.int()?;
        if n < 0 {
            return Some(None);
        }
        self.take(n as usize).map(Some)
    }
    /// Skips a type [option].
    fn option(&mut self) -> Option<()> {
        match self.short()? {
            0x0000 => {
                self.string()?;
            }
            0x0020 | 0x0022 => self.option()?,
            0x0021 => {
                self.option()?;
                self.option()?;
            }
            0x0030 => {
                self.string()?;
                self.string()?;
                for _ in 0..self.short()? {
                    self.string()?;
                    self.option()?;
                }
            }
            0x0031 => {
                for _ in 0..self.short()? {
                    self.option()?;
                }
            }
            _ => {}
        }
        Some(())
    }
}

fn put_string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// STARTUP's options with the CQL version 2.1 serves.
fn startup_v3(body: &[u8]) -> Vec<u8> {
    let mut c = Cursor { buf: body, at: 0 };
    let mut options = Vec::new();
    if let Some(n) = c.short() {
        for _ in 0..n {
            let (Some(k), Some(v)) = (c.string(), c.string()) else {
                return body.to_vec();
            };
            options.push((k, if k == "CQL_VERSION" { "3.2.0" } else { v }));
        }
    }
    let mut out = Vec::new();
    out.extend_from_slice(&(options.len() as u16).to_be_bytes());
    for (k, v) in options {
        put_string(&mut out, k);
        put_string(&mut out, v);
    }
    out
}

fn query_text(body: &[u8]) -> Option<String> {
    Cursor { buf: body, at: 0 }
        .long_string()
        .map(str::to_string)
}

fn replace_query(body: &[u8], text: &str) -> Vec<u8> {
    let old = 4 + u32::from_be_bytes([body[0], body[1], body[2], body[3]]) as usize;
    let mut out = Vec::with_capacity(body.len());
    out.extend_from_slice(&(text.len() as u32).to_be_bytes());
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(&body[old..]);
    out
}

/// A v3 prepared result with v4's partition-key index count (none) after the column count.
fn prepared_v4(body: &[u8]) -> Vec<u8> {
    let mut c = Cursor { buf: body, at: 4 };
    let Some(id_len) = c.short() else {
        return body.to_vec();
    };
    // kind, id, flags, columns_count
    let at = 4 + 2 + id_len as usize + 8;
    if body.len() < at {
        return body.to_vec();
    }
    let mut out = body[..at].to_vec();
    out.extend_from_slice(&0i32.to_be_bytes());
    out.extend_from_slice(&body[at..]);
    out
}

/// Result metadata at `at` with an `rpc_address` (inet) column after the first (`host_id`):
/// the rewritten metadata, where the original ends, and its column count.
fn metadata_with_rpc_address(body: &[u8], at: usize) -> Option<(Vec<u8>, usize, i32)> {
    let mut c = Cursor { buf: body, at };
    let flags = c.int()?;
    let columns = c.int()?;
    if flags & 0x0002 != 0 {
        c.bytes()?;
    }
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(&flags.to_be_bytes());
    out.extend_from_slice(&(columns + 1).to_be_bytes());
    if flags & 0x0004 != 0 {
        out.extend_from_slice(&body[at + 8..c.at]);
        return Some((out, c.at, columns));
    }
    let global = flags & 0x0001 != 0;
    if global {
        c.string()?;
        c.string()?;
    }
    let mut first_spec_end = 0;
    for i in 0..columns {
        if !global {
            c.string()?;
            c.string()?;
        }
        c.string()?;
        c.option()?;
        if i == 0 {
            first_spec_end = c.at;
        }
    }
    out.extend_from_slice(&body[at + 8..first_spec_end]);
    if !global {
        put_string(&mut out, "system");
        put_string(&mut out, "local");
    }
    put_string(&mut out, "rpc_address");
    out.extend_from_slice(&0x0010u16.to_be_bytes());
    out.extend_from_slice(&body[first_spec_end..c.at]);
    Some((out, c.at, columns))
}

/// A topology statement's prepared result: its result metadata gains `rpc_address`.
fn prepared_topology(body: &[u8]) -> Option<Vec<u8>> {
    let mut c = Cursor { buf: body, at: 4 };
    let id_len = c.short()? as usize;
    c.take(id_len)?;
    // The bound variables' metadata (v4: with the partition-key indexes).
    let flags = c.int()?;
    let columns = c.int()?;
    let pk = c.int()?;
    for _ in 0..pk {
        c.short()?;
    }
    let global = flags & 0x0001 != 0;
    if global {
        c.string()?;
        c.string()?;
    }
    for _ in 0..columns {
        if !global {
            c.string()?;
            c.string()?;
        }
        c.string()?;
        c.option()?;
    }
    let (meta, end) = metadata_with_rpc_address(body, c.at).map(|(m, e, _)| (m, e))?;
    let mut out = body[..c.at].to_vec();
    out.extend_from_slice(&meta);
    out.extend_from_slice(&body[end..]);
    Some(out)
}

/// The topology answer's rows with an `rpc_address` cell (the bridge's address) after the
/// first.
fn with_rpc_address(body: &[u8], ip: [u8; 4]) -> Option<Vec<u8>> {
    let (meta, end, columns) = metadata_with_rpc_address(body, 4)?;
    let mut c = Cursor { buf: body, at: end };
    let mut out = Vec::with_capacity(body.len() + 64);
    out.extend_from_slice(&body[..4]);
    out.extend_from_slice(&meta);
    let rows = c.int()?;
    out.extend_from_slice(&rows.to_be_bytes());
    for _ in 0..rows {
        for i in 0..columns {
            let start = c.at;
            c.bytes()?;
            out.extend_from_slice(&body[start..c.at]);
            if i == 0 {
                out.extend_from_slice(&4i32.to_be_bytes());
                out.extend_from_slice(&ip);
            }
        }
    }
    Some(out)
}
