//! The edge as an attacker meets it: hosts checked before any work, forwarded headers honoured
//! only from the trusted proxy, issuers that are configured rather than requested, and caches
//! that anonymous input does not grow.

use std::io::{Read, Write};
use std::net::SocketAddr;

use serde_json::Value;
use testkit::{server, Tenant, TEST_PROXY};

use super::oidc_support::issuer;

/// A raw HTTP/1.1 GET from the local address `from` (so the test can be the trusted proxy or
/// a stranger); answers the status and the body.
pub fn get_from(from: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let (status, _, body) = request_from(from, "GET", path, headers, "");
    (status, body)
}

/// A raw HTTP/1.1 request from the local address `from`; answers the status, the head and
/// the body.
pub fn request_from(
    from: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let to = server().addr;
    let socket = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let s = tokio::net::TcpSocket::new_v4().unwrap();
            s.bind(SocketAddr::new(from.parse().unwrap(), 0)).unwrap();
            s.connect(to).await.unwrap().into_std().unwrap()
        });
    socket.set_nonblocking(false).unwrap();
    let mut socket = socket;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    socket.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    socket.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text[9..12].parse().unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (status, head.to_string(), body.to_string())
}

/// A new tenant whose domain the read models have applied.
fn tenant() -> Tenant {
    let t = server().tenant();
    assert_eq!(t.client.get("/v1/orgs").status, 200);
    t
}

fn discovery_issuer(body: &str) -> String {
    let doc: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("{body}"));
    doc["issuer"].as_str().unwrap().to_string()
}

#[test]
fn forwarded_headers_from_a_stranger_change_nothing() {
    let t = tenant();
    let host = format!("{}:{}", t.domain, server().addr.port());
    let (status, body) = get_from(
        "127.0.0.1",
        "/.well-known/openid-configuration",
        &[
            ("Host", &host),
            ("X-Forwarded-Host", "evil.test"),
            ("X-Forwarded-Proto", "https"),
            ("Forwarded", "host=evil.test;proto=https"),
        ],
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(discovery_issuer(&body), issuer(&t));
}

#[test]
fn the_issuer_carries_the_configured_port_not_the_requested_one() {
    let t = tenant();
    let (status, body) = get_from(
        "127.0.0.1",
        "/.well-known/openid-configuration",
        &[("Host", &format!("{}:6666", t.domain))],
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(discovery_issuer(&body), issuer(&t));
}

#[test]
fn the_trusted_proxy_says_which_host_a_request_was_sent_to() {
    let t = tenant();
    let (status, body) = get_from(
        TEST_PROXY,
        "/.well-known/openid-configuration",
        &[
            ("Host", "portcullis.internal"),
            ("X-Forwarded-Host", &t.domain),
        ],
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(discovery_issuer(&body), issuer(&t));
    let (status, body) = get_from(
        TEST_PROXY,
        "/v1/users",
        &[
            ("Host", "portcullis.internal"),
            ("Forwarded", &format!("for=198.51.100.7;host={}", t.domain)),
            ("Authorization", &format!("Bearer {}", t.admin_pat)),
        ],
    );
    assert_eq!(status, 200, "{body}");
}

#[test]
fn a_host_that_is_not_a_name_is_refused_before_any_lookup() {
    let t = tenant();
    let long_port = format!("{}:{}", t.domain, "0".repeat(60_000));
    for host in [long_port.as_str(), "a_b.test", "x..test", "[::1", "h:99999"] {
        let (status, body) = get_from(
            "127.0.0.1",
            "/v1/users",
            &[
                ("Host", host),
                ("Authorization", &format!("Bearer {}", t.admin_pat)),
            ],
        );
        assert_eq!(status, 400, "{host:.40}: {body}");
        assert!(body.contains("REQ-0006"), "{body}");
        let (status, body) = get_from(
            "127.0.0.1",
            "/.well-known/openid-configuration",
            &[("Host", host)],
        );
        assert_eq!(status, 400, "{host:.40}: {body}");
        assert!(body.contains("invalid_request"), "{body}");
    }
}

/// The gateway's cache bytes, from `/metrics`.
fn cache_bytes() -> f64 {
    let text = ureq::get(format!("http://{}/metrics", server().admin))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("portcullis_gateway_cache_bytes "))
        .unwrap_or_else(|| panic!("no cache gauge in:\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn metrics_are_served_on_the_admin_listener_only() {
    let t = tenant();
    let (status, _) = get_from(
        "127.0.0.1",
        "/metrics",
        &[("Host", &format!("{}:{}", t.domain, server().addr.port()))],
    );
    assert_eq!(status, 404, "the public listener serves no metrics");
    let admin = ureq::get(format!("http://{}/metrics", server().admin))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(
        admin.contains("# TYPE portcullis_http_requests_total counter"),
        "{admin}"
    );
}

fn token_request(t: &Tenant, client_id: &str) -> u16 {
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:x"));
    ureq::post(format!("{}/oauth/v2/token", server().base()))
        .header("Host", &t.domain)
        .header("Authorization", &format!("Basic {basic}"))
        .config()
        .http_status_as_error(false)
        .build()
        .send_form([("grant_type", "client_credentials")])
        .unwrap()
        .status()
        .as_u16()
}

#[test]
fn made_up_hosts_and_client_ids_grow_no_cache() {
    let t = tenant();
    let before = cache_bytes();
    for i in 0..300 {
        let (status, body) = get_from(
            "127.0.0.1",
            "/.well-known/openid-configuration",
            &[("Host", &format!("h{i}{}.test", "a".repeat(50)))],
        );
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("no instance is reached"), "{body}");
        // 30 KB ids: had unknown ids been cached, 300 of them would hold 9 MB.
        let id = format!("{i}{}", "c".repeat(30_000));
        assert_eq!(token_request(&t, &id), 401);
    }
    let grown = cache_bytes() - before;
    // Other tests' real clients and tokens may be cached meanwhile; the flood is not.
    assert!(grown < 2_000_000.0, "the caches grew by {grown} bytes");
}

/// HTTP/2 with prior knowledge (h2c) is not spoken: the edge serves HTTP/1.1 only, so the h2
/// 0.3 server code that comes with the HTTP client (see deny.toml's advisories) never runs.
#[test]
fn an_http2_client_is_answered_in_http_1_1() {
    let mut socket = std::net::TcpStream::connect(server().addr).unwrap();
    socket
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    // The client preface, then an empty SETTINGS frame (RFC 9113 section 3.4).
    socket
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .unwrap();
    let mut answer = Vec::new();
    let _ = socket.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.starts_with("HTTP/1.1 4"),
        "an HTTP/2 preface must get an HTTP/1.1 error, got {answer:?}"
    );
}
