//! An instance's signing keys: the first key of an algorithm, rotation, pruning.

use domain::signing_keys::{SigningKeys, SigningKeysCommand as C, SigningKeysEvent as E};
use domain::testing::{given, NOW};
use domain::Code;

fn s(v: &str) -> String {
    v.to_string()
}

fn provide(kid: &str, alg: &str) -> C {
    C::Provide {
        kid: s(kid),
        alg: s(alg),
        public_jwk: format!("{{\"kid\":\"{kid}\"}}"),
        sealed: vec![1, 2, 3],
    }
}

fn added(kid: &str, alg: &str) -> E {
    E::KeyAdded {
        kid: s(kid),
        alg: s(alg),
        public_jwk: format!("{{\"kid\":\"{kid}\"}}"),
        sealed: vec![1, 2, 3],
    }
}

#[test]
fn a_first_key_is_published_and_active_at_once() {
    given::<SigningKeys>(&[])
        .when(provide("k1", "ES256"))
        .then(&[added("k1", "ES256"), E::KeyActivated { kid: s("k1") }]);
}

#[test]
fn a_second_first_key_of_an_algorithm_is_dropped_so_racing_first_uses_leave_one() {
    let first = [added("k1", "ES256"), E::KeyActivated { kid: s("k1") }];
    given::<SigningKeys>(&first)
        .when(provide("k2", "ES256"))
        .then(&[]);
    // Another algorithm still gets its own.
    given::<SigningKeys>(&first)
        .when(provide("k2", "RS256"))
        .then(&[added("k2", "RS256"), E::KeyActivated { kid: s("k2") }]);
}

#[test]
fn a_first_key_needs_a_known_algorithm_and_a_new_id() {
    given::<SigningKeys>(&[])
        .when(provide("k1", "HS256"))
        .then_error(Code::Internal);
    // A retired key of the algorithm is no active key, but its id stays taken.
    given::<SigningKeys>(&[
        added("k1", "ES256"),
        E::KeyActivated { kid: s("k1") },
        E::KeyRetired {
            kid: s("k1"),
            at: NOW,
        },
    ])
    .when(provide("k1", "ES256"))
    .then_error(Code::Internal);
}

#[test]
fn activating_a_published_key_retires_the_active_one() {
    given::<SigningKeys>(&[
        added("k1", "ES256"),
        E::KeyActivated { kid: s("k1") },
        added("k2", "ES256"),
    ])
    .when(C::Activate { kid: s("k2") })
    .then(&[
        // Activated before the old one retires: no moment without an active key.
        E::KeyActivated { kid: s("k2") },
        E::KeyRetired {
            kid: s("k1"),
            at: NOW,
        },
    ]);
}

#[test]
fn pruning_drops_only_keys_retired_before_the_cut() {
    given::<SigningKeys>(&[
        added("k1", "ES256"),
        E::KeyRetired {
            kid: s("k1"),
            at: NOW - 10,
        },
        added("k2", "ES256"),
        E::KeyRetired {
            kid: s("k2"),
            at: NOW,
        },
    ])
    .when(C::Prune {
        retired_before: NOW - 5,
    })
    .then(&[E::KeyRemoved { kid: s("k1") }]);
}
