//! `/v1/events`: the instance's audit trail, in order, filtered, paged, secrets redacted,
//! behind `events.read`, and never another instance's events.

use serde_json::json;
use testkit::server;

use super::{default_org, unix_ms};

#[test]
fn the_trail_shows_every_write_in_order_with_secrets_redacted() {
    let t = server().tenant();
    let org = default_org(&t);
    let bot = t.client.post(
        &format!("/v1/orgs/{org}/users/machine"),
        json!({"username": "audited", "name": "Audited"}),
    );
    let id = bot.str("id");
    let pat = t.client.post(&format!("/v1/users/{id}/pats"), json!({}));
    let events = t
        .client
        .get(&format!("/v1/events?aggregate_type=user&aggregate_id={id}"));
    assert_eq!(events.status, 200, "{}", events.body);
    let items = events.body["items"].as_array().unwrap();
    let types: Vec<&str> = items.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["user.machine.added", "user.pat.added"]);
    let added = &items[1];
    assert_eq!(added["aggregate_id"], id.as_str());
    assert_eq!(added["instance_id"], t.instance_id.as_str());
    assert_eq!(added["sequence"], 2);
    assert_eq!(added["position"], pat.str("position").as_str());
    assert_eq!(added["payload"]["token_hash"], "[redacted]");
    assert_eq!(added["payload"]["pat_id"], pat.str("id").as_str());
    let bot_creator = t.client.get("/v1/users/me").str("id");
    assert_eq!(added["creator"], bot_creator.as_str());
    assert!(unix_ms(&added["created_at"]) > 1_700_000_000_000);

    // Every event of the instance, paged by cursor, each once and in order.
    let mut positions: Vec<u64> = vec![];
    let mut path = String::from("/v1/events?limit=3");
    loop {
        let page = t.client.get(&path);
        assert_eq!(page.status, 200);
        for e in page.body["items"].as_array().unwrap() {
            assert_eq!(
                e["instance_id"],
                t.instance_id.as_str(),
                "another tenant's event"
            );
            positions.push(e["position"].as_str().unwrap().parse().unwrap());
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/events?limit=3&cursor={c}"),
            None => break,
        }
    }
    // A position of one's own choosing works as the cursor does; the two disagreeing do not.
    let from_second = t.client.get(&format!(
        "/v1/events?limit=1000&after_position={}",
        positions[0]
    ));
    assert_eq!(
        from_second.body["items"].as_array().unwrap().len(),
        positions.len() - 1
    );
    assert_eq!(
        t.client
            .get(&format!(
                "/v1/events?cursor={}&after_position={}",
                positions[0], positions[1]
            ))
            .error(),
        (400, "REQ-0003")
    );
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
    let all = t.client.get("/v1/events?limit=1000");
    assert_eq!(all.body["items"].as_array().unwrap().len(), positions.len());
    let text = all.body.to_string();
    assert!(!text.contains("$argon2"), "a password hash leaked");
    assert!(text.contains("instance.added") && text.contains("user.human.added"));
}

/// The aggregate ids and types of a page of the trail.
fn listed(page: &testkit::Reply) -> Vec<(String, String)> {
    assert_eq!(page.status, 200, "{}", page.body);
    page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["aggregate_id"].as_str().unwrap().to_string(),
                e["type"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_trail_newest_first_pages_back_in_time() {
    let t = server().tenant();
    let mut orgs = Vec::new();
    for name in ["First", "Second", "Third"] {
        // Apart in time, whichever partitions of a cluster's log they land in.
        std::thread::sleep(std::time::Duration::from_millis(5));
        orgs.push(t.client.post("/v1/orgs", json!({"name": name})).str("id"));
    }
    let renamed = t
        .client
        .patch(&format!("/v1/orgs/{}", orgs[0]), json!({"name": "Renamed"}));
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    // The newest events first: the rename's (with the login names it released and claimed).
    let all = t.client.get("/v1/events?order=newest&limit=5");
    assert!(
        listed(&all)[..3].contains(&(orgs[0].clone(), "org.renamed".to_string())),
        "{}",
        all.body
    );
    let times: Vec<i64> = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| unix_ms(&e["created_at"]))
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    // The orgs' events, two a page, back in time, each once.
    let mut seen = Vec::new();
    let mut path = String::from("/v1/events?order=newest&aggregate_type=org&limit=2");
    loop {
        let page = t.client.get(&path);
        seen.extend(listed(&page));
        match page.body["next_cursor"].as_str() {
            Some(c) => {
                path = format!("/v1/events?order=newest&aggregate_type=org&limit=2&cursor={c}")
            }
            None => break,
        }
    }
    let default = default_org(&t);
    let expected: Vec<(String, String)> = [
        (&orgs[0], "org.renamed"),
        (&orgs[2], "org.added"),
        (&orgs[1], "org.added"),
        (&orgs[0], "org.added"),
        (&default, "org.added"),
    ]
    .iter()
    .map(|(id, kind)| (id.to_string(), kind.to_string()))
    .collect();
    assert_eq!(seen, expected);
    // One aggregate's, newest first.
    let one = t
        .client
        .get(&format!("/v1/events?order=newest&aggregate_id={}", orgs[0]));
    let kinds: Vec<String> = listed(&one).into_iter().map(|(_, k)| k).collect();
    assert_eq!(kinds, ["org.renamed", "org.added"]);
    // Another instance's manager with this cursor reads only their own instance.
    let cursor = t
        .client
        .get("/v1/events?order=newest&limit=1")
        .str("next_cursor");
    let other = server().tenant();
    let theirs = other.client.get(&format!(
        "/v1/events?order=newest&limit=1000&cursor={cursor}"
    ));
    assert!(
        listed(&theirs).iter().all(|(id, _)| !orgs.contains(id)),
        "{}",
        theirs.body
    );
    // Bad orders and cursors, each named.
    for (query, field) in [
        ("order=oldest", "order"),
        ("order=newest&after_position=1", "after_position"),
        ("order=newest&cursor=1", "cursor"),
        ("order=newest&cursor=1.x", "cursor"),
        ("order=newest&cursor=-5.1", "cursor"),
        ("order=newest&cursor=.", "cursor"),
    ] {
        let r = t.client.get(&format!("/v1/events?{query}"));
        assert_eq!(r.error(), (400, "REQ-0003"), "{query}");
        assert_eq!(r.body["details"]["field"], field, "{query}");
    }
}

#[test]
fn reading_the_trail_needs_events_read() {
    let t = server().tenant();
    let org = default_org(&t);
    let bot = t.client.post(
        &format!("/v1/orgs/{org}/users/machine"),
        json!({"username": "nosy", "name": "Nosy"}),
    );
    let pat = t
        .client
        .post(&format!("/v1/users/{}/pats", bot.str("id")), json!({}));
    let nosy = t.as_token(&pat.str("token")).after(&pat);
    let r = nosy.get("/v1/events");
    assert_eq!(r.error(), (403, "AUTHZ-0001"));
    assert_eq!(r.body["details"]["missing"], "events.read");
    assert_eq!(
        t.client.get("/v1/events?after_position=abc").error(),
        (400, "REQ-0003")
    );
    // A forged cursor is refused the same way, naming the field it came in.
    for forged in ["abc", "1,2", "-1", "99999999999999999999"] {
        let r = t.client.get(&format!("/v1/events?cursor={forged}"));
        assert_eq!(r.error(), (400, "REQ-0003"), "{forged}");
        assert_eq!(r.body["details"]["field"], "cursor", "{forged}");
    }
}

/// The event types of a long poll's answer, and its resume point.
fn polled(t: &testkit::Tenant, query: &str) -> (Vec<String>, String) {
    let r = t.client.get(&format!("/v1/events/watch?{query}"));
    assert_eq!(r.status, 200, "{}", r.body);
    let types = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    (types, r.str("resume_after"))
}

#[test]
fn a_long_poll_of_the_trail_gives_each_new_event_once_from_its_resume_point() {
    let t = server().tenant();
    let _ = t.client.get("/v1/users/me");
    // From now on: nothing yet.
    let (none, now) = polled(&t, "after_position=now&wait_s=0");
    assert!(none.is_empty(), "{none:?}");
    let made = t.client.post("/v1/orgs", json!({"name": "Watched"}));
    let org = made.str("id");
    let (types, resume) = polled(&t, &format!("after_position={now}&wait_s=20"));
    assert!(types.contains(&"org.added".to_string()), "{types:?}");
    let (again, _) = polled(&t, &format!("after_position={resume}&wait_s=0"));
    assert!(again.is_empty(), "each event once: {again:?}");
    // Filtered to one aggregate, from the first of its events.
    let (of_org, _) = polled(&t, &format!("aggregate_id={org}&wait_s=0"));
    assert_eq!(of_org, ["org.added"]);
    // A poll that waits gets the event written while it waits.
    let waiting = {
        let client = t.client.clone();
        let resume = resume.clone();
        std::thread::spawn(move || {
            client.get(&format!(
                "/v1/events/watch?after_position={resume}&aggregate_type=org&wait_s=20"
            ))
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    let renamed = t
        .client
        .patch(&format!("/v1/orgs/{org}"), json!({"name": "Renamed"}));
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    let woke = waiting.join().unwrap();
    let woke: Vec<&str> = woke.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(woke, ["org.renamed"]);
    // Another instance's manager sent this resume point sees only its own instance's events.
    let other = server().tenant();
    let _ = other.client.get("/v1/users/me");
    let theirs = other
        .client
        .get(&format!("/v1/events/watch?after_position={now}&wait_s=0"));
    assert_eq!(theirs.status, 200, "{}", theirs.body);
    let ids: Vec<&str> = theirs.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["aggregate_id"].as_str())
        .collect();
    assert!(!ids.contains(&org.as_str()), "{ids:?}");
    // Bad resume points and waits, and callers without events.read.
    for bad in [
        "after_position=abc",
        "after_position=1,x",
        "wait_s=26",
        "after_position=later",
    ]
    .into_iter()
    .map(String::from)
    // Two positions of one partition, and a partition no log has (1 << 40 tags partition 1).
    .chain([
        format!("after_position={resume},{resume}"),
        format!("after_position={}", (5000u64 << 40) + 1),
    ]) {
        assert_eq!(
            t.client.get(&format!("/v1/events/watch?{bad}")).error(),
            (400, "REQ-0003"),
            "{bad}"
        );
    }
    let bot = t.client.post(
        &format!("/v1/orgs/{}/users/machine", default_org(&t)),
        json!({"username": "peeker", "name": "Peeker"}),
    );
    let pat = t
        .client
        .post(&format!("/v1/users/{}/pats", bot.str("id")), json!({}));
    let peeker = t.as_token(&pat.str("token")).after(&pat);
    assert_eq!(
        peeker.get("/v1/events/watch?wait_s=0").error(),
        (403, "AUTHZ-0001")
    );
}
