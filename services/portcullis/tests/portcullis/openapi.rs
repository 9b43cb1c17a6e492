//! `/openapi.json` describes every route with its permission, and every route it describes
//! exists.

use testkit::{server, Client};

#[test]
fn every_documented_route_exists_and_names_its_permission() {
    let anonymous = Client::new(&server().base(), Some("localhost"));
    let doc = anonymous.get("/openapi.json");
    assert_eq!(doc.status, 200);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc.body["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let permission = op["x-permission"].as_str().unwrap_or("");
            assert!(
                !permission.is_empty(),
                "{method} {path} states no permission"
            );
            let concrete = path
                .split('/')
                .map(|s| if s.starts_with('{') { "x" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            let r = anonymous.send(&method.to_uppercase(), &concrete, None, &[]);
            assert_ne!(
                r.code(),
                "SYS-0004",
                "{method} {path} is documented but not served"
            );
            assert_eq!(
                r.error(),
                (401, "AUTH-0001"),
                "{method} {path} without a token"
            );
        }
    }
    for path in [
        "/v1/system/instances",
        "/v1/users/{id}/pats",
        "/v1/events",
        "/v1/instance/members/{user_id}",
    ] {
        assert!(paths.contains_key(path), "{path} is not documented");
    }
    assert!(
        operations >= 26,
        "only {operations} operations are documented"
    );
}
