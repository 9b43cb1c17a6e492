//! The JWT bearer grant ("JWT profile"): machine users sign an assertion with their key for
//! every token. The keys are Ed25519, made here and uploaded as public keys, so that signing
//! costs the load generator little; every assertion has a fresh `jti`, as a client sends them.

use std::sync::atomic::{AtomicU64, Ordering};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::json;

use super::{id, org, run_prefix, settle, text, Scenario, DISCOVERY, TOKEN};
use crate::target::{Auth, Target};

const GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// `SubjectPublicKeyInfo` of an Ed25519 key, before its 32 bytes (RFC 8410).
const ED25519_SPKI: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

struct Signer {
    user_id: String,
    key_id: String,
    key: Ed25519KeyPair,
}

pub struct JwtProfile {
    target: Target,
    issuer: String,
    signers: Vec<Signer>,
    /// Makes each `jti` unique within the run.
    prefix: String,
    sent: AtomicU64,
}

/// A machine user with an uploaded Ed25519 key.
fn signer(target: &Target, org: &str, username: &str) -> Result<Signer, String> {
    let rng = SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|e| e.to_string())?;
    let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|e| e.to_string())?;
    let mut spki = ED25519_SPKI.to_vec();
    spki.extend_from_slice(key.public_key().as_ref());
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        STANDARD.encode(spki)
    );
    let user = target
        .json(
            "POST",
            &format!("/v1/orgs/{org}/users/machine"),
            Some(&json!({"username": username, "name": username})),
            Auth::Pat,
            None,
        )?
        .expect(201)?;
    let user_id = id(&user)?;
    let added = target
        .json(
            "POST",
            &format!("/v1/users/{user_id}/keys"),
            Some(&json!({"public_key": pem})),
            Auth::Pat,
            user["position"].as_str(),
        )?
        .expect(201)?;
    settle(target, &added)?;
    Ok(Signer {
        user_id,
        key_id: id(&added)?,
        key,
    })
}

impl JwtProfile {
    /// `clients` machine users, each with a key.
    pub fn setup(target: &Target, clients: usize) -> Result<Self, String> {
        let prefix = run_prefix();
        let org = org(target, &format!("{prefix}-jwt-profile"))?;
        let signers = (0..clients.max(1))
            .map(|k| signer(target, &org, &format!("{prefix}-j{k}")))
            .collect::<Result<_, _>>()?;
        let discovery = target
            .json("GET", DISCOVERY, None, Auth::None, None)?
            .expect(200)?;
        Ok(JwtProfile {
            target: target.clone(),
            issuer: text(&discovery, "issuer")?,
            signers,
            prefix,
            sent: AtomicU64::new(0),
        })
    }

    fn assertion(&self, s: &Signer) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let n = self.sent.fetch_add(1, Ordering::Relaxed);
        let header = json!({"alg": "EdDSA", "kid": s.key_id});
        let claims = json!({"iss": s.user_id, "sub": s.user_id, "aud": self.issuer,
            "iat": now, "exp": now + 300, "jti": format!("{}-{n}", self.prefix)});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = URL_SAFE_NO_PAD.encode(s.key.sign(input.as_bytes()));
        format!("{input}.{signature}")
    }
}

impl Scenario for JwtProfile {
    fn name(&self) -> &'static str {
        "jwt-profile"
    }

    fn request(&self, i: u64) -> Result<(), String> {
        let signer = &self.signers[i as usize % self.signers.len()];
        let assertion = self.assertion(signer);
        let tokens = self
            .target
            .form(
                TOKEN,
                &[
                    ("grant_type", GRANT),
                    ("assertion", &assertion),
                    ("scope", "openid"),
                ],
                Auth::None,
            )?
            .expect(200)?;
        let token = text(&tokens, "access_token")?;
        if token.split('.').count() == 3 {
            Ok(())
        } else {
            Err("not a JWT".into())
        }
    }
}
