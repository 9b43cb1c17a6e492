//! Users brought along from another system (Keycloak, Auth0, ZITADEL, a Python app), each
//! with its password hash as that system stored it: every item is created on its own (with a
//! unique login name, like any user) or answers its error, many at once. A hash is checked
//! for its form and cost here and verified at the user's first login, which hashes the
//! password anew with the service's parameters.

use std::collections::HashSet;
use std::sync::Arc;

use authz::Caller;
use domain::user::{Email, NewHuman, Profile, UserCommand};
use domain::validate::normalized_username;
use domain::{Code, Error};
use futures_util::stream::{self, StreamExt};

use crate::bus::CommandBus;

/// Users created at once by an import.
const AT_ONCE: usize = 16;

/// A user as an import brings it.
#[derive(Clone, Debug)]
pub struct ImportedUser {
    pub username: String,
    pub profile: Profile,
    pub email: Email,
    pub phone: Option<String>,
    /// The hash another system stored (see `crypto::imported_hashes`).
    pub password_hash: Option<String>,
    pub password_change_required: bool,
}

impl CommandBus {
    /// Creates `users` in `org_id`: each one's new id, or its error, in the order given. Of
    /// users with the same login name, the first is the one created (however they race).
    pub async fn import_users(
        self: &Arc<Self>,
        caller: &Caller,
        instance: &str,
        org_id: &str,
        users: Vec<ImportedUser>,
    ) -> Vec<Result<String, Error>> {
        let mut seen = HashSet::new();
        let users: Vec<Result<ImportedUser, Error>> = users
            .into_iter()
            .map(|u| match seen.insert(normalized_username(&u.username)) {
                true => Ok(u),
                false => Err(Error::new(
                    Code::UsernameTaken,
                    format!(
                        "{:?} is taken by a user before it in this import",
                        u.username
                    ),
                )
                .with("value", u.username)),
            })
            .collect();
        stream::iter(users)
            .map(|u| async move {
                match u {
                    Ok(u) => self.import_user(caller, instance, org_id, u).await,
                    Err(e) => Err(e),
                }
            })
            .buffered(AT_ONCE)
            .collect()
            .await
    }

    async fn import_user(
        self: &Arc<Self>,
        caller: &Caller,
        instance: &str,
        org_id: &str,
        u: ImportedUser,
    ) -> Result<String, Error> {
        if let Some(hash) = &u.password_hash {
            crypto::imported_hashes::check(hash).map_err(|why| {
                Error::new(
                    Code::InvalidPasswordHash,
                    format!("{why}: send the hash as the system that made it stored it"),
                )
                .with("field", "password_hash")
            })?;
        }
        let id = uuid::Uuid::now_v7().to_string();
        let human = NewHuman {
            org_id: org_id.to_string(),
            username: u.username,
            profile: u.profile,
            email: u.email,
            phone: u.phone,
            password_hash: u.password_hash,
            password_change_required: u.password_change_required,
            then: vec![],
        };
        self.create_user(caller, instance, &id, UserCommand::AddHuman(human))
            .await?;
        Ok(id)
    }
}
