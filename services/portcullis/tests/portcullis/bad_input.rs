//! Bad requests get their status and stable code, and write nothing.

use serde_json::json;
use testkit::{server, Client};

use super::event_count;

#[test]
fn malformed_unknown_oversize_and_unauthenticated_requests_write_nothing() {
    let t = server().tenant();
    let before = event_count(&t);
    let c = &t.client;
    let raw = |body: &[u8]| c.send("POST", "/v1/orgs", Some(body.to_vec()), &[]);
    assert_eq!(raw(b"{\"name\": ").error(), (400, "REQ-0001"));
    assert_eq!(raw(b"[1, 2]").error(), (400, "REQ-0001"));
    assert_eq!(
        raw(br#"{"name": "A", "colour": "red"}"#).error(),
        (400, "REQ-0001")
    );
    let big = format!(r#"{{"name": "{}"}}"#, "x".repeat(1 << 20));
    assert_eq!(raw(big.as_bytes()).error(), (413, "REQ-0002"));
    assert_eq!(
        c.post("/v1/orgs", json!({"name": ""})).error(),
        (400, "ORG-0003")
    );
    assert_eq!(
        c.post("/v1/orgs", json!({"name": "x".repeat(201)})).error(),
        (400, "ORG-0003")
    );

    let anonymous = t.anonymous();
    assert_eq!(
        anonymous.post("/v1/orgs", json!({"name": "A"})).error(),
        (401, "AUTH-0001")
    );
    let wrong = t.as_token("not-a-token");
    assert_eq!(
        wrong.post("/v1/orgs", json!({"name": "A"})).error(),
        (401, "AUTH-0001")
    );
    let basic = anonymous.send(
        "GET",
        "/v1/users/me",
        None,
        &[("Authorization", "Basic YTpi")],
    );
    assert_eq!(basic.error(), (401, "AUTH-0001"));

    let nowhere = Client::new(&server().base(), Some("unknown.test")).token(&t.admin_pat);
    assert_eq!(
        nowhere.post("/v1/orgs", json!({"name": "A"})).error(),
        (404, "INSTANCE-0001")
    );
    assert_eq!(c.get("/v1/no/such/route").error(), (404, "SYS-0004"));
    assert_eq!(
        c.send(
            "GET",
            "/v1/users/me",
            None,
            &[("X-Portcullis-Position", "soon")]
        )
        .error(),
        (400, "REQ-0003")
    );
    assert_eq!(
        c.send(
            "GET",
            "/v1/users/me",
            None,
            &[("X-Portcullis-Position", "1, soon")]
        )
        .error(),
        (400, "REQ-0003")
    );
    assert_eq!(event_count(&t), before, "a refused request wrote events");
}
