//! An instance's SMTP server: where its messages (codes, invitations) leave. The password
//! arrives sealed with the master key (the service layer seals it); no read answers it.

use serde::{Deserialize, Serialize};

use crate::error::{Code, Error, Result};
use crate::validate;

/// How the connection to the SMTP server is protected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// A plain connection upgraded with STARTTLS; a server that does not offer it is an
    /// error, never a plain-text fallback.
    #[default]
    Starttls,
    /// TLS from the first byte (usually port 465).
    Tls,
    /// No encryption: only for a relay on the same host or network.
    None,
}

impl SmtpTls {
    pub fn name(self) -> &'static str {
        match self {
            SmtpTls::Starttls => "starttls",
            SmtpTls::Tls => "tls",
            SmtpTls::None => "none",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub user: Option<String>,
    /// The password, sealed with the master key for this instance (`None`: no password).
    pub sealed_password: Option<String>,
    pub sender_address: String,
    pub sender_name: String,
}

fn invalid(field: &str, why: &str) -> Error {
    Error::new(Code::InvalidSmtp, format!("{field} {why}")).with("field", field)
}

/// A header value: no line breaks (they would add headers), at most 200 characters.
fn header_text(value: &str, field: &str) -> Result<String> {
    let v = value.trim();
    if v.chars().count() > validate::MAX_NAME || v.chars().any(char::is_control) {
        return Err(invalid(
            field,
            "must be at most 200 characters without control characters or line breaks",
        ));
    }
    Ok(v.to_string())
}

impl SmtpConfig {
    /// The configuration with its fields checked and trimmed.
    pub fn validated(self) -> Result<SmtpConfig> {
        let host = validate::domain(&self.host)
            .map_err(|_| invalid("host", "must be a DNS name or an IPv4 address"))?;
        if self.port == 0 {
            return Err(invalid("port", "must be 1 to 65535"));
        }
        let user = match self.user.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(u) => Some(header_text(u, "user")?),
        };
        if user.is_none() && self.sealed_password.is_some() {
            return Err(invalid("password", "needs a user"));
        }
        let sender_address = validate::email(&self.sender_address)
            .map_err(|_| invalid("sender_address", "must be an email address"))?;
        let sender_name = header_text(&self.sender_name, "sender_name")?;
        Ok(SmtpConfig {
            host,
            port: self.port,
            tls: self.tls,
            user,
            sealed_password: self.sealed_password,
            sender_address,
            sender_name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SmtpConfig {
        SmtpConfig {
            host: "Mail.Example.com".into(),
            port: 587,
            tls: SmtpTls::Starttls,
            user: Some("portcullis".into()),
            sealed_password: Some("sealed".into()),
            sender_address: "login@example.com".into(),
            sender_name: "Example login".into(),
        }
    }

    #[test]
    fn a_good_configuration_is_normalized() {
        let c = config().validated().unwrap();
        assert_eq!(c.host, "mail.example.com");
    }

    #[test]
    fn header_injection_and_bad_hosts_are_refused() {
        for bad in [
            SmtpConfig {
                sender_name: "Login\r\nBcc: victim@example.com".into(),
                ..config()
            },
            SmtpConfig {
                host: "mail.example.com:25".into(),
                ..config()
            },
            SmtpConfig {
                sender_address: "x@y.z\r\nBcc: a@b.c".into(),
                ..config()
            },
            SmtpConfig {
                port: 0,
                ..config()
            },
            SmtpConfig {
                user: None,
                ..config()
            },
        ] {
            assert_eq!(bad.validated().unwrap_err().code, Code::InvalidSmtp);
        }
    }
}
