//! Given / when / then for aggregate tests: events given, a command, the events or the error
//! expected.

use std::sync::Arc;

use authz::{Caller, Memberships, Principal};

use crate::aggregate::{Aggregate, AggregateKey, Ctx};
use crate::error::{Code, Result};

pub const NOW: i64 = 1_700_000_000_000;

/// A SAML app's configuration as a plain SP's metadata gives it: one ACS by HTTP-POST, no
/// logout, unsigned requests, persistent NameIDs.
pub fn saml_app() -> crate::saml::SamlConfig {
    use crate::saml::{Binding, Endpoint, NameIdFormat, SamlConfig};
    SamlConfig {
        name: "Wiki".into(),
        entity_id: "https://wiki.example.com/saml".into(),
        acs: vec![Endpoint {
            binding: Binding::Post,
            location: "https://wiki.example.com/acs".into(),
            index: Some(0),
            is_default: true,
        }],
        slo: vec![],
        certificates: vec![],
        requests_signed: false,
        name_id_format: NameIdFormat::Persistent,
        idp_initiated: false,
        encrypt_to: None,
        metadata_url: None,
    }
}

/// A caller for tests: the domain's `decide` does not check permissions (the actor does), so
/// this is only the "who" recorded with the events.
pub fn caller() -> Caller {
    Caller::Principal(Arc::new(Principal {
        instance: "inst".into(),
        org: "org".into(),
        user: "caller".into(),
        memberships: Memberships::new(),
    }))
}

pub struct Given<A: Aggregate> {
    state: A,
    key: AggregateKey,
    caller: Caller,
}

pub fn given<A: Aggregate>(events: &[A::Event]) -> Given<A> {
    Given {
        state: A::from_events(events),
        key: AggregateKey {
            instance: "inst".into(),
            kind: A::KIND,
            id: "agg-1".into(),
        },
        caller: caller(),
    }
}

/// The aggregate itself as the caller (a user acting on themself).
pub fn self_caller() -> Caller {
    Caller::Principal(Arc::new(Principal {
        instance: "inst".into(),
        org: "org".into(),
        user: "agg-1".into(),
        memberships: Memberships::new(),
    }))
}

/// A caller of another instance (`home`), such as a system user.
pub fn outside_caller() -> Caller {
    Caller::Principal(Arc::new(Principal {
        instance: "home".into(),
        org: "org".into(),
        user: "system-user".into(),
        memberships: Memberships::new(),
    }))
}

pub struct When<A: Aggregate> {
    result: Result<Vec<A::Event>>,
}

impl<A: Aggregate> Given<A> {
    /// Who sends the command (by default [`caller`], a user of the aggregate's instance).
    pub fn by(mut self, caller: Caller) -> Given<A> {
        self.caller = caller;
        self
    }

    pub fn when(self, cmd: A::Command) -> When<A> {
        let result = self.state.decide(
            &cmd,
            Ctx {
                key: &self.key,
                caller: &self.caller,
                now: NOW,
            },
        );
        When { result }
    }
}

impl<A: Aggregate> When<A>
where
    A::Event: std::fmt::Debug + PartialEq,
{
    #[track_caller]
    pub fn then(self, expected: &[A::Event]) {
        match self.result {
            Ok(events) => assert_eq!(events, expected),
            Err(e) => panic!("expected events {expected:?}, got error {e}"),
        }
    }

    #[track_caller]
    pub fn then_error(self, code: Code) {
        match self.result {
            Ok(events) => panic!("expected {code}, got events {events:?}"),
            Err(e) => assert_eq!(e.code, code, "{e}"),
        }
    }
}
