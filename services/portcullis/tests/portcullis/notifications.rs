//! Notifications: the instance's SMTP server, and codes sent through the outbox to a real SMTP
//! server (aiosmtpd): email verification, password reset, invitations; retries with backoff,
//! attempts in the audit trail, and the attacker's tries (wrong, reused and expired codes,
//! header injection, a downgrade from STARTTLS).

use serde_json::{json, Value};
use testkit::{server, Reply, Tenant};

use super::http_sink::HttpSink;
use super::mail_sink::{code_in, link_in, MailSink};
use super::self_management::human;

/// Points the tenant's instance at `sink` (plain SMTP on loopback).
pub(super) fn use_sink(t: &Tenant, sink: &MailSink) {
    let r = t.client.put(
        "/v1/instance/smtp",
        json!({"host": "127.0.0.1", "port": sink.port, "tls": "none",
               "sender_address": "login@example.com", "sender_name": "Example login"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

/// A session with the user and password checks, made by the admin (`session.write`).
fn password_session(t: &Tenant, login_name: &str, password: &str) -> Reply {
    t.client.post(
        "/v1/sessions",
        json!({"checks": {"user": {"login_name": login_name}, "password": {"password": password}}}),
    )
}

/// The types of the tenant's events about `aggregate_id`, oldest first.
fn event_types(t: &Tenant, aggregate_id: &str) -> Vec<String> {
    let r = t.client.get(&format!(
        "/v1/events?aggregate_id={aggregate_id}&limit=1000"
    ));
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect()
}

fn events_of(t: &Tenant, aggregate_id: &str) -> Vec<Value> {
    let r = t.client.get(&format!(
        "/v1/events?aggregate_id={aggregate_id}&limit=1000"
    ));
    r.body["items"].as_array().unwrap().clone()
}

/// Waits (up to 30 s) until the user's trail has `n` events of `event_type`.
fn wait_for_events(t: &Tenant, user: &str, event_type: &str, n: usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let types = event_types(t, user);
        if types.iter().filter(|e| *e == event_type).count() >= n {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {n} {event_type} in {types:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn an_instance_smtp_server_is_set_read_without_its_password_and_tried() {
    let t = server().tenant();
    let sink = MailSink::start(0);
    assert_eq!(
        t.client.get("/v1/instance/smtp").error(),
        (412, "SMTP-0001")
    );
    let set = t.client.put(
        "/v1/instance/smtp",
        json!({"host": "127.0.0.1", "port": sink.port, "tls": "none", "user": "portcullis",
               "password": "s3cret-smtp-password", "sender_address": "login@example.com",
               "sender_name": "Example login"}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    let read = t.client.after(&set).get("/v1/instance/smtp");
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["has_password"], true);
    assert_eq!(read.body["tls"], "none");
    assert!(!read.body.to_string().contains("s3cret"), "{}", read.body);
    // Nor does the audit trail show it, sealed or not.
    let trail = Value::from(events_of(&t, &t.instance_id)).to_string();
    assert!(trail.contains("instance.smtp.set"), "{trail}");
    assert!(
        !trail.contains("s3cret") && trail.contains("[redacted]"),
        "{trail}"
    );
    // Without a password, the stored one stays.
    let again = t.client.put(
        "/v1/instance/smtp",
        json!({"host": "127.0.0.1", "port": sink.port, "tls": "none", "user": "portcullis",
               "sender_address": "login@example.com", "sender_name": "Example login"}),
    );
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(
        t.client.after(&again).get("/v1/instance/smtp").body["has_password"],
        true
    );
    // aiosmtpd offers no AUTH on a plain connection: drop the user to send.
    use_sink(&t, &sink);
    let test = t
        .client
        .post("/v1/instance/smtp/test", json!({"to": "ops@example.com"}));
    assert_eq!(test.status, 204, "{}", test.body);
    let mail = sink.wait_for("ops@example.com", 1);
    assert_eq!(mail["subject"], "Portcullis: test message");
    assert!(mail["from"].as_str().unwrap().contains("login@example.com"));
}

#[test]
fn a_starttls_server_that_offers_no_starttls_is_refused_not_downgraded() {
    let t = server().tenant();
    let sink = MailSink::start(0);
    let set = t.client.put(
        "/v1/instance/smtp",
        json!({"host": "127.0.0.1", "port": sink.port, "tls": "starttls",
               "sender_address": "login@example.com", "sender_name": "Example login"}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    let test = t
        .client
        .post("/v1/instance/smtp/test", json!({"to": "ops@example.com"}));
    assert_eq!(test.error(), (412, "SMTP-0002"), "{}", test.body);
    assert!(sink.messages().is_empty(), "sent in plain text");
}

#[test]
fn smtp_settings_refuse_header_injection_and_bad_values() {
    let t = server().tenant();
    let base = json!({"host": "smtp.example.com", "port": 587, "tls": "starttls",
                      "sender_address": "login@example.com", "sender_name": "Login"});
    for (field, value) in [
        ("sender_name", json!("Login\r\nBcc: victim@example.com")),
        (
            "sender_address",
            json!("login@example.com\r\nBcc: victim@example.com"),
        ),
        ("host", json!("smtp.example.com:25")),
        ("host", json!("")),
        ("port", json!(0)),
        ("tls", json!("ssl3")),
    ] {
        let mut body = base.clone();
        body[field] = value.clone();
        let r = t.client.put("/v1/instance/smtp", body);
        assert_eq!(r.status, 400, "{field}={value}: {}", r.body);
        assert!(
            ["SMTP-0003", "REQ-0001"].contains(&r.code()),
            "{field}={value}: {}",
            r.body
        );
    }
    // A user without iam.write may neither set nor try it.
    let (_, user) = human(&t, "mallory");
    assert_eq!(
        user.put("/v1/instance/smtp", base).error(),
        (403, "AUTHZ-0001")
    );
    let test = user.post("/v1/instance/smtp/test", json!({"to": "x@example.com"}));
    assert_eq!(test.error(), (403, "AUTHZ-0001"));
}

#[test]
fn a_user_verifies_their_email_with_the_code_mailed_to_them() {
    let t = server().tenant();
    let sink = MailSink::start(0);
    use_sink(&t, &sink);
    let (id, me) = human(&t, "grace");
    // A body that is there must be valid; none at all is the default (by email).
    let path = format!("/v1/users/{id}/email/send_code");
    let junk = me.send(
        "POST",
        &path,
        Some(vec![0u8]),
        &[("content-type", "application/json")],
    );
    assert_eq!(junk.error(), (400, "REQ-0001"), "{}", junk.body);
    let unknown = me.post(&path, json!({"send": "pigeon"}));
    assert_eq!(unknown.error(), (400, "REQ-0001"), "{}", unknown.body);
    let sent = me.send("POST", &path, None, &[]);
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.get("code").is_none(), "{}", sent.body);
    // One cannot have one's own code returned: that would prove nothing.
    let own = me.post(
        &format!("/v1/users/{id}/email/send_code"),
        json!({"send": "return"}),
    );
    assert_eq!(own.error(), (403, "AUTHZ-0001"));
    let mail = sink.wait_for("grace@example.com", 1);
    assert_eq!(mail["subject"], "Verify your email address");
    let code = code_in(&mail);
    assert_eq!(code.len(), 8);
    let link = link_in(&mail);
    assert!(
        link.contains(&format!("/ui/login/verify?user={id}&code={code}")),
        "{link}"
    );
    let verify = |code: &str| {
        me.post(
            &format!("/v1/users/{id}/email/verify"),
            json!({"code": code}),
        )
    };
    assert_eq!(verify("WRONG000").error(), (400, "USER-0017"));
    // Typed as people type it: lower case, with a space.
    let typed = format!("{} {}", &code[..4], &code[4..]).to_lowercase();
    let ok = verify(&typed);
    assert_eq!(ok.status, 200, "{}", ok.body);
    let user = me.after(&ok).get(&format!("/v1/users/{id}"));
    assert_eq!(user.body["email"]["verified"], true, "{}", user.body);
    // Used: gone; and a verified address takes no new code.
    assert_eq!(verify(&code).error(), (400, "USER-0017"));
    let more = me.post(&format!("/v1/users/{id}/email/send_code"), json!({}));
    assert_eq!(more.error(), (412, "USER-0018"));
    let types = event_types(&t, &id);
    for expected in [
        "user.code.added",
        "user.notification.sent",
        "user.code.check.failed",
        "user.human.email.verified",
    ] {
        assert!(
            types.contains(&expected.to_string()),
            "{expected} in {types:?}"
        );
    }
    // The trail shows neither the code nor its hash.
    let trail = Value::from(events_of(&t, &id)).to_string();
    assert!(!trail.contains(&code), "{trail}");
}

#[test]
fn wrong_codes_void_a_code_at_the_lockout_limit() {
    let t = server().tenant();
    let sink = MailSink::start(0);
    use_sink(&t, &sink);
    let lockout = t.client.put(
        "/v1/instance/settings/lockout",
        json!({"max_password_attempts": 10, "max_otp_attempts": 3, "lock_seconds": 300}),
    );
    assert_eq!(lockout.status, 200, "{}", lockout.body);
    // Made after the settings: its client reads at least them.
    let (id, me) = human(&t, "grace");
    let sent = me.post(&format!("/v1/users/{id}/email/send_code"), json!({}));
    assert_eq!(sent.status, 200, "{}", sent.body);
    let code = code_in(&sink.wait_for("grace@example.com", 1));
    for _ in 0..3 {
        let r = me.post(
            &format!("/v1/users/{id}/email/verify"),
            json!({"code": "AAAAAAAA"}),
        );
        assert_eq!(r.error(), (400, "USER-0017"));
    }
    // The right code no longer works: a new one must be asked for.
    let late = me.post(
        &format!("/v1/users/{id}/email/verify"),
        json!({"code": code}),
    );
    assert_eq!(late.error(), (400, "USER-0017"));
}

#[test]
fn a_manager_resets_a_password_and_the_code_sets_it_once_without_a_token() {
    let t = server().tenant();
    let sink = MailSink::start(0);
    use_sink(&t, &sink);
    let (id, me) = human(&t, "grace");
    // Not on oneself: a stolen token must not be turned into a new password.
    let own = me.post(&format!("/v1/users/{id}/password/reset"), json!({}));
    assert_eq!(own.error(), (403, "AUTHZ-0001"));
    let reset = t
        .client
        .post(&format!("/v1/users/{id}/password/reset"), json!({}));
    assert_eq!(reset.status, 200, "{}", reset.body);
    let mail = sink.wait_for("grace@example.com", 1);
    assert_eq!(mail["subject"], "Reset your password");
    let code = code_in(&mail);
    let anonymous = t.anonymous();
    let path = format!("/v1/users/{id}/password");
    // The org's password rules hold, and a refusal does not use the code up.
    let weak = anonymous.put(&path, json!({"code": code, "new_password": "short"}));
    assert_eq!(weak.error(), (400, "USER-0009"));
    // Another user's id with this code: a wrong code, whoever exists.
    for other in [t.admin_user_id.as_str(), "no-such-user"] {
        let r = anonymous.put(
            &format!("/v1/users/{other}/password"),
            json!({"code": code, "new_password": "a new and long password"}),
        );
        assert_eq!(r.error(), (400, "USER-0017"), "{other}");
    }
    // Without a code and without a token: 401.
    let bare = anonymous.put(&path, json!({"new_password": "a new and long password"}));
    assert_eq!(bare.error(), (401, "AUTH-0001"));
    let set = anonymous.put(
        &path,
        json!({"code": code, "new_password": "a new and long password"}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    let again = anonymous.put(
        &path,
        json!({"code": code, "new_password": "another long password"}),
    );
    assert_eq!(again.error(), (400, "USER-0017"));
    // The new password logs in, the old one no longer.
    let session = password_session(&t, "grace", "a new and long password");
    assert_eq!(session.status, 201, "{}", session.body);
    let old = password_session(&t, "grace", "first password");
    assert_eq!(old.error(), (400, "SESSION-0002"));
}

#[test]
fn a_manager_may_have_the_code_returned_for_another_user() {
    let t = server().tenant();
    let (id, _) = human(&t, "grace");
    let r = t.client.post(
        &format!("/v1/users/{id}/email/send_code"),
        json!({"send": "return"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let code = r.str("code");
    let ok = t.client.post(
        &format!("/v1/users/{id}/email/verify"),
        json!({"code": code}),
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
}

#[test]
fn an_invitation_sets_the_first_password_and_verifies_the_email() {
    let t = server().tenant();
    let sink = MailSink::start(0);
    use_sink(&t, &sink);
    let org = super::default_org(&t);
    let r = t.client.post(
        &format!("/v1/orgs/{org}/users/human"),
        json!({"username": "newcomer", "profile": {"given_name": "New", "family_name": "Comer",
               "preferred_language": "de"},
               "email": {"address": "newcomer@example.com"}}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.str("id");
    let invite = t
        .client
        .after(&r)
        .post(&format!("/v1/users/{id}/invite"), json!({}));
    assert_eq!(invite.status, 200, "{}", invite.body);
    let mail = sink.wait_for("newcomer@example.com", 1);
    // In the user's language.
    assert_eq!(mail["subject"], "Ihr neues Konto");
    assert!(mail["text"]
        .as_str()
        .unwrap()
        .starts_with("Hallo New Comer"));
    let set = t.anonymous().put(
        &format!("/v1/users/{id}/password"),
        json!({"code": code_in(&mail), "new_password": "my very first password"}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    let user = t.client.after(&set).get(&format!("/v1/users/{id}"));
    assert_eq!(user.body["email"]["verified"], true, "{}", user.body);
}

#[test]
fn a_server_that_refuses_for_a_while_gets_the_message_later_and_each_attempt_is_recorded() {
    let t = server().tenant();
    let sink = MailSink::start(2);
    use_sink(&t, &sink);
    let (id, me) = human(&t, "grace");
    let sent = me.post(&format!("/v1/users/{id}/email/send_code"), json!({}));
    assert_eq!(sent.status, 200, "{}", sent.body);
    let mail = sink.wait_for("grace@example.com", 1);
    assert_eq!(code_in(&mail).len(), 8);
    wait_for_events(&t, &id, "user.notification.sent", 1);
    let events = events_of(&t, &id);
    let failed: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "user.notification.failed")
        .collect();
    assert_eq!(failed.len(), 2, "{events:?}");
    assert!(
        failed[0]["payload"]["reason"]
            .as_str()
            .unwrap()
            .contains("451"),
        "{}",
        failed[0]
    );
    // Once only.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(sink.messages_to("grace@example.com").len(), 1);
}

#[test]
fn a_message_acknowledged_before_a_kill_9_arrives_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let allow = [("PORTCULLIS_ALLOW_PRIVATE_HOSTS", "true")];
    let server = super::start(&data, &allow);
    let api = testkit::Client::new(&server.base, Some("localhost"))
        .token(&super::read(&data, "admin.pat"));
    // The SMTP server is down: nothing listens on its port yet.
    let port = super::free_port();
    let smtp = api.put(
        "/v1/instance/smtp",
        json!({"host": "127.0.0.1", "port": port, "tls": "none",
               "sender_address": "login@example.com", "sender_name": "Example login"}),
    );
    assert_eq!(smtp.status, 200, "{}", smtp.body);
    let org = super::default_org_of(&api);
    let user = api.post(
        &format!("/v1/orgs/{org}/users/human"),
        json!({"username": "grace", "profile": {"given_name": "Grace", "family_name": "Hopper"},
               "email": {"address": "grace@example.com"}}),
    );
    assert_eq!(user.status, 201, "{}", user.body);
    let sent = api.after(&user).post(
        &format!("/v1/users/{}/email/send_code", user.str("id")),
        json!({}),
    );
    assert_eq!(sent.status, 200, "{}", sent.body);
    // Acknowledged, then the process dies at once.
    super::signal(&server.child, "-KILL");
    let mut child = server.child;
    child.wait().unwrap();
    let sink = MailSink::on(Some(port), 0);
    let restarted = super::start(&data, &allow);
    let mail = sink.wait_for("grace@example.com", 1);
    assert_eq!(code_in(&mail).len(), 8);
    restarted.stop();
}

#[test]
fn an_orgs_texts_come_before_the_instances_in_the_users_language() {
    let t = server().tenant();
    let sink = MailSink::start(0);
    use_sink(&t, &sink);
    let org = super::default_org(&t);
    let instance_texts = t.client.put(
        "/v1/instance/texts/verify_email/de",
        json!({"subject": "Instanz: bitte bestätigen", "text": "Der Code der Instanz."}),
    );
    assert_eq!(instance_texts.status, 200, "{}", instance_texts.body);
    let org_texts = t.client.put(
        &format!("/v1/orgs/{org}/texts/verify_email/de"),
        json!({"subject": "Acme: bitte bestätigen"}),
    );
    assert_eq!(org_texts.status, 200, "{}", org_texts.body);
    let read = t
        .client
        .after(&org_texts)
        .get(&format!("/v1/orgs/{org}/texts/verify_email/de"));
    assert_eq!(read.body, json!({"subject": "Acme: bitte bestätigen"}));
    // Bad input: an unknown template, a language that is none, a subject with a header.
    let unknown = t
        .client
        .put("/v1/instance/texts/welcome/de", json!({"subject": "x"}));
    assert_eq!(unknown.error(), (404, "SETTINGS-0002"));
    let no_language = t
        .client
        .put("/v1/instance/texts/init/deutsch", json!({"subject": "x"}));
    assert_eq!(no_language.error(), (400, "SETTINGS-0001"));
    let header = t.client.put(
        "/v1/instance/texts/init/de",
        json!({"subject": "Hallo\r\nBcc: victim@example.com"}),
    );
    assert_eq!(header.error(), (400, "SETTINGS-0001"));

    let german = t.client.after(&org_texts).post(
        &format!("/v1/orgs/{org}/users/human"),
        json!({"username": "heidi", "profile": {"given_name": "Heidi", "family_name": "Muster",
               "preferred_language": "de-CH"}, "email": {"address": "heidi@example.com"}}),
    );
    assert_eq!(german.status, 201, "{}", german.body);
    let sent = t.client.after(&german).post(
        &format!("/v1/users/{}/email/send_code", german.str("id")),
        json!({}),
    );
    assert_eq!(sent.status, 200, "{}", sent.body);
    let mail = sink.wait_for("heidi@example.com", 1);
    assert_eq!(mail["subject"], "Acme: bitte bestätigen");
    assert!(
        mail["text"]
            .as_str()
            .unwrap()
            .contains("Der Code der Instanz."),
        "{mail}"
    );
    assert_eq!(code_in(&mail).len(), 8);
    // Removed: the instance's again.
    let reset = t
        .client
        .delete(&format!("/v1/orgs/{org}/texts/verify_email/de"));
    assert_eq!(reset.status, 200, "{}", reset.body);
    let again = t.client.after(&reset).post(
        &format!("/v1/users/{}/email/send_code", german.str("id")),
        json!({}),
    );
    assert_eq!(again.status, 200, "{}", again.body);
    let mail = sink.wait_for("heidi@example.com", 2);
    assert_eq!(mail["subject"], "Instanz: bitte bestätigen");
}

#[test]
fn an_instance_cannot_send_through_the_operators_own_network_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = super::start(&data, &[]);
    let api = testkit::Client::new(&server.base, Some("localhost"))
        .token(&super::read(&data, "admin.pat"));
    let sink = MailSink::start(0);
    let smtp = |host: &str| {
        api.put(
            "/v1/instance/smtp",
            json!({"host": host, "port": sink.port, "tls": "none",
                   "sender_address": "login@example.com", "sender_name": "Example login"}),
        )
    };
    for private in [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.1",
        "169.254.169.254",
        "100.64.0.1",
    ] {
        let r = smtp(private);
        assert_eq!(r.error(), (400, "SMTP-0003"), "{private}: {}", r.body);
    }
    // A name that resolves to one is refused when it is used.
    let named = smtp("localhost");
    assert_eq!(named.status, 200, "{}", named.body);
    let test = api
        .after(&named)
        .post("/v1/instance/smtp/test", json!({"to": "ops@example.com"}));
    assert_eq!(test.error(), (412, "SMTP-0002"), "{}", test.body);
    assert!(test.body["message"]
        .as_str()
        .unwrap()
        .contains("private address"));
    assert!(sink.messages().is_empty());
    // Nor through an SMS provider there, or over plain http.
    for endpoint in [
        "http://127.0.0.1:9/sms",
        "https://10.1.2.3/sms",
        "https://169.254.169.254/latest",
        "https://[::1]/sms",
        "https://localhost/sms",
        "http://sms.example.com/send",
    ] {
        let r = api.put("/v1/instance/sms", json!({"http": {"endpoint": endpoint}}));
        assert_eq!(r.error(), (400, "SMS-0002"), "{endpoint}: {}", r.body);
    }
    // Nor read a SAML SP's metadata there.
    let orgs = api.get("/v1/orgs");
    let org = orgs.body["items"][0]["id"].as_str().unwrap().to_string();
    let project = api.post(&format!("/v1/orgs/{org}/projects"), json!({"name": "Wiki"}));
    assert_eq!(project.status, 201, "{}", project.body);
    let metadata = HttpSink::start(0);
    metadata.serve("<md:EntityDescriptor/>");
    let r = api.after(&project).post(
        &format!("/v1/projects/{}/apps/saml", project.str("id")),
        json!({"name": "Wiki", "metadata_url": metadata.url("/metadata.xml")}),
    );
    assert_eq!(r.error(), (400, "SAML-0001"), "{}", r.body);
    assert!(
        r.body["message"].as_str().unwrap().contains("private"),
        "{}",
        r.body
    );
    assert!(metadata.calls("/metadata.xml").is_empty());
    server.stop();
}

#[test]
fn the_same_over_grpc() {
    use gateway::grpc::pb;
    use pb::notification_service_client::NotificationServiceClient;

    use super::grpc::{block, call, channel};

    let t = server().tenant();
    let sink = MailSink::start(0);
    let (id, _) = human(&t, "grace");
    let org = super::default_org(&t);
    block(async {
        let mut api = NotificationServiceClient::new(channel(&t.domain).await);
        let pat = t.admin_pat.as_str();
        let set = api
            .set_smtp(call(
                pb::SetSmtpRequest {
                    host: "127.0.0.1".into(),
                    port: u32::from(sink.port),
                    tls: "none".into(),
                    user: None,
                    password: None,
                    sender_address: "login@example.com".into(),
                    sender_name: "Example login".into(),
                },
                pat,
                None,
            ))
            .await
            .expect("SetSmtp")
            .into_inner();
        let read = api
            .get_smtp(call(pb::GetSmtpRequest {}, pat, Some(&set.position)))
            .await
            .expect("GetSmtp")
            .into_inner();
        assert_eq!((read.tls.as_str(), read.has_password), ("none", false));
        let bad = api
            .set_smtp(call(
                pb::SetSmtpRequest {
                    host: "smtp.example.com".into(),
                    port: 70000,
                    ..pb::SetSmtpRequest::default()
                },
                pat,
                None,
            ))
            .await
            .expect_err("a port past 65535");
        assert_eq!(bad.code(), tonic::Code::InvalidArgument);
        api.test_smtp(call(
            pb::TestSmtpRequest {
                to: "ops@example.com".into(),
            },
            pat,
            None,
        ))
        .await
        .expect("TestSmtp");
        let texts = api
            .set_org_texts(call(
                pb::SetOrgTextsRequest {
                    org_id: org.clone(),
                    template: "verify_email".into(),
                    language: "en".into(),
                    texts: Some(pb::MessageTexts {
                        subject: Some("Acme: verify".into()),
                        ..pb::MessageTexts::default()
                    }),
                },
                pat,
                None,
            ))
            .await
            .expect("SetOrgTexts")
            .into_inner();
        let own = api
            .get_org_texts(call(
                pb::GetOrgTextsRequest {
                    org_id: org.clone(),
                    template: "verify_email".into(),
                    language: "en".into(),
                },
                pat,
                Some(&texts.position),
            ))
            .await
            .expect("GetOrgTexts")
            .into_inner();
        assert_eq!(own.subject.as_deref(), Some("Acme: verify"));
        let sent = api
            .send_email_code(call(
                pb::SendEmailCodeRequest {
                    id: id.clone(),
                    send: String::new(),
                },
                pat,
                None,
            ))
            .await
            .expect("SendEmailCode")
            .into_inner();
        assert!(sent.code.is_none());
        let returned = api
            .reset_password(call(
                pb::ResetPasswordRequest {
                    id: id.clone(),
                    send: "return".into(),
                },
                pat,
                None,
            ))
            .await
            .expect("ResetPassword")
            .into_inner();
        assert_eq!(returned.code.map(|c| c.len()), Some(8));
        let mail = sink.wait_for("grace@example.com", 1);
        assert_eq!(mail["subject"], "Acme: verify");
        let wrong = api
            .verify_email(call(
                pb::VerifyEmailRequest {
                    id: id.clone(),
                    code: "WRONG000".into(),
                },
                pat,
                None,
            ))
            .await
            .expect_err("a wrong code");
        assert_eq!(wrong.code(), tonic::Code::InvalidArgument);
        api.verify_email(call(
            pb::VerifyEmailRequest {
                id: id.clone(),
                code: code_in(&mail),
            },
            pat,
            None,
        ))
        .await
        .expect("VerifyEmail");
    });
    assert_eq!(sink.messages_to("ops@example.com").len(), 1);
}
