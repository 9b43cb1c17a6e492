//! What a token request costs in cryptography: signing an access token (ES256, the default),
//! an ID token (RS256) or with EdDSA; verifying one; sealing and opening an opaque token with
//! the master key; and argon2id password hashing at the default cost (what a login verifies).
//! `cargo bench -p gateway --bench credentials`; read the others against "seal an opaque
//! token", the cheapest way to issue a token.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use crypto::keys;
use crypto::sealing::{MasterKey, Purpose};
use crypto::secrets::{hash_password, verify_password, PasswordParams};
use gateway::oidc::jwt::{verify, Signer};
use serde_json::json;

fn bench(c: &mut Criterion) {
    let claims = json!({
        "iss": "https://id.example.com", "sub": "312908371928371", "aud": ["312908371928372"],
        "client_id": "312908371928372", "scope": "openid profile", "iat": 1_790_000_000,
        "exp": 1_790_003_600, "jti": "01937c1c-5a6e-7d2b-a1f8-1c2d3e4f5a6b",
    });
    let master = MasterKey::generate();
    let plain = claims.to_string().into_bytes();
    c.bench_function("seal an opaque token (baseline)", |b| {
        b.iter(|| master.seal_for(Purpose::OpaqueToken, "i1", black_box(&plain)))
    });
    let sealed = master.seal_for(Purpose::OpaqueToken, "i1", &plain);
    c.bench_function("open an opaque token", |b| {
        b.iter(|| {
            master
                .unseal_for(Purpose::OpaqueToken, "i1", black_box(&sealed))
                .unwrap()
        })
    });
    for alg in ["ES256", "RS256", "EdDSA"] {
        let key = keys::generate(alg).unwrap();
        let signer = Signer::new(&key.kid, alg, &key.private_der).unwrap();
        c.bench_function(&format!("sign a JWT ({alg})"), |b| {
            b.iter(|| signer.sign("at+jwt", black_box(&claims)).unwrap())
        });
        let token = signer.sign("at+jwt", &claims).unwrap();
        let jwks = vec![key.public_jwk.clone()];
        c.bench_function(&format!("verify a JWT ({alg})"), |b| {
            b.iter(|| verify(black_box(&token), &jwks).unwrap())
        });
    }
    let params = PasswordParams::default();
    let hash = hash_password("a password of some length", params).unwrap();
    let mut slow = c.benchmark_group("argon2id at the default cost (19 MiB, 2 passes)");
    slow.sample_size(10);
    slow.bench_function("hash a password", |b| {
        b.iter(|| hash_password(black_box("a password of some length"), params).unwrap())
    });
    slow.bench_function("verify a password", |b| {
        b.iter(|| verify_password(black_box("a password of some length"), &hash))
    });
    slow.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
