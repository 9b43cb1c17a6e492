//! Keys that sign assertions for machine users and apps: a generated RSA key (its private
//! half handed out once, as PEM) or an uploaded public key (PEM, `SubjectPublicKeyInfo`),
//! each kept as a public JWK.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::machine_keys::PublicJwk;
use domain::{Code, Error};
use rsa::pkcs8::der::Document;
use rsa::pkcs8::{DecodePublicKey, LineEnding, ObjectIdentifier, SubjectPublicKeyInfoRef};
use rsa::traits::PublicKeyParts;

/// The longest PEM accepted (an RSA-8192 public key is about 1.5 KB).
pub const MAX_PEM: usize = 4096;

const RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

fn refused(why: &str) -> Error {
    Error::new(
        Code::InvalidPublicKey,
        format!("public_key: {why}; send a PEM public key (\"-----BEGIN PUBLIC KEY-----\"): RSA of 2048 to 8192 bits, EC P-256 or Ed25519"),
    )
    .with("field", "public_key")
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The JWK of an uploaded public key.
pub fn jwk_from_pem(pem: &str) -> Result<PublicJwk, Error> {
    if pem.len() > MAX_PEM {
        return Err(refused("too long"));
    }
    let (label, doc) = Document::from_pem(pem.trim()).map_err(|_| refused("not PEM"))?;
    if label != "PUBLIC KEY" {
        return Err(refused("not a public key"));
    }
    let spki = SubjectPublicKeyInfoRef::try_from(doc.as_bytes())
        .map_err(|_| refused("not a SubjectPublicKeyInfo"))?;
    let empty = |kty: &str, alg: &str| PublicJwk {
        kty: kty.into(),
        alg: alg.into(),
        crv: None,
        n: None,
        e: None,
        x: None,
        y: None,
    };
    let (oid, params) = spki
        .algorithm
        .oids()
        .map_err(|_| refused("unknown algorithm"))?;
    let bits = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| refused("a key of whole bytes"))?;
    match (oid, params) {
        (RSA, _) => {
            let key = rsa::RsaPublicKey::from_public_key_der(doc.as_bytes())
                .map_err(|_| refused("not an RSA key"))?;
            if !(2048..=8192).contains(&(key.size() * 8)) {
                return Err(refused("an RSA key has 2048 to 8192 bits"));
            }
            Ok(PublicJwk {
                n: Some(b64(&key.n().to_bytes_be())),
                e: Some(b64(&key.e().to_bytes_be())),
                ..empty("RSA", "RS256")
            })
        }
        (EC, Some(P256)) => {
            if bits.len() != 65 || bits[0] != 4 {
                return Err(refused("an uncompressed P-256 point"));
            }
            Ok(PublicJwk {
                crv: Some("P-256".into()),
                x: Some(b64(&bits[1..33])),
                y: Some(b64(&bits[33..65])),
                ..empty("EC", "ES256")
            })
        }
        (ED25519, None) if bits.len() == 32 => Ok(PublicJwk {
            crv: Some("Ed25519".into()),
            x: Some(b64(bits)),
            ..empty("OKP", "EdDSA")
        }),
        _ => Err(refused("an algorithm not supported")),
    }
}

/// A new RSA-2048 key for RS256 assertions: its public JWK, and its private key as PKCS#8
/// PEM, for the key file (RSA generation takes a moment: call it off the async runtime).
pub fn generate() -> Result<(PublicJwk, String), Error> {
    use rsa::pkcs8::EncodePrivateKey;
    let failed = |e: &dyn std::fmt::Display| Error::internal(format!("key generation failed: {e}"));
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).map_err(|e| failed(&e))?;
    let pem = key.to_pkcs8_pem(LineEnding::LF).map_err(|e| failed(&e))?;
    let jwk = PublicJwk {
        kty: "RSA".into(),
        alg: "RS256".into(),
        crv: None,
        n: Some(b64(&key.n().to_bytes_be())),
        e: Some(b64(&key.e().to_bytes_be())),
        x: None,
        y: None,
    };
    Ok((jwk, pem.to_string()))
}

/// The key's JWK thumbprint (RFC 7638): base64url SHA-256 of its required members, in
/// lexicographic order and without spaces.
pub fn thumbprint(jwk: &PublicJwk) -> String {
    // Each member as a JSON string (escaped as JSON escapes it), in RFC 7638's order.
    let text = |v: &Option<String>| serde_json::Value::from(v.clone().unwrap_or_default());
    let kty = serde_json::Value::from(jwk.kty.as_str());
    let members = match jwk.kty.as_str() {
        "RSA" => format!(
            r#"{{"e":{},"kty":{kty},"n":{}}}"#,
            text(&jwk.e),
            text(&jwk.n)
        ),
        "EC" => format!(
            r#"{{"crv":{},"kty":{kty},"x":{},"y":{}}}"#,
            text(&jwk.crv),
            text(&jwk.x),
            text(&jwk.y)
        ),
        _ => format!(
            r#"{{"crv":{},"kty":{kty},"x":{}}}"#,
            text(&jwk.crv),
            text(&jwk.x)
        ),
    };
    let digest = ring::digest::digest(&ring::digest::SHA256, members.as_bytes());
    b64(digest.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs8::EncodePublicKey;

    #[test]
    fn the_thumbprint_is_rfc_7638s() {
        // RFC 7638 section 3.1's example key and its thumbprint.
        let jwk = PublicJwk {
            kty: "RSA".into(),
            alg: "RS256".into(),
            crv: None,
            n: Some("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw".into()),
            e: Some("AQAB".into()),
            x: None,
            y: None,
        };
        assert_eq!(
            thumbprint(&jwk),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn an_uploaded_key_becomes_the_jwk_of_the_same_key() {
        let (jwk, private) = generate().unwrap();
        use rsa::pkcs8::DecodePrivateKey;
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(&private).unwrap();
        let public = key
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        assert_eq!(jwk_from_pem(&public).unwrap(), jwk);
    }

    #[test]
    fn ec_and_ed25519_keys_are_read_from_their_spki() {
        // P-256 and Ed25519 public keys as `openssl pkey -pubout` writes them.
        let ec = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9jztaQUp9VxENGaL4Wqrtm50y3xO\nsIIkFL4c+kZUDPmspscQJavyGwI8HEzxR3wbwBOBL7qa/d7EsR4tVO5ttw==\n-----END PUBLIC KEY-----\n";
        let jwk = jwk_from_pem(ec).unwrap();
        assert_eq!((jwk.kty.as_str(), jwk.alg.as_str()), ("EC", "ES256"));
        assert_eq!(jwk.x.unwrap().len(), 43);
        let ed = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEActqiAEr4/0TWD7+h6EU8bf76AcnYLvv7fnfS5Pjh2VA=\n-----END PUBLIC KEY-----\n";
        let jwk = jwk_from_pem(ed).unwrap();
        assert_eq!((jwk.kty.as_str(), jwk.alg.as_str()), ("OKP", "EdDSA"));
    }

    #[test]
    fn what_is_no_usable_public_key_is_refused_with_its_code() {
        let (_, private) = generate().unwrap();
        let small = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024)
            .unwrap()
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        for bad in [
            "",
            "not a key",
            private.as_str(),
            small.as_str(),
            &"A".repeat(MAX_PEM + 1),
        ] {
            let e = jwk_from_pem(bad).unwrap_err();
            assert_eq!(e.code, Code::InvalidPublicKey, "{bad:.40}");
        }
    }
}
