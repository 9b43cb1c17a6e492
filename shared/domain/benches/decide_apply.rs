//! The pure core on its hot path: `decide` a command, `apply` an event, restore a state from
//! its events, and the event codec. `cargo bench -p domain --bench decide_apply`; the restore
//! of 100 events is the baseline the others are read against.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use domain::codec;
use domain::testing::{caller, NOW};
use domain::user::{Email, NewHuman, Profile, User, UserChange, UserCommand, UserEvent};
use domain::{Aggregate, AggregateKey, Ctx};

fn human() -> UserEvent {
    UserEvent::HumanAdded {
        org_id: "org-1".into(),
        username: "grace".into(),
        profile: Profile {
            given_name: "Grace".into(),
            family_name: "Hopper".into(),
            display_name: "Grace Hopper".into(),
            preferred_language: Some("en".into()),
        },
        email: Email {
            address: "grace@example.com".into(),
            verified: true,
        },
        phone: None,
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        password_set_at: Some(1_700_000_000_000),
        password_change_required: false,
    }
}

/// A user with `n` events: created, then personal access tokens.
fn history(n: usize) -> Vec<UserEvent> {
    std::iter::once(human())
        .chain((1..n).map(|k| UserEvent::PatAdded {
            pat_id: format!("pat-{k}"),
            token_hash: format!("{k:064x}"),
            expires_at: None,
        }))
        .collect()
}

fn bench(c: &mut Criterion) {
    let key = AggregateKey {
        instance: "inst".into(),
        kind: User::KIND,
        id: "user-1".into(),
    };
    let caller = caller();
    let ctx = Ctx {
        key: &key,
        caller: &caller,
        now: NOW,
    };
    let events = history(100);

    c.bench_function("restore a user from 100 events (baseline)", |b| {
        b.iter(|| User::from_events(black_box(&events)))
    });

    let new = UserCommand::AddHuman(NewHuman {
        org_id: "org-1".into(),
        username: "ada".into(),
        profile: Profile {
            given_name: "Ada".into(),
            family_name: "Lovelace".into(),
            display_name: String::new(),
            preferred_language: None,
        },
        email: Email {
            address: "ada@example.com".into(),
            verified: false,
        },
        phone: None,
        password_hash: None,
        password_change_required: false,
        then: vec![],
    });
    let empty = User::default();
    c.bench_function("decide: add a human", |b| {
        b.iter(|| empty.decide(black_box(&new), ctx).unwrap())
    });

    let state = User::from_events(&events);
    let email = UserCommand::Change(UserChange::Email {
        address: "grace.hopper@example.com".into(),
        verified: false,
    });
    c.bench_function("decide: change the email of a user of 100 events", |b| {
        b.iter(|| state.decide(black_box(&email), ctx).unwrap())
    });

    let added = UserEvent::PatAdded {
        pat_id: "pat-new".into(),
        token_hash: "f".repeat(64),
        expires_at: Some(NOW + 3_600_000),
    };
    c.bench_function("apply: a token added to a user of 100 events", |b| {
        b.iter_batched_ref(
            || state.clone(),
            |s| s.apply(black_box(&added)),
            criterion::BatchSize::SmallInput,
        )
    });

    let (version, payload) = codec::encode(&human());
    c.bench_function("codec: encode a human added", |b| {
        b.iter(|| codec::encode(black_box(&human())))
    });
    c.bench_function("codec: decode a human added", |b| {
        b.iter(|| {
            codec::decode::<UserEvent>("user.human.added", version, black_box(&payload)).unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
