//! The `password_complexity` settings: every password set (a new human's, a change by its user
//! or by a manager) holds to the rules of the user's org, else the instance's, else the
//! defaults; a refusal names the rule it broke and writes nothing.

use serde_json::{json, Value};
use testkit::{Reply, Tenant};

use super::{default_org, event_count};

fn human(username: &str, password: &str) -> Value {
    json!({
        "username": username,
        "profile": {"given_name": "Ada", "family_name": "Lovelace"},
        "email": {"address": format!("{username}@example.com")},
        "password": password,
    })
}

/// The rule a refusal names, with its status and code.
fn refused(r: &Reply) -> (u16, &str, &str) {
    (
        r.status,
        r.code(),
        r.body["details"]["rule"].as_str().unwrap_or(""),
    )
}

fn rules(min_length: u32, upper: bool, number: bool, symbol: bool) -> Value {
    json!({"min_length": min_length, "has_uppercase": upper, "has_lowercase": false,
           "has_number": number, "has_symbol": symbol})
}

#[test]
fn every_password_set_holds_to_the_rules_of_the_users_org() {
    let t: Tenant = testkit::server().tenant();
    let org = default_org(&t);
    let create = |username: &str, password: &str| {
        t.client.post(
            &format!("/v1/orgs/{org}/users/human"),
            human(username, password),
        )
    };
    // The defaults: 12 characters of any kind.
    let r = t.client.get("/v1/instance/settings/password_complexity");
    assert_eq!(r.body, {
        let mut d = rules(12, false, false, false);
        d["source"] = json!("default");
        d
    });
    assert_eq!(
        refused(&create("eleven", "elevenchars")),
        (400, "USER-0009", "min_length")
    );

    // The instance asks for a number and a symbol.
    let set = t.client.put(
        "/v1/instance/settings/password_complexity",
        rules(12, false, true, true),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    let before = event_count(&t);
    let c = t.client.after(&set);
    let create = |username: &str, password: &str| {
        c.post(
            &format!("/v1/orgs/{org}/users/human"),
            human(username, password),
        )
    };
    assert_eq!(
        refused(&create("ada", "correct horse battery")),
        (400, "USER-0009", "has_number")
    );
    assert_eq!(
        refused(&create("ada", "correct horse battery 9")),
        (400, "USER-0009", "has_symbol")
    );
    // Nothing was written by the refusals, not even the name's claim.
    assert_eq!(event_count(&t), before);
    let ada = create("ada", "correct horse battery 9!");
    assert_eq!(ada.status, 201, "{}", ada.body);
    let ada = ada.str("id");

    // An org of its own asks for more: 16 characters with an uppercase letter.
    let shop = c.post("/v1/orgs", json!({"name": "Strict shop"}));
    let shop_id = shop.str("id");
    let own = c.after(&shop).put(
        &format!("/v1/orgs/{shop_id}/settings/password_complexity"),
        rules(16, true, false, false),
    );
    assert_eq!(own.status, 200, "{}", own.body);
    let c = t.client.after(&own);
    let in_shop = |username: &str, password: &str| {
        c.post(
            &format!("/v1/orgs/{shop_id}/users/human"),
            human(username, password),
        )
    };
    assert_eq!(
        refused(&in_shop("bob", "correct horse battery 9!")),
        (400, "USER-0009", "has_uppercase")
    );
    assert_eq!(
        refused(&in_shop("bob", "Correct horse")),
        (400, "USER-0009", "min_length")
    );
    let bob = in_shop("bob", "Correct horse battery");
    assert_eq!(bob.status, 201, "{}", bob.body);
    let bob = bob.str("id");
    // The default org keeps the instance's rules.
    assert_eq!(
        refused(&create("carol", "Correct horse battery")),
        (400, "USER-0009", "has_number")
    );

    // A manager's change follows the user's org.
    let change = |id: &str, password: &str| {
        c.put(
            &format!("/v1/users/{id}/password"),
            json!({"new_password": password}),
        )
    };
    assert_eq!(
        refused(&change(&bob, "correct horse battery staple")),
        (400, "USER-0009", "has_uppercase")
    );
    assert_eq!(change(&bob, "Correct horse battery staple").status, 200);
    assert_eq!(
        refused(&change(&ada, "Correct horse battery staple")),
        (400, "USER-0009", "has_number")
    );
    // The user's own change too, after the current password is checked.
    let pat = c.post(&format!("/v1/users/{ada}/pats"), json!({}));
    let me = t.as_token(&pat.str("token")).after(&pat);
    let own_change = |new: &str| {
        me.put(
            &format!("/v1/users/{ada}/password"),
            json!({"current_password": "correct horse battery 9!", "new_password": new}),
        )
    };
    assert_eq!(
        refused(&own_change("just letters here")),
        (400, "USER-0009", "has_number")
    );
    assert_eq!(own_change("letters and 1 symbol!").status, 200);

    // The org back on the instance's rules.
    let reset = c.delete(&format!("/v1/orgs/{shop_id}/settings/password_complexity"));
    assert_eq!(reset.status, 200, "{}", reset.body);
    let r = t
        .client
        .after(&reset)
        .get(&format!("/v1/orgs/{shop_id}/settings/password_complexity"));
    assert_eq!(r.body["source"], "instance");
    assert_eq!(r.body["has_number"], true);
}

#[test]
fn rules_out_of_bounds_or_of_another_shape_are_refused() {
    let t: Tenant = testkit::server().tenant();
    let path = "/v1/instance/settings/password_complexity";
    for min_length in [0, 7, 201, 100_000] {
        let r = t.client.put(path, rules(min_length, false, false, false));
        assert_eq!(
            r.error(),
            (400, "SETTINGS-0001"),
            "{min_length}: {}",
            r.body
        );
    }
    for body in [
        json!({"min_length": 12}),
        json!({"min_length": "12", "has_uppercase": false, "has_lowercase": false,
               "has_number": false, "has_symbol": false}),
        {
            let mut extra = rules(12, false, false, false);
            extra["max_length"] = json!(4);
            extra
        },
    ] {
        assert_eq!(t.client.put(path, body).error().0, 400);
    }
    // What was refused changed nothing.
    assert_eq!(t.client.get(path).body["source"], "default");
}

#[test]
fn the_rules_are_the_same_over_grpc() {
    use super::grpc::{block, call, channel};
    use gateway::grpc::pb;
    use pb::settings_service_client::SettingsServiceClient;
    let t: Tenant = testkit::server().tenant();
    block(async {
        let mut settings = SettingsServiceClient::new(channel(&t.domain).await);
        let rules = |min_length| {
            Some(
                pb::set_instance_settings_request::Value::PasswordComplexity(
                    pb::PasswordComplexitySettings {
                        min_length,
                        has_uppercase: true,
                        has_lowercase: false,
                        has_number: false,
                        has_symbol: true,
                    },
                ),
            )
        };
        let set = pb::SetInstanceSettingsRequest { value: rules(14) };
        let written = settings
            // After the tenant's creation: a cluster's gateway may not know it yet.
            .set_instance_settings(call(set, &t.admin_pat, Some(&t.position)))
            .await
            .expect("SetInstanceSettings")
            .into_inner();
        let get = pb::GetInstanceSettingsRequest {
            kind: "password_complexity".into(),
        };
        let got = settings
            .get_instance_settings(call(get, &t.admin_pat, Some(&written.position)))
            .await
            .expect("GetInstanceSettings")
            .into_inner();
        assert_eq!(got.source, "instance");
        let Some(pb::settings::Value::PasswordComplexity(r)) = got.value else {
            panic!("no password rules: {got:?}")
        };
        assert_eq!(
            (r.min_length, r.has_uppercase, r.has_symbol),
            (14, true, true)
        );
        let refused = settings
            .set_instance_settings(call(
                pb::SetInstanceSettingsRequest { value: rules(4) },
                &t.admin_pat,
                None,
            ))
            .await
            .expect_err("too short a minimum");
        assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    });
    // And REST reads what gRPC set.
    let r = t.client.get("/v1/instance/settings/password_complexity");
    assert_eq!(
        (
            r.body["min_length"].as_u64(),
            r.body["has_symbol"].as_bool()
        ),
        (Some(14), Some(true))
    );
}
