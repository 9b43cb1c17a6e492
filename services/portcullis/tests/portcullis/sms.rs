//! Text messages: the instance's SMS provider (a local HTTP receiver standing in for one),
//! phone verification by a code sent by SMS, a reset by SMS, each call signed with the key the
//! provider was given; retries and the attacker's tries (a forged or replayed signature would
//! not verify, a code by SMS where it proves nothing, the provider's key never shown again).

use serde_json::json;
use testkit::{server, Client, Tenant};

use super::http_sink::HttpSink;
use super::login_reset::field;
use super::mail_sink::{code_in, link_in};
use super::oidc_support::{issuer, UserAgent};
use super::self_management::human;

const PHONE: &str = "+41791234567";

/// Points the tenant's instance at `sink` and answers the signing key.
fn use_provider(t: &Tenant, sink: &HttpSink) -> String {
    let r = t.client.put(
        "/v1/instance/sms",
        json!({"http": {"endpoint": sink.endpoint()}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.str("signing_key")
}

/// A user with a phone number, and a client acting as them.
fn with_phone(t: &Tenant, username: &str) -> (String, Client) {
    let (id, me) = human(t, username);
    let r = me.put(&format!("/v1/users/{id}/phone"), json!({"phone": PHONE}));
    assert_eq!(r.status, 200, "{}", r.body);
    (id, me.after(&r))
}

#[test]
fn an_instance_sms_provider_is_set_with_a_key_shown_once() {
    let t = server().tenant();
    let sink = HttpSink::start(0);
    assert_eq!(t.client.get("/v1/instance/sms").error(), (412, "SMS-0001"));
    let key = use_provider(&t, &sink);
    assert!(key.len() >= 43, "{key}");
    let read = t.client.get("/v1/instance/sms");
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body, json!({"endpoint": sink.endpoint()}));
    // The key is in no read and in no event, sealed or not.
    let trail = t.client.get(&format!(
        "/v1/events?aggregate_id={}&limit=1000",
        t.instance_id
    ));
    assert!(trail.body.to_string().contains("instance.sms.set"));
    assert!(!trail.body.to_string().contains(&key), "{}", trail.body);
    // Each PUT makes a new key.
    assert_ne!(use_provider(&t, &sink), key);
    for bad in [
        json!({"http": {"endpoint": "sms.example.com/send"}}),
        json!({"http": {"endpoint": "https://user:secret@sms.example.com/"}}),
        json!({"http": {"endpoint": "file:///etc/passwd"}}),
        json!({"http": {"endpoint": format!("https://sms.example.com/{}", "a".repeat(2000))}}),
    ] {
        let r = t.client.put("/v1/instance/sms", bad.clone());
        assert_eq!(r.error(), (400, "SMS-0002"), "{bad}: {}", r.body);
    }
    let r = t.client.put(
        "/v1/instance/sms",
        json!({"endpoint": "https://sms.example.com/"}),
    );
    assert_eq!(r.error(), (400, "REQ-0001"), "{}", r.body);
}

#[test]
fn a_user_verifies_their_phone_with_a_code_sent_by_sms() {
    let t = server().tenant();
    // The provider is down for the first call: the message is sent again.
    let sink = HttpSink::start(1);
    let key = use_provider(&t, &sink);
    let (id, me) = with_phone(&t, "grace");
    let sent = me.post(&format!("/v1/users/{id}/phone/send_code"), json!({}));
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.get("code").is_none(), "{}", sent.body);
    let first = sink.wait_for(PHONE, 1);
    let call = sink.wait_for(PHONE, 2);
    assert_eq!(call.path, "/sms");
    assert!(call.signed_with(&key), "{call:?}");
    assert!(!call.signed_with("another key"));
    // What was signed is what was sent: another body under the same signature fails.
    let forged = super::http_sink::Call {
        body: br#"{"to":"+41790000000","text":"x"}"#.to_vec(),
        ..call.clone()
    };
    assert!(!forged.signed_with(&key));
    assert_eq!(first.body, call.body, "the same message both times");
    let message = call.json();
    assert_eq!(message["to"], PHONE);
    let text = message["text"].as_str().unwrap();
    assert!(text.contains("confirm your phone number"), "{text}");
    let code = code_in(&message);
    // A wrong code is refused; the right one verifies, once.
    let verify = |code: &str| {
        me.post(
            &format!("/v1/users/{id}/phone/verify"),
            json!({"code": code}),
        )
    };
    assert_eq!(verify("ZZZZZZZZ").error(), (400, "USER-0017"));
    let done = verify(&code);
    assert_eq!(done.status, 200, "{}", done.body);
    let user = me.after(&done).get(&format!("/v1/users/{id}"));
    assert_eq!(
        user.body["phone"],
        json!({"number": PHONE, "verified": true})
    );
    assert_eq!(verify(&code).error(), (400, "USER-0017"), "used");
    // The audit trail has the failed attempt and the sent one.
    let trail = t
        .client
        .get(&format!("/v1/events?aggregate_id={id}&limit=1000"))
        .body
        .to_string();
    for event in [
        "user.notification.failed",
        "user.notification.sent",
        "user.human.phone.verified",
    ] {
        assert!(trail.contains(event), "{event}: {trail}");
    }
    assert!(trail.contains("503"), "{trail}");
    // The message's link opens the hosted login's page for a phone.
    let page = UserAgent::default().request("GET", &link_in(&message), None);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Verify your phone number"),
        "{}",
        page.body
    );
    assert!(page.body.contains("action=\"/ui/login/verify_phone\""));
}

#[test]
fn the_link_of_a_phone_code_verifies_with_one_click() {
    let t = server().tenant();
    let sink = HttpSink::start(0);
    use_provider(&t, &sink);
    let (id, me) = with_phone(&t, "ada");
    let sent = me.post(&format!("/v1/users/{id}/phone/send_code"), json!({}));
    assert_eq!(sent.status, 200, "{}", sent.body);
    let link = link_in(&sink.wait_for(PHONE, 1).json());
    let mut b = UserAgent::default();
    let page = b.request("GET", &link, None);
    let done = b.request(
        "POST",
        &format!("{}/ui/login/verify_phone", issuer(&t)),
        Some(&[
            ("csrf", &field(&page.body, "csrf")),
            ("user", &field(&page.body, "user")),
            ("code", &field(&page.body, "code")),
        ]),
    );
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.body.contains("your phone number is verified"),
        "{}",
        done.body
    );
    let verified = |r: &testkit::Reply| r.body["phone"]["verified"] == true;
    let user = me.get_until(&format!("/v1/users/{id}"), verified);
    assert!(verified(&user), "{}", user.body);
    // The email address is not what the phone's code verifies.
    assert_eq!(user.body["email"]["verified"], false, "{}", user.body);
}

#[test]
fn a_code_goes_by_sms_only_where_it_proves_something() {
    let t = server().tenant();
    let sink = HttpSink::start(0);
    use_provider(&t, &sink);
    let (id, me) = with_phone(&t, "alan");
    // An email code by SMS, or a phone code by email, is refused.
    let r = me.post(
        &format!("/v1/users/{id}/email/send_code"),
        json!({"send": "sms"}),
    );
    assert_eq!(r.error(), (400, "REQ-0001"), "{}", r.body);
    let r = me.post(
        &format!("/v1/users/{id}/phone/send_code"),
        json!({"send": "email"}),
    );
    assert_eq!(r.error(), (400, "REQ-0001"), "{}", r.body);
    // A reset by SMS goes only to a verified phone.
    let reset = |send: &str| {
        t.client.post(
            &format!("/v1/users/{id}/password/reset"),
            json!({"send": send}),
        )
    };
    assert_eq!(reset("sms").error(), (400, "USER-0013"));
    let code = me
        .post(&format!("/v1/users/{id}/phone/send_code"), json!({}))
        .status;
    assert_eq!(code, 200);
    let phone_code = code_in(&sink.wait_for(PHONE, 1).json());
    let verified = me.post(
        &format!("/v1/users/{id}/phone/verify"),
        json!({"code": phone_code}),
    );
    assert_eq!(verified.status, 200, "{}", verified.body);
    let sent = t.client.after(&verified).post(
        &format!("/v1/users/{id}/password/reset"),
        json!({"send": "sms"}),
    );
    assert_eq!(sent.status, 200, "{}", sent.body);
    let message = sink.wait_for(PHONE, 2).json();
    assert!(link_in(&message).contains("/ui/login/reset?"), "{message}");
    let set = t.anonymous().put(
        &format!("/v1/users/{id}/password"),
        json!({"code": code_in(&message), "new_password": "a new phone-reset password"}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    // Without a phone number there is nothing to send to.
    let (other, them) = human(&t, "nophone");
    let r = them.post(&format!("/v1/users/{other}/phone/send_code"), json!({}));
    assert_eq!(r.error(), (400, "USER-0013"), "{}", r.body);
}

#[test]
fn the_same_over_grpc() {
    use gateway::grpc::pb;
    use pb::notification_service_client::NotificationServiceClient;

    use super::grpc::{block, call, channel};

    let t = server().tenant();
    let sink = HttpSink::start(0);
    let (id, _) = with_phone(&t, "grace");
    block(async {
        let mut api = NotificationServiceClient::new(channel(&t.domain).await);
        let pat = t.admin_pat.as_str();
        let set = api
            .set_sms(call(
                pb::SetSmsRequest {
                    endpoint: sink.endpoint(),
                },
                pat,
                None,
            ))
            .await
            .expect("SetSms")
            .into_inner();
        let read = api
            .get_sms(call(pb::GetSmsRequest {}, pat, Some(&set.position)))
            .await
            .expect("GetSms")
            .into_inner();
        assert_eq!(read.endpoint, sink.endpoint());
        let bad = api
            .set_sms(call(
                pb::SetSmsRequest {
                    endpoint: "ftp://sms.example.com/".into(),
                },
                pat,
                None,
            ))
            .await
            .expect_err("not http");
        assert_eq!(bad.code(), tonic::Code::InvalidArgument);
        api.send_phone_code(call(
            pb::SendPhoneCodeRequest {
                id: id.clone(),
                send: String::new(),
            },
            pat,
            None,
        ))
        .await
        .expect("SendPhoneCode");
        let sms = sink.wait_for(PHONE, 1);
        assert!(sms.signed_with(&set.signing_key));
        let verified = api
            .verify_phone(call(
                pb::VerifyPhoneRequest {
                    id: id.clone(),
                    code: code_in(&sms.json()),
                },
                pat,
                None,
            ))
            .await
            .expect("VerifyPhone");
        assert!(verified.into_inner().sequence > 0);
    });
}
