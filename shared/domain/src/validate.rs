//! Input rules shared by the aggregates.

use crate::error::{Code, Error, Result};

pub const MAX_NAME: usize = 200;

/// A display name: at most 200 characters as sent (what the API documents), trimmed, not
/// empty, no control characters.
pub fn name(value: &str, code: Code, field: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() || value.chars().count() > MAX_NAME || v.chars().any(char::is_control) {
        return Err(Error::new(
            code,
            format!("{field} must be 1 to {MAX_NAME} characters, without control characters"),
        )
        .with("field", field));
    }
    Ok(v.to_string())
}

/// A login name: 1 to 200 characters, no white space or control characters. Unique per
/// instance without regard to case.
pub fn username(value: &str) -> Result<String> {
    if value.is_empty()
        || value.chars().count() > MAX_NAME
        || value.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Error::new(
            Code::InvalidUsername,
            "username must be 1 to 200 characters without spaces",
        )
        .with("field", "username"));
    }
    Ok(value.to_string())
}

/// The form a login name is made unique in.
pub fn normalized_username(value: &str) -> String {
    value.to_lowercase()
}

/// An email address: one `@`, a local part, a dotted domain, at most 254 characters.
pub fn email(value: &str) -> Result<String> {
    let v = value.trim();
    let ok = v.len() <= 254
        && v.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !v.chars().any(|c| c.is_whitespace() || c.is_control())
        });
    if !ok {
        return Err(
            Error::new(Code::InvalidEmail, format!("{v:?} is not an email address"))
                .with("field", "email.address"),
        );
    }
    Ok(v.to_string())
}

/// A phone number in international form: `+` and 7 to 15 digits; spaces, dashes, dots and
/// parentheses are dropped.
pub fn phone(value: &str) -> Result<String> {
    let v: String = value
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let digits = v.strip_prefix('+').unwrap_or("");
    if !(7..=15).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::new(
            Code::InvalidPhone,
            format!("{value:?} is not a phone number in international form (+41 79 123 45 67)"),
        )
        .with("field", "phone"));
    }
    Ok(v)
}

/// Compares two secrets' hashes in constant time.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A password under the default rules (12 to 200 characters, of any kind), where no instance
/// or org has set its own (a new instance's first admin). Returned as given (never trimmed).
pub fn password(value: &str) -> Result<String> {
    crate::settings::PasswordComplexitySettings::default().check(value)
}

/// A DNS host name, lower-cased: labels of letters, digits and hyphens, or an IPv4 literal.
pub fn domain(value: &str) -> Result<String> {
    let v = value.trim().trim_end_matches('.').to_ascii_lowercase();
    let ok = !v.is_empty()
        && v.len() <= 253
        && v.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !ok {
        return Err(Error::new(
            Code::InvalidDomain,
            format!("{value:?} is not a valid domain"),
        )
        .with("field", "domains"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(email("a@b.io").is_ok());
        for bad in ["", "a", "a@b", "@b.io", "a@@b.io", "a b@c.io", "a@.io"] {
            assert_eq!(email(bad).unwrap_err().code, Code::InvalidEmail, "{bad}");
        }
    }

    #[test]
    fn phones() {
        assert_eq!(phone("+41 79 123-45.67").unwrap(), "+41791234567");
        for bad in [
            "",
            "079 123 45 67",
            "+12",
            "+41 79 abc",
            "+1234567890123456",
        ] {
            assert_eq!(phone(bad).unwrap_err().code, Code::InvalidPhone, "{bad}");
        }
    }

    #[test]
    fn domains_and_names() {
        assert_eq!(domain("Acme.Example.COM").unwrap(), "acme.example.com");
        assert_eq!(domain("127.0.0.1").unwrap(), "127.0.0.1");
        assert!(domain("a_b.com").is_err() && domain("").is_err() && domain("-a.com").is_err());
        assert!(name("  ", Code::InvalidOrgName, "name").is_err());
        assert!(name(&"x".repeat(201), Code::InvalidOrgName, "name").is_err());
        assert!(username("has space").is_err() && username("").is_err());
    }
}
