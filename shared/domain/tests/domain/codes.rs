//! Given / when / then for one-time codes (verification, reset, invitation) and the messages
//! that carry them, and for an instance's SMTP server.

use domain::instance::{Instance, InstanceCommand as IC, InstanceEvent as IE};
use domain::sms::SmsConfig;
use domain::smtp::{SmtpConfig, SmtpTls};
use domain::testing::{given, NOW};
use domain::user::{
    next_attempt, Channel, CodeKind, Email, Message, NewCode, User, UserChange as Ch,
    UserCommand as C, UserEvent as E, MOST_ATTEMPTS,
};

use super::user_changes::human;
use domain::Code;

fn s(v: &str) -> String {
    v.to_string()
}

fn message(id: &str) -> Message {
    Message {
        id: s(id),
        channel: Channel::Email,
        sealed_code: s("sealed"),
        base_url: s("https://acme.test"),
    }
}

fn code_added(kind: CodeKind, hash: &str) -> E {
    E::CodeAdded {
        kind,
        code_hash: s(hash),
        expires_at: NOW + kind.lifetime_ms(),
        message: Some(message("m1")),
    }
}

fn add_code(kind: CodeKind, hash: &str) -> C {
    C::Change(Ch::AddCode(NewCode {
        kind,
        code_hash: s(hash),
        message: Some(message("m1")),
    }))
}

fn verify(hash: &str, at: i64) -> C {
    C::Change(Ch::Verify {
        kind: CodeKind::VerifyEmail,
        code_hash: s(hash),
        at,
    })
}

#[test]
fn an_email_code_verifies_the_address_once_and_only_while_fresh() {
    given::<User>(&[human()])
        .when(add_code(CodeKind::VerifyEmail, "h1"))
        .then(&[code_added(CodeKind::VerifyEmail, "h1")]);
    let pending = [human(), code_added(CodeKind::VerifyEmail, "h1")];
    given::<User>(&pending)
        .when(verify("h1", NOW + 1000))
        .then(&[E::EmailVerified]);
    given::<User>(&pending)
        .when(verify("h2", NOW + 1000))
        .then_error(Code::InvalidCode);
    let expired = NOW + CodeKind::VerifyEmail.lifetime_ms();
    given::<User>(&pending)
        .when(verify("h1", expired))
        .then_error(Code::InvalidCode);
    // Used: a second use is refused.
    let used = [
        human(),
        code_added(CodeKind::VerifyEmail, "h1"),
        E::EmailVerified,
    ];
    given::<User>(&used)
        .when(verify("h1", NOW + 1000))
        .then_error(Code::InvalidCode);
    // Verified already: no new code.
    given::<User>(&[human(), E::EmailVerified])
        .when(add_code(CodeKind::VerifyEmail, "h1"))
        .then_error(Code::AlreadyVerified);
}

#[test]
fn a_new_address_voids_the_code_sent_to_the_old_one() {
    given::<User>(&[
        human(),
        code_added(CodeKind::VerifyEmail, "h1"),
        E::EmailChanged {
            email: Email {
                address: s("attacker@example.com"),
                verified: false,
            },
        },
    ])
    .when(verify("h1", NOW + 1000))
    .then_error(Code::InvalidCode);
}

#[test]
fn wrong_codes_void_the_code_at_the_lockout_limit() {
    let wrong = || {
        C::Change(Ch::CodeWrong {
            kind: CodeKind::VerifyEmail,
            max_attempts: 2,
        })
    };
    let pending = [human(), code_added(CodeKind::VerifyEmail, "h1")];
    given::<User>(&pending)
        .when(wrong())
        .then(&[E::CodeCheckFailed {
            kind: CodeKind::VerifyEmail,
            void: false,
        }]);
    let once = [
        human(),
        code_added(CodeKind::VerifyEmail, "h1"),
        E::CodeCheckFailed {
            kind: CodeKind::VerifyEmail,
            void: false,
        },
    ];
    given::<User>(&once)
        .when(wrong())
        .then(&[E::CodeCheckFailed {
            kind: CodeKind::VerifyEmail,
            void: true,
        }]);
    // Void: even the right code no longer works.
    let void = [
        human(),
        code_added(CodeKind::VerifyEmail, "h1"),
        E::CodeCheckFailed {
            kind: CodeKind::VerifyEmail,
            void: true,
        },
    ];
    given::<User>(&void)
        .when(verify("h1", NOW + 1000))
        .then_error(Code::InvalidCode);
    // No code: nothing to count.
    given::<User>(&[human()]).when(wrong()).then(&[]);
}

#[test]
fn a_reset_code_sets_the_password_once_and_an_invitation_also_verifies_the_email() {
    let by_code = |hash: &str| {
        C::Change(Ch::PasswordByCode {
            code_hash: s(hash),
            password_hash: s("new-hash"),
            at: NOW + 1000,
        })
    };
    let changed = E::PasswordChanged {
        password_hash: s("new-hash"),
        at: Some(NOW + 1000),
    };
    let reset = [human(), code_added(CodeKind::PasswordReset, "r1")];
    given::<User>(&reset)
        .when(by_code("r1"))
        .then(&[changed.clone()]);
    given::<User>(&reset)
        .when(by_code("r2"))
        .then_error(Code::InvalidCode);
    let invited = [human(), code_added(CodeKind::Init, "i1")];
    given::<User>(&invited)
        .when(by_code("i1"))
        .then(&[changed.clone(), E::EmailVerified]);
    // A verification code does not set a password.
    given::<User>(&[human(), code_added(CodeKind::VerifyEmail, "v1")])
        .when(by_code("v1"))
        .then_error(Code::InvalidCode);
    // Used once, gone.
    given::<User>(&[human(), code_added(CodeKind::PasswordReset, "r1"), changed])
        .when(by_code("r1"))
        .then_error(Code::InvalidCode);
}

#[test]
fn a_message_is_recorded_sent_or_failed_with_backoff_until_its_code_expires() {
    let delivered = |failure: Option<&str>, at: i64| {
        C::Change(Ch::Delivered {
            message_id: s("m1"),
            failure: failure.map(s),
            at,
        })
    };
    let pending = [human(), code_added(CodeKind::VerifyEmail, "h1")];
    given::<User>(&pending)
        .when(delivered(None, NOW))
        .then(&[E::NotificationSent {
            message_id: s("m1"),
        }]);
    given::<User>(&pending)
        .when(delivered(Some("421 busy"), NOW))
        .then(&[E::NotificationFailed {
            message_id: s("m1"),
            attempt: 1,
            reason: s("421 busy"),
            retry_at: Some(NOW + 1000),
        }]);
    assert_eq!(next_attempt(3, NOW), NOW + 8000);
    assert_eq!(next_attempt(30, NOW), NOW + 5 * 60 * 1000);
    // Past the code's life the message is given up.
    let late = NOW + CodeKind::VerifyEmail.lifetime_ms();
    given::<User>(&pending)
        .when(delivered(Some("421 busy"), late))
        .then(&[E::NotificationFailed {
            message_id: s("m1"),
            attempt: 1,
            reason: s("421 busy"),
            retry_at: None,
        }]);
    // At the last attempt it is given up too.
    let mut tried = vec![human(), code_added(CodeKind::Init, "i1")];
    for attempt in 1..MOST_ATTEMPTS {
        tried.push(E::NotificationFailed {
            message_id: s("m1"),
            attempt,
            reason: s("421 busy"),
            retry_at: Some(NOW + 1000),
        });
    }
    given::<User>(&tried)
        .when(delivered(Some("421 busy"), NOW))
        .then(&[E::NotificationFailed {
            message_id: s("m1"),
            attempt: MOST_ATTEMPTS,
            reason: s("421 busy"),
            retry_at: None,
        }]);
    // Sent already (or replaced): nothing more to record.
    let sent = [
        human(),
        code_added(CodeKind::VerifyEmail, "h1"),
        E::NotificationSent {
            message_id: s("m1"),
        },
    ];
    given::<User>(&sent).when(delivered(None, NOW)).then(&[]);
}

fn smtp() -> SmtpConfig {
    SmtpConfig {
        host: s("mail.acme.test"),
        port: 587,
        tls: SmtpTls::Starttls,
        user: Some(s("login")),
        sealed_password: Some(s("sealed-1")),
        sender_address: s("login@acme.test"),
        sender_name: s("Acme"),
    }
}

#[test]
fn an_smtp_server_keeps_its_password_when_none_is_sent_for_the_same_user() {
    let added = IE::Added {
        name: s("Acme"),
        domains: vec![s("acme.test")],
    };
    let set = IE::SmtpSet { config: smtp() };
    given::<Instance>(&[added.clone()])
        .when(IC::SetSmtp {
            config: smtp(),
            keep_password: false,
        })
        .then(&[set.clone()]);
    let without = SmtpConfig {
        sealed_password: None,
        port: 2525,
        ..smtp()
    };
    given::<Instance>(&[added.clone(), set.clone()])
        .when(IC::SetSmtp {
            config: without.clone(),
            keep_password: true,
        })
        .then(&[IE::SmtpSet {
            config: SmtpConfig {
                port: 2525,
                ..smtp()
            },
        }]);
    // Another user does not inherit the password.
    let other = SmtpConfig {
        user: Some(s("someone-else")),
        ..without
    };
    given::<Instance>(&[added.clone(), set])
        .when(IC::SetSmtp {
            config: other.clone(),
            keep_password: true,
        })
        .then(&[IE::SmtpSet { config: other }]);
    given::<Instance>(&[added])
        .when(IC::SetSmtp {
            config: SmtpConfig {
                sender_name: s("A\r\nBcc: x@y.z"),
                ..smtp()
            },
            keep_password: false,
        })
        .then_error(Code::InvalidSmtp);
}

#[test]
fn an_sms_provider_is_an_https_endpoint_with_a_sealed_key() {
    let added = IE::Added {
        name: s("Acme"),
        domains: vec![s("acme.test")],
    };
    let config = |endpoint: &str| SmsConfig {
        endpoint: s(endpoint),
        sealed_signing_key: s("sealed-key"),
    };
    given::<Instance>(&[added.clone()])
        .when(IC::SetSms(config(" https://sms.acme.test/send ")))
        .then(&[IE::SmsSet {
            config: config("https://sms.acme.test/send"),
        }]);
    for bad in [
        "sms.acme.test",
        "https://u:p@sms.acme.test/",
        "file:///etc/passwd",
    ] {
        given::<Instance>(&[added.clone()])
            .when(IC::SetSms(config(bad)))
            .then_error(Code::InvalidSms);
    }
}

fn sms_code(kind: CodeKind, hash: &str) -> (C, E) {
    let message = Message {
        channel: Channel::Sms,
        ..message("m1")
    };
    let new = NewCode {
        kind,
        code_hash: s(hash),
        message: Some(message.clone()),
    };
    let added = E::CodeAdded {
        kind,
        code_hash: s(hash),
        expires_at: NOW + kind.lifetime_ms(),
        message: Some(message),
    };
    (C::Change(Ch::AddCode(new)), added)
}

#[test]
fn a_code_goes_only_where_it_proves_something() {
    let phone = E::PhoneChanged {
        phone: Some(s("+41791234567")),
        verified: false,
    };
    // A phone code by SMS to the phone, verified with it once.
    let (send, sent) = sms_code(CodeKind::VerifyPhone, "h1");
    given::<User>(&[human(), phone.clone()])
        .when(send)
        .then(&[sent.clone()]);
    given::<User>(&[human(), phone.clone(), sent.clone()])
        .when(C::Change(Ch::Verify {
            kind: CodeKind::VerifyPhone,
            code_hash: s("h1"),
            at: NOW + 1000,
        }))
        .then(&[E::PhoneVerified]);
    // A new number voids the code sent to the old one.
    let other = E::PhoneChanged {
        phone: Some(s("+41797654321")),
        verified: false,
    };
    given::<User>(&[human(), phone.clone(), sent, other])
        .when(C::Change(Ch::Verify {
            kind: CodeKind::VerifyPhone,
            code_hash: s("h1"),
            at: NOW + 1000,
        }))
        .then_error(Code::InvalidCode);
    // No phone, no phone code; a phone code never by email, an email code never by SMS.
    given::<User>(&[human()])
        .when(sms_code(CodeKind::VerifyPhone, "h1").0)
        .then_error(Code::InvalidPhone);
    given::<User>(&[human(), phone.clone()])
        .when(add_code(CodeKind::VerifyPhone, "h1"))
        .then_error(Code::MalformedBody);
    for kind in [CodeKind::VerifyEmail, CodeKind::Init] {
        given::<User>(&[human(), phone.clone()])
            .when(sms_code(kind, "h1").0)
            .then_error(Code::MalformedBody);
    }
    // A reset by SMS only to a verified phone.
    given::<User>(&[human(), phone.clone()])
        .when(sms_code(CodeKind::PasswordReset, "h1").0)
        .then_error(Code::InvalidPhone);
    let (send, sent) = sms_code(CodeKind::PasswordReset, "h1");
    given::<User>(&[human(), phone, E::PhoneVerified])
        .when(send)
        .then(&[sent]);
}
