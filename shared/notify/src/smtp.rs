//! Sending a message over an SMTP server with lettre: STARTTLS required (a server that does
//! not offer it is an error, never a plain-text fallback), TLS from the first byte, or none.

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

/// Sends `mail` over `server`. The error says what the server or the connection answered.
pub async fn send(server: &SmtpServer, mail: &Mail) -> Result<(), String> {
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
