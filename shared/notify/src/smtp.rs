//! Sending a message over an SMTP server with lettre: STARTTLS required (a server that does
//! not offer it is an error, never a plain-text fallback), TLS from the first byte, or none.

use std::net::IpAddr;
use std::time::Duration;

use domain::smtp::SmtpTls;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How long a connection, a command or an answer may take before the attempt fails.
const TIMEOUT: Duration = Duration::from_secs(20);

/// An SMTP server with its password opened.
#[derive(Clone)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub user: Option<String>,
    pub password: Option<String>,
    pub sender_address: String,
    pub sender_name: String,
}

impl std::fmt::Debug for SmtpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SmtpServer({}:{}, {})",
            self.host,
            self.port,
            self.tls.name()
        )
    }
}

/// A message: its recipient, subject, and the same text as plain text and HTML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn transport(server: &SmtpServer) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let tls = || {
        TlsParameters::new(server.host.clone())
            .map_err(|e| format!("cannot set up TLS for {}: {e}", server.host))
    };
    let tls = match server.tls {
        SmtpTls::Starttls => Tls::Required(tls()?),
        SmtpTls::Tls => Tls::Wrapper(tls()?),
        SmtpTls::None => Tls::None,
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&server.host)
        .port(server.port)
        .tls(tls)
        .timeout(Some(TIMEOUT));
    if let (Some(user), Some(password)) = (&server.user, &server.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}

/// Whether an address is one an instance's admin must not make Portcullis connect to:
/// loopback, private, link-local, shared (CGNAT), unique-local, unspecified or multicast.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || (a == 100 && (64..128).contains(&b))
                || a == 0
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

/// Refuses a host whose name resolves to a private address (see [`is_private`]); `what` names
/// the kind of server in the error.
pub(crate) async fn public_only(host: &str, port: u16, what: &str) -> Result<(), String> {
    let addrs = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?;
    for addr in addrs {
        if is_private(addr.ip()) {
            return Err(format!(
                "{host} is at the private address {}: Portcullis sends only to public {what} unless its operator allows private ones (--allow-private-hosts)",
                addr.ip()
            ));
        }
    }
    Ok(())
}

/// Sends `mail` over `server`; with `private_hosts` false, only to a server at public
/// addresses. The error says what the server or the connection answered.
pub async fn send(server: &SmtpServer, mail: &Mail, private_hosts: bool) -> Result<(), String> {
    if !private_hosts {
        public_only(&server.host, server.port, "SMTP servers").await?;
    }
    let from = Mailbox::new(
        Some(server.sender_name.clone()).filter(|n| !n.is_empty()),
        server
            .sender_address
            .parse()
            .map_err(|e| format!("the sender address is not valid: {e}"))?,
    );
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|e| format!("the recipient {:?} is not valid: {e}", mail.to))?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        ))
        .map_err(|e| format!("cannot build the message: {e}"))?;
    let sent = transport(server)?.send(message).await;
    match sent {
        Ok(_) => Ok(()),
        Err(e) => Err(format!(
            "{}:{} ({}): {e}",
            server.host,
            server.port,
            server.tls.name()
        )),
    }
}
