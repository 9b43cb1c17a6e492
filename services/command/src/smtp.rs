//! The instance's SMTP server: set (its password sealed with the master key), read (without
//! the password), opened for sending, and tried with a test message.

use authz::{Caller, Permission, Requirement, Target};
use crypto::sealing::Purpose;
use domain::instance::{Instance, InstanceCommand};
use domain::smtp::{SmtpConfig, SmtpTls};
use domain::{Aggregate, Code, Error};
use notify::{Mail, SmtpServer};

use crate::bus::CommandBus;
use crate::sagas::key;
use crate::Written;

/// An SMTP server as a manager sends it: the password in clear (absent: keep the stored one).
#[derive(Clone, Debug)]
pub struct SmtpInput {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub user: Option<String>,
    pub password: Option<String>,
    pub sender_address: String,
    pub sender_name: String,
}

fn not_configured() -> Error {
    Error::new(
        Code::SmtpNotConfigured,
        "the instance has no SMTP server: set one with PUT /v1/instance/smtp",
    )
}

impl CommandBus {
    /// Sets the instance's SMTP server (`iam.write`).
    pub async fn set_smtp(
        &self,
        caller: &Caller,
        instance: &str,
        input: SmtpInput,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        let keep_password = input.password.is_none();
        let sealed_password = match input.password.as_deref() {
            None | Some("") => None,
            Some(p) if p.len() > 1000 => {
                return Err(
                    Error::new(Code::InvalidSmtp, "password is at most 1000 bytes")
                        .with("field", "password"),
                )
            }
            Some(p) => Some(crate::codes::seal(
                self.master_key()?,
                Purpose::SmtpPassword,
                instance,
                p,
            )),
        };
        if let Ok(ip) = input.host.trim().parse::<std::net::IpAddr>() {
            if notify::is_private(ip) && !self.allow_private_hosts {
                return Err(Error::new(
                    Code::InvalidSmtp,
                    "host is a private address: Portcullis sends only to public SMTP servers unless its operator allows private ones (--allow-private-hosts)",
                )
                .with("field", "host"));
            }
        }
        let config = SmtpConfig {
            host: input.host,
            port: input.port,
            tls: input.tls,
            user: input.user,
            sealed_password,
            sender_address: input.sender_address,
            sender_name: input.sender_name,
        };
        let k = key(instance, Instance::KIND, instance);
        let cmd = InstanceCommand::SetSmtp {
            config,
            keep_password,
        };
        self.execute::<Instance>(&k, caller, cmd, if_match).await
    }

    /// The instance's SMTP server, if it has one (with the password still sealed).
    pub async fn smtp(&self, instance: &str) -> Result<Option<SmtpConfig>, Error> {
        let (own, _) = self
            .state::<Instance>(&key(instance, Instance::KIND, instance))
            .await?;
        Ok(own.smtp)
    }

    /// The instance's SMTP server with its password opened, for sending.
    pub(crate) async fn smtp_server(&self, instance: &str) -> Result<SmtpServer, Error> {
        let config = self.smtp(instance).await?.ok_or_else(not_configured)?;
        let password = match &config.sealed_password {
            Some(sealed) => Some(crate::codes::unseal(
                self.master_key()?,
                Purpose::SmtpPassword,
                instance,
                sealed,
            )?),
            None => None,
        };
        Ok(SmtpServer {
            host: config.host,
            port: config.port,
            tls: config.tls,
            user: config.user,
            password,
            sender_address: config.sender_address,
            sender_name: config.sender_name,
        })
    }

    /// Sends a test message to `to` over the instance's SMTP server, now, and says what the
    /// server answered (`SMTP-0002`) if it did not take it. `iam.write`.
    pub async fn send_test_mail(
        &self,
        caller: &Caller,
        instance: &str,
        to: &str,
    ) -> Result<(), Error> {
        let target = Target::Instance { instance };
        let req = Requirement::plain(Permission::IAM_WRITE);
        domain::authorize(&self.deps.authz, caller, domain::Access::Check(req, target))?;
        let to = domain::validate::email(to).map_err(|e| e.with("field", "to"))?;
        let server = self.smtp_server(instance).await?;
        let mail = Mail {
            to,
            subject: "Portcullis: test message".into(),
            text: format!(
                "This message was sent by Portcullis over {}:{} to check that the instance's SMTP server works.",
                server.host, server.port
            ),
            html: format!(
                "<p>This message was sent by Portcullis over {}:{} to check that the instance's SMTP server works.</p>",
                server.host, server.port
            ),
        };
        notify::send(&server, &mail, self.allow_private_hosts)
            .await
            .map_err(|why| {
                Error::new(
                    Code::SmtpFailed,
                    format!("the SMTP server did not take the message: {why}"),
                )
            })
    }
}
