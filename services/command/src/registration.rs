//! Registration at the hosted login: a human made in the org of the login's app, where that
//! org's `login` settings allow it, with a password held to the org's rules; a code to verify
//! the email address goes out at once.

use std::sync::Arc;

use domain::user::{CodeKind, Email, Profile};
use domain::{Code, Error};

use crate::bus::CommandBus;
use crate::codes::{CodeRequest, Delivery};
use crate::credentials::HumanInput;
use crate::oidc::login_flow;

/// What a person gives to register.
pub struct Registration {
    pub org_id: String,
    pub username: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub password: String,
    /// The language of the login's pages, for the user's messages.
    pub language: String,
    /// The instance's external URL, for the verification message's link.
    pub base_url: String,
}

impl CommandBus {
    /// Whether the org's `login` settings (else the instance's) let people register.
    pub async fn registration_allowed(&self, instance: &str, org: &str) -> Result<bool, Error> {
        let (own, org) = self.settings_maps(instance, Some(org)).await?;
        Ok(domain::settings::login(org.as_ref(), &own).allow_register)
    }

    /// Registers a human: `SESSION-0005` where registration is not allowed; the username's,
    /// email's, name's and password's own errors otherwise. Returns the new user's id.
    pub async fn register(
        self: &Arc<Self>,
        instance: &str,
        r: Registration,
    ) -> Result<String, Error> {
        if !self.registration_allowed(instance, &r.org_id).await? {
            return Err(Error::new(
                Code::LoginMethodNotAllowed,
                "registration is not allowed here",
            ));
        }
        let user_id = uuid::Uuid::now_v7().to_string();
        let input = HumanInput {
            org_id: r.org_id,
            username: r.username,
            profile: Profile {
                given_name: r.given_name,
                family_name: r.family_name,
                display_name: String::new(),
                preferred_language: Some(r.language),
            },
            email: Email {
                address: r.email,
                verified: false,
            },
            phone: None,
            password: Some(r.password),
            then: vec![],
        };
        let caller = login_flow(instance);
        self.create_human(&caller, instance, &user_id, input)
            .await?;
        let request = CodeRequest {
            kind: CodeKind::VerifyEmail,
            delivery: Delivery::Email,
            base_url: r.base_url,
        };
        self.add_code(&caller, instance, &user_id, request).await?;
        Ok(user_id)
    }
}
