//! Given / when / then for device authorization (RFC 8628): started, answered by the user,
//! polled no faster than allowed, exchanged once, and nothing after it expires.

use domain::oidc::{
    DeviceAuthorization, DeviceCommand as C, DeviceEvent as E, DeviceRequest, Login, PollOutcome,
    DEVICE_CODE_TTL,
};
use domain::testing::{given, NOW};
use domain::{Aggregate, Code};

fn s(v: &str) -> String {
    v.to_string()
}

fn started(expires_at: i64) -> E {
    E::Started {
        request: DeviceRequest {
            client_id: s("c1"),
            project_id: s("p1"),
            app_id: s("a1"),
            scope: vec![s("openid")],
            secret_hash: s("right"),
            expires_at,
        },
        interval: 5,
    }
}

fn login() -> Login {
    Login {
        user_id: s("u1"),
        session_id: s("s1"),
        auth_time: NOW,
        amr: vec![s("pwd")],
    }
}

fn poll(hash: &str) -> C {
    C::Poll {
        secret_hash: s(hash),
    }
}

#[test]
fn a_device_polls_until_its_user_answers_then_takes_its_tokens_once() {
    let live = started(NOW + DEVICE_CODE_TTL);
    // Given a new request, when the device polls, then the poll is recorded.
    given::<DeviceAuthorization>(std::slice::from_ref(&live))
        .when(poll("right"))
        .then(&[E::Polled {
            at: NOW,
            slow_down: false,
        }]);
    // Sooner than the interval: slow_down, and the interval grows by 5 s.
    let polled = E::Polled {
        at: NOW - 2_000,
        slow_down: false,
    };
    given::<DeviceAuthorization>(&[live.clone(), polled.clone()])
        .when(poll("right"))
        .then(&[E::Polled {
            at: NOW,
            slow_down: true,
        }]);
    let slowed = DeviceAuthorization::from_events(&[
        live.clone(),
        E::Polled {
            at: NOW,
            slow_down: true,
        },
    ]);
    assert_eq!(slowed.interval, 10);
    // Another device code: invalid_grant, and nothing recorded.
    given::<DeviceAuthorization>(std::slice::from_ref(&live))
        .when(poll("wrong"))
        .then_error(Code::InvalidGrant);
    // Approved: the device exchanges once; a second time it is refused.
    let approved = E::Approved { login: login() };
    given::<DeviceAuthorization>(&[live.clone(), approved.clone()])
        .when(C::Exchange {
            secret_hash: s("right"),
        })
        .then(&[E::Exchanged]);
    given::<DeviceAuthorization>(&[live.clone(), approved.clone(), E::Exchanged])
        .when(C::Exchange {
            secret_hash: s("right"),
        })
        .then_error(Code::InvalidGrant);
    let state = DeviceAuthorization::from_events(&[live.clone(), approved]);
    assert_eq!(state.outcome("right", NOW), PollOutcome::Approved(login()));
    assert_eq!(state.outcome("wrong", NOW), PollOutcome::Invalid);
}

#[test]
fn a_denied_or_expired_request_gives_nothing_and_is_answered_once() {
    let live = started(NOW + DEVICE_CODE_TTL);
    given::<DeviceAuthorization>(&[live.clone(), E::Denied])
        .when(poll("right"))
        .then_error(Code::DeviceAccessDenied);
    given::<DeviceAuthorization>(&[live.clone(), E::Denied])
        .when(C::Approve { login: login() })
        .then_error(Code::DeviceCodeExpired);
    // Expired: the device's poll and the user's answer are both refused.
    let old = started(NOW);
    given::<DeviceAuthorization>(std::slice::from_ref(&old))
        .when(poll("right"))
        .then_error(Code::DeviceCodeExpired);
    given::<DeviceAuthorization>(std::slice::from_ref(&old))
        .when(C::Approve { login: login() })
        .then_error(Code::DeviceCodeExpired);
    // Its user code is free again for a new request; a live one is not.
    given::<DeviceAuthorization>(std::slice::from_ref(&old))
        .when(C::Start(match started(NOW + DEVICE_CODE_TTL) {
            E::Started { request, .. } => request,
            _ => unreachable!(),
        }))
        .then(&[live.clone()]);
    given::<DeviceAuthorization>(std::slice::from_ref(&live))
        .when(C::Deny)
        .then(&[E::Denied]);
    given::<DeviceAuthorization>(&[])
        .when(poll("right"))
        .then_error(Code::InvalidGrant);
}
