//! A second factor's check beside a password's, in the same run: a TOTP code (the key
//! unsealed, the three candidate steps computed and compared) and an argon2id verification at
//! the default cost. `cargo bench -p crypto --bench second_factor`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use crypto::sealing::{MasterKey, Purpose};
use crypto::secrets::{hash_password, verify_password, PasswordParams};
use crypto::totp;

fn bench(c: &mut Criterion) {
    let key = MasterKey::generate();
    let secret = totp::new_secret();
    let sealed = key.seal_for(Purpose::TotpSecret, "inst-1", secret.as_bytes());
    let now = 1_765_000_000_000;
    // The code of the step after now's: the check computes two candidates before it.
    let code = totp::code_at(&secret, totp::step_of(now) + 1).unwrap();
    c.bench_function("TOTP check (unseal the key, three steps)", |b| {
        b.iter(|| {
            let plain = key
                .unseal_for(Purpose::TotpSecret, "inst-1", black_box(&sealed))
                .unwrap();
            let secret = std::str::from_utf8(&plain).unwrap().to_string();
            totp::matching_step(&secret, black_box(&code), now)
        })
    });
    let hash = hash_password("correct horse battery staple", PasswordParams::default()).unwrap();
    c.bench_function("password check (argon2id, default cost)", |b| {
        b.iter(|| verify_password(black_box("correct horse battery staple"), &hash))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
