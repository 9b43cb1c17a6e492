//! The second factors' checks beside a password's, in the same run: a TOTP code (the key
//! unsealed, the three candidate steps computed and compared), a WebAuthn assertion as a login
//! checks it (webauthn-rs, ES256), and an argon2id verification at the default cost. The
//! WebAuthn authenticator is made here: a P-256 key (ring) registered with a `none`
//! attestation, then signing a challenge, as a platform authenticator does.
//! `cargo bench -p command --bench second_factor`.

use std::hint::black_box;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use criterion::{criterion_group, criterion_main, Criterion};
use crypto::sealing::{MasterKey, Purpose};
use crypto::secrets::{hash_password, verify_password, PasswordParams};
use crypto::totp;
use ring::digest::{digest, SHA256};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use serde_json::{json, Value};
use webauthn_rs::prelude::{
    PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, WebauthnBuilder,
};

const ORIGIN: &str = "https://login.example.com";
const RP_ID: &str = "login.example.com";

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The challenge of a ceremony's options.
fn challenge(options: &Value) -> String {
    options["publicKey"]["challenge"]
        .as_str()
        .unwrap()
        .to_string()
}

fn client_data(kind: &str, challenge: &str) -> Vec<u8> {
    json!({"type": kind, "challenge": challenge, "origin": ORIGIN, "crossOrigin": false})
        .to_string()
        .into_bytes()
}

/// The authenticator data: the RP id's hash, the flags, the counter (and, at registration,
/// the credential).
fn auth_data(flags: u8, counter: u32, credential: &[u8]) -> Vec<u8> {
    let mut data = digest(&SHA256, RP_ID.as_bytes()).as_ref().to_vec();
    data.push(flags);
    data.extend(counter.to_be_bytes());
    data.extend(credential);
    data
}

/// A P-256 public key (uncompressed point) as a COSE key, in CBOR.
fn cose_key(point: &[u8]) -> Vec<u8> {
    let mut key = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20];
    key.extend(&point[1..33]);
    key.extend([0x22, 0x58, 0x20]);
    key.extend(&point[33..65]);
    key
}

/// `{"fmt": "none", "attStmt": {}, "authData": <data>}` in CBOR.
fn attestation_object(data: &[u8]) -> Vec<u8> {
    let mut object = vec![0xa3, 0x63];
    object.extend(b"fmt");
    object.push(0x64);
    object.extend(b"none");
    object.push(0x67);
    object.extend(b"attStmt");
    object.extend([0xa0, 0x68]);
    object.extend(b"authData");
    object.extend([0x59, (data.len() >> 8) as u8, data.len() as u8]);
    object.extend(data);
    object
}

/// A TOTP code checked as a login checks it.
fn totp_check(c: &mut Criterion) {
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
            let secret = String::from_utf8(plain).unwrap();
            totp::matching_step(&secret, black_box(&code), now)
        })
    });
}

fn bench(c: &mut Criterion) {
    totp_check(c);
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
    let key =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let credential_id = [7u8; 16];
    let url = Url::parse(ORIGIN).unwrap();
    let rp = WebauthnBuilder::new(RP_ID, &url).unwrap().build().unwrap();
    let user = Uuid::now_v7();

    // Registration: user present and verified (0x05), attested credential data (0x40).
    let (ccr, registration) = rp
        .start_passkey_registration(user, "ada", "Ada", None)
        .unwrap();
    let mut attested = vec![0u8; 16];
    attested.extend((credential_id.len() as u16).to_be_bytes());
    attested.extend(credential_id);
    attested.extend(cose_key(key.public_key().as_ref()));
    let created = client_data(
        "webauthn.create",
        &challenge(&serde_json::to_value(&ccr).unwrap()),
    );
    let answer: RegisterPublicKeyCredential = serde_json::from_value(json!({
        "id": b64(&credential_id), "rawId": b64(&credential_id), "type": "public-key",
        "response": {
            "attestationObject": b64(&attestation_object(&auth_data(0x45, 0, &attested))),
            "clientDataJSON": b64(&created),
        },
        "extensions": {},
    }))
    .unwrap();
    let passkey = rp
        .finish_passkey_registration(&answer, &registration)
        .expect("the made-up authenticator registers");

    // A login: the challenge signed over the authenticator data and the client data's hash.
    let (rcr, state) = rp.start_passkey_authentication(&[passkey]).unwrap();
    let got = client_data(
        "webauthn.get",
        &challenge(&serde_json::to_value(&rcr).unwrap()),
    );
    let data = auth_data(0x05, 1, &[]);
    let mut signed = data.clone();
    signed.extend(digest(&SHA256, &got).as_ref());
    let signature = key.sign(&rng, &signed).unwrap();
    let assertion: PublicKeyCredential = serde_json::from_value(json!({
        "id": b64(&credential_id), "rawId": b64(&credential_id), "type": "public-key",
        "response": {
            "authenticatorData": b64(&data),
            "clientDataJSON": b64(&got),
            "signature": b64(signature.as_ref()),
            "userHandle": b64(user.as_bytes()),
        },
        "extensions": {},
    }))
    .unwrap();
    rp.finish_passkey_authentication(&assertion, &state)
        .expect("the made-up authenticator's signature verifies");

    c.bench_function("WebAuthn assertion check (ES256, webauthn-rs)", |b| {
        b.iter(|| rp.finish_passkey_authentication(black_box(&assertion), &state))
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
