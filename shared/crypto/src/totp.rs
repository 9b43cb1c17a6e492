//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP): HMAC-SHA-1, 6 digits, 30
//! second steps, as every authenticator app computes them. The secret is 160 random bits,
//! shown to the user in base 32 and in an `otpauth://` URI (the QR code apps scan). A code is
//! accepted for the current step and one step either side (clock drift); which step matched is
//! returned so that the caller can refuse that step, and every earlier one, from then on.

use data_encoding::BASE32_NOPAD;
use ring::hmac;

/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;

/// A new secret: 20 random bytes (RFC 4226 recommends 160 bits), in base 32 without padding.
pub fn new_secret() -> String {
    BASE32_NOPAD.encode(&super::secrets::random::<20>())
}

/// The code of `secret` (base 32) at `step`, or `None` if the secret is not base 32.
pub fn code_at(secret: &str, step: u64) -> Option<String> {
    let key = BASE32_NOPAD
        .decode(secret.trim_end_matches('=').as_bytes())
        .ok()?;
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &key);
    let mac = hmac::sign(&key, &step.to_be_bytes());
    let mac = mac.as_ref();
    // Dynamic truncation (RFC 4226 section 5.3).
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        mac[offset],
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]) & 0x7fff_ffff;
    Some(format!(
        "{:0width$}",
        binary % 10u32.pow(DIGITS),
        width = DIGITS as usize
    ))
}

/// The step of unix time `now_ms`.
pub fn step_of(now_ms: i64) -> u64 {
    (now_ms.max(0) / 1000 / STEP_SECONDS) as u64
}

/// The step whose code `code` is, among the step of `now_ms` and its neighbours, or `None`.
/// Every candidate is computed and compared in constant time, whichever matches.
pub fn matching_step(secret: &str, code: &str, now_ms: i64) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_of(now_ms);
    let mut found = None;
    for step in [now.saturating_sub(1), now, now + 1] {
        let expected = code_at(secret, step)?;
        if domain::validate::same_secret(&expected, &code) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// The `otpauth://` URI authenticator apps read (Google Authenticator's key URI format):
/// the issuer and the account name label it in the app.
pub fn uri(issuer: &str, account: &str, secret: &str) -> String {
    let enc = |s: &str| -> String {
        form_urlencoded::byte_serialize(s.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret, "12345678901234567890", in base 32.
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn codes_are_those_of_rfc_6238() {
        // Appendix B's eight-digit values, cut to their last six digits.
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(
                code_at(RFC_SECRET, step_of(time * 1000)).unwrap(),
                code,
                "at {time}"
            );
        }
    }

    #[test]
    fn a_code_matches_its_step_and_the_neighbours_only() {
        let now = 1_234_567_890_000;
        let step = step_of(now);
        for s in [step - 1, step, step + 1] {
            let code = code_at(RFC_SECRET, s).unwrap();
            assert_eq!(matching_step(RFC_SECRET, &code, now), Some(s));
        }
        for s in [step - 2, step + 2] {
            let code = code_at(RFC_SECRET, s).unwrap();
            assert_eq!(matching_step(RFC_SECRET, &code, now), None);
        }
        assert_eq!(matching_step(RFC_SECRET, "12345", now), None);
        assert_eq!(matching_step(RFC_SECRET, "abcdef", now), None);
        assert_eq!(matching_step("not base 32!", "123456", now), None);
    }

    #[test]
    fn a_new_secret_is_160_bits_of_base_32_and_named_in_the_uri() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32);
        assert_ne!(secret, new_secret());
        let uri = uri("Acme Corp", "alice@acme.test", &secret);
        assert_eq!(
            uri,
            format!("otpauth://totp/Acme%20Corp:alice%40acme.test?secret={secret}&issuer=Acme%20Corp&algorithm=SHA1&digits=6&period=30")
        );
    }
}
