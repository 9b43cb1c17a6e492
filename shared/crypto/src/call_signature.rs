//! Signatures of the calls Portcullis makes to HTTP endpoints of its customers (an SMS
//! provider, later action targets): `Portcullis-Signature: t=<unix>,v1=<hex HMAC-SHA256(key,
//! "<t>.<body>")>`. The receiver recomputes it with the key it was given, compares in constant
//! time, and refuses a `t` too far from its clock, so a captured call cannot be replayed later.

use ring::hmac;

/// The header that carries the signature.
pub const HEADER: &str = "Portcullis-Signature";

/// A new signing key: 256 random bits, as URL-safe base64 (the receiver uses the text as is).
pub fn new_signing_key() -> String {
    crate::secrets::new_token().0
}

/// The header's value for `body` sent at `unix_seconds`.
pub fn signature(key: &str, unix_seconds: i64, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes());
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(unix_seconds.to_string().as_bytes());
    ctx.update(b".");
    ctx.update(body);
    let tag = crate::secrets::hex(ctx.sign().as_ref());
    format!("t={unix_seconds},v1={tag}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_the_hmac_of_the_time_and_the_body() {
        // As Python's hmac.new(b"key", b"1.{}", hashlib.sha256).hexdigest() has it.
        let s = signature("key", 1, b"{}");
        assert_eq!(
            s,
            "t=1,v1=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224"
        );
        assert_ne!(s, signature("key", 2, b"{}"));
        assert_ne!(s, signature("key", 1, b"{ }"));
        assert_ne!(s, signature("other", 1, b"{}"));
        assert_ne!(new_signing_key(), new_signing_key());
    }
}
