//! `cql-bridge <host:port>`: the test kit's CQL protocol bridge (v4 clients to a v3 server) as
//! a process, for `deploy/local-cluster.sh`, whose only installable CQL server is the tests'
//! Cassandra 2.1. Prints the address it listens on, then serves until killed. Never needed
//! with ScyllaDB, which speaks v4.

fn main() {
    let Some(upstream) = std::env::args().nth(1) else {
        eprintln!("usage: cql-bridge <the CQL v3 server's host:port>");
        std::process::exit(2);
    };
    let upstream = match upstream.parse() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("{upstream} is not host:port: {e}");
            std::process::exit(2);
        }
    };
    let bridge = testkit::cql::bridge(upstream);
    println!("{}", bridge.addr);
    loop {
        std::thread::park();
    }
}
