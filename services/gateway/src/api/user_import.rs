//! Users brought along from another system with their password hashes (`user.write` on the
//! org): a JSON array (read whole: an item that is not a user refuses the request before
//! anything is written) or NDJSON (imported in batches while the rest is still on its way; a
//! line that is not a user is that item's error), each user answered on its own: its new id,
//! or its error.

use std::sync::Arc;

use actix_web::web::{self, Bytes};
use authz::Permission;
use command::ImportedUser;
use domain::user::{Email, Profile};
use domain::{Code, Error};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::orgs::org_target;
use super::require;
use crate::auth::Authenticated;
use crate::views::ErrorBody;
use crate::Gateway;

/// The most users one request imports.
pub const MAX_USERS: usize = 100_000;
/// The largest body read (a user is a few hundred bytes).
const MAX_BYTES: usize = 128 << 20;
/// Users imported together while an NDJSON body is still arriving.
const BATCH: usize = 1000;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ImportedProfile)]
pub struct ImportedProfileBody {
    given_name: String,
    family_name: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    preferred_language: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ImportedEmail)]
pub struct ImportedEmailBody {
    address: String,
    /// Whether the system it comes from had it verified.
    #[serde(default)]
    verified: bool,
}

/// A human as another system had it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportedHuman {
    username: String,
    profile: ImportedProfileBody,
    email: ImportedEmailBody,
    #[serde(default)]
    phone: Option<String>,
    /// The password's hash as the other system stored it: argon2, scrypt or PBKDF2
    /// (`pbkdf2-sha256`, `pbkdf2-sha512`) in PHC form, passlib's `$pbkdf2-sha256$<rounds>$..`,
    /// or bcrypt (`$2a$`, `$2b$`, `$2y$`). Verified at the first login, then replaced by an
    /// argon2id hash. Without it the user sets a password by a reset or an invitation.
    #[serde(default)]
    password_hash: Option<String>,
    /// The user must choose a new password at the next login.
    #[serde(default)]
    password_change_required: bool,
}

impl From<ImportedHuman> for ImportedUser {
    fn from(h: ImportedHuman) -> Self {
        ImportedUser {
            username: h.username,
            profile: Profile {
                given_name: h.profile.given_name,
                family_name: h.profile.family_name,
                display_name: h.profile.display_name.unwrap_or_default(),
                preferred_language: h.profile.preferred_language,
            },
            email: Email {
                address: h.email.address,
                verified: h.email.verified,
            },
            phone: h.phone,
            password_hash: h.password_hash,
            password_change_required: h.password_change_required,
        }
    }
}

/// One item's answer.
#[derive(Serialize, ToSchema)]
pub struct ImportedItem {
    /// Its place in the request, from 0.
    pub index: usize,
    /// The new user's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// What an import did.
#[derive(Serialize, ToSchema)]
pub struct ImportReply {
    pub created: usize,
    pub failed: usize,
    /// One per user sent, in the order sent.
    pub items: Vec<ImportedItem>,
}

fn too_large(why: &str) -> Error {
    Error::new(
        Code::BodyTooLarge,
        format!("{why}: nothing more was read; send the rest in another request"),
    )
}

fn malformed(why: impl std::fmt::Display) -> Error {
    Error::new(Code::MalformedBody, format!("not a user to import: {why}"))
}

/// An import in progress: the users parsed and not yet created, and the answers so far.
struct Import<'a> {
    gw: &'a Gateway,
    auth: &'a Authenticated,
    org_id: &'a str,
    pending: Vec<(usize, Result<ImportedUser, Error>)>,
    items: Vec<ImportedItem>,
}

impl<'a> Import<'a> {
    /// An import into `org_id`, which the caller may write users of.
    async fn begin(
        gw: &'a Gateway,
        auth: &'a Authenticated,
        org_id: &'a str,
    ) -> Result<Import<'a>, Error> {
        require(gw, auth, Permission::USER_WRITE, org_target(auth, org_id))?;
        super::orgs::exists(gw, auth, org_id).await?;
        Ok(Import {
            gw,
            auth,
            org_id,
            pending: Vec::new(),
            items: Vec::new(),
        })
    }

    fn add(&mut self, item: Result<ImportedHuman, Error>) -> Result<(), Error> {
        let index = self.items.len() + self.pending.len();
        if index >= MAX_USERS {
            return Err(too_large(&format!(
                "an import takes {MAX_USERS} users at most"
            )));
        }
        self.pending.push((index, item.map(ImportedUser::from)));
        Ok(())
    }

    /// Creates the users pending.
    async fn flush(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        let (good, bad): (Vec<_>, Vec<_>) = pending.into_iter().partition(|(_, u)| u.is_ok());
        let (indexes, users): (Vec<usize>, Vec<ImportedUser>) = good
            .into_iter()
            .map(|(i, u)| (i, u.expect("partitioned")))
            .unzip();
        let bus = Arc::clone(&self.gw.bus);
        let (caller, instance) = (&self.auth.caller, &self.auth.instance);
        let done = bus.import_users(caller, instance, self.org_id, users).await;
        let mut answered: Vec<ImportedItem> = indexes
            .into_iter()
            .zip(done)
            .map(|(index, r)| match r {
                Ok(id) => ImportedItem {
                    index,
                    id: Some(id),
                    error: None,
                },
                Err(e) => ImportedItem {
                    index,
                    id: None,
                    error: Some(ErrorBody::from(&e)),
                },
            })
            .collect();
        answered.extend(bad.into_iter().map(|(index, e)| ImportedItem {
            index,
            id: None,
            error: e.err().map(|e| ErrorBody::from(&e)),
        }));
        answered.sort_by_key(|i| i.index);
        self.items.extend(answered);
    }

    fn reply(self) -> ImportReply {
        let failed = self.items.iter().filter(|i| i.error.is_some()).count();
        ImportReply {
            created: self.items.len() - failed,
            failed,
            items: self.items,
        }
    }
}

/// Imports `users` into `org_id` (the gRPC API's import).
pub async fn import_users(
    gw: &Gateway,
    auth: &Authenticated,
    org_id: &str,
    users: Vec<ImportedUser>,
) -> Result<ImportReply, Error> {
    let mut import = Import::begin(gw, auth, org_id).await?;
    if users.len() > MAX_USERS {
        return Err(too_large(&format!(
            "an import takes {MAX_USERS} users at most"
        )));
    }
    for user in users {
        import
            .pending
            .push((import.items.len() + import.pending.len(), Ok(user)));
        if import.pending.len() >= BATCH {
            import.flush().await;
        }
    }
    import.flush().await;
    Ok(import.reply())
}

/// Imports the users of `body` (NDJSON when `ndjson`, else a JSON array) into `org_id`.
pub async fn import(
    gw: &Gateway,
    auth: &Authenticated,
    org_id: &str,
    ndjson: bool,
    mut body: web::Payload,
) -> Result<ImportReply, Error> {
    let mut import = Import::begin(gw, auth, org_id).await?;
    let mut buffer: Vec<u8> = Vec::new();
    let mut read = 0usize;
    while let Some(chunk) = body.next().await {
        let chunk: Bytes = chunk.map_err(|e| malformed(format!("the body broke off: {e}")))?;
        read += chunk.len();
        if read > MAX_BYTES {
            return Err(too_large("the body is over 128 MiB"));
        }
        buffer.extend_from_slice(&chunk);
        if !ndjson {
            continue;
        }
        while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buffer.drain(..=end).collect();
            if !line.iter().all(u8::is_ascii_whitespace) {
                import.add(serde_json::from_slice(&line).map_err(malformed))?;
            }
        }
        if import.pending.len() >= BATCH {
            import.flush().await;
        }
    }
    if ndjson {
        if !buffer.iter().all(u8::is_ascii_whitespace) {
            import.add(serde_json::from_slice(&buffer).map_err(malformed))?;
        }
    } else {
        let all: Vec<serde_json::Value> = serde_json::from_slice(&buffer).map_err(|e| {
            Error::new(
                Code::MalformedBody,
                format!("the body is not a JSON array of users (or send NDJSON as application/x-ndjson): {e}"),
            )
        })?;
        if all.len() > MAX_USERS {
            return Err(too_large(&format!(
                "an import takes {MAX_USERS} users at most"
            )));
        }
        // An array is read whole: an item that is not a user refuses it all, before anything
        // is written.
        let users = all
            .into_iter()
            .enumerate()
            .map(|(index, value)| {
                serde_json::from_value::<ImportedHuman>(value)
                    .map_err(|e| malformed(e).with("index", index.to_string()))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        for user in users {
            import.add(Ok(user))?;
            if import.pending.len() >= BATCH {
                import.flush().await;
            }
        }
    }
    import.flush().await;
    Ok(import.reply())
}
