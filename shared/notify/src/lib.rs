//! Messages to end users: what a code's message says (in the user's language, in the colours
//! of their org), and sending it over the instance's SMTP server or SMS provider; and the other
//! calls the service makes to endpoints its admins configure (apps' logout endpoints and key
//! sets).

pub mod domain_check;
pub mod ldap;
mod sms;
mod smtp;
mod texts;
pub mod web;

pub use sms::{send_sms, Sms, SmsProvider};
pub use smtp::{is_private, send, Mail, SmtpServer};
pub use texts::{code_mail, code_sms, CodeMail, Look};
