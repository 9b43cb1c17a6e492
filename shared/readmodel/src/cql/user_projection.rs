//! Users, their tokens and metadata as CQL writes.

use domain::user::{otp_kind, CodeKind, UserEvent, UserState};
use domain::Error;

use super::{storage, CqlReadModel};

impl CqlReadModel {
    pub(super) async fn set_state(&self, i: &str, id: &str, state: UserState) -> Result<(), Error> {
        self.run(
            "UPDATE users SET state = ? WHERE instance = ? AND id = ?",
            (state.name(), i, id),
        )
        .await?;
        Ok(())
    }

    /// A new user's rows: by id, by org and by login name.
    pub(super) async fn add_user(
        &self,
        i: &str,
        id: &str,
        org_id: &str,
        username: &str,
    ) -> Result<(), Error> {
        self.run(
            "INSERT INTO users_by_org (instance, org_id, id) VALUES (?, ?, ?)",
            (i, org_id, id),
        )
        .await?;
        let login = domain::validate::normalized_username(username);
        self.run(
            "INSERT INTO users_by_login (instance, username_lower, id) VALUES (?, ?, ?)",
            (i, &login, id),
        )
        .await?;
        self.run(
            "INSERT INTO users_by_login_prefix (instance, initial, username_lower, id) \
             VALUES (?, ?, ?, ?)",
            (i, initial(&login), &login, id),
        )
        .await?;
        Ok(())
    }

    /// The email address a user's row holds.
    async fn held_email(&self, i: &str, id: &str) -> Result<Option<String>, Error> {
        Ok(self
            .rows(
                "SELECT email FROM users WHERE instance = ? AND id = ?",
                (i, id),
            )
            .await?
            .maybe_first_row::<(Option<String>,)>()
            .map_err(storage)?
            .and_then(|(email,)| email))
    }

    /// Moves a user's entry in `users_by_email` from the address `held` to `now`.
    async fn index_email(
        &self,
        i: &str,
        id: &str,
        held: Option<&str>,
        now: &str,
    ) -> Result<(), Error> {
        if let Some(held) = held.filter(|h| !h.is_empty()) {
            self.run(
                "DELETE FROM users_by_email WHERE instance = ? AND email_lower = ? AND id = ?",
                (i, held.to_lowercase(), id),
            )
            .await?;
        }
        if !now.is_empty() {
            self.run(
                "INSERT INTO users_by_email (instance, email_lower, id) VALUES (?, ?, ?)",
                (i, now.to_lowercase(), id),
            )
            .await?;
        }
        Ok(())
    }

    /// A user's rows and everything hanging off them: tokens, memberships, metadata.
    /// Forgets a token hash, unless another user holds it now (the system user moved to the
    /// system scope keeps the tokens it had in its instance).
    async fn forget_pat_hash(&self, hash: &str, i: &str, id: &str) -> Result<(), Error> {
        let holder = self
            .rows(
                "SELECT instance, user_id FROM pats_by_hash WHERE token_hash = ?",
                (hash,),
            )
            .await?;
        let held_here = holder
            .rows::<(String, String)>()
            .map_err(storage)?
            .filter_map(Result::ok)
            .any(|(instance, user)| instance == i && user == id);
        if held_here {
            self.run("DELETE FROM pats_by_hash WHERE token_hash = ?", (hash,))
                .await?;
        }
        Ok(())
    }

    pub(super) async fn remove_user(&self, i: &str, id: &str) -> Result<(), Error> {
        let email = self.held_email(i, id).await?;
        self.index_email(i, id, email.as_deref(), "").await?;
        let found = self
            .rows(
                "SELECT org_id, username FROM users WHERE instance = ? AND id = ?",
                (i, id),
            )
            .await?
            .maybe_first_row::<(Option<String>, Option<String>)>()
            .map_err(storage)?;
        if let Some((org, username)) = found {
            self.run(
                "DELETE FROM users_by_org WHERE instance = ? AND org_id = ? AND id = ?",
                (i, org.unwrap_or_default(), id),
            )
            .await?;
            let login = domain::validate::normalized_username(&username.unwrap_or_default());
            self.run(
                "DELETE FROM users_by_login WHERE instance = ? AND username_lower = ?",
                (i, &login),
            )
            .await?;
            self.run(
                "DELETE FROM users_by_login_prefix WHERE instance = ? AND initial = ? \
                 AND username_lower = ?",
                (i, initial(&login), &login),
            )
            .await?;
        }
        for hash in self
            .column(
                "SELECT token_hash FROM pats_by_user WHERE instance = ? AND user_id = ?",
                (i, id),
            )
            .await?
        {
            self.forget_pat_hash(&hash, i, id).await?;
        }
        self.run(
            "DELETE FROM pats_by_user WHERE instance = ? AND user_id = ?",
            (i, id),
        )
        .await?;
        let held = self
            .rows(
                "SELECT level, resource_id FROM memberships_by_user WHERE instance = ? AND user_id = ?",
                (i, id),
            )
            .await?;
        for row in held.rows::<(String, String)>().map_err(storage)? {
            let (level, resource) = row.map_err(storage)?;
            self.run(
                "DELETE FROM memberships_by_resource WHERE instance = ? AND level = ? AND resource_id = ? AND user_id = ?",
                (i, &level, &resource, id),
            )
            .await?;
        }
        for table in ["memberships_by_user", "user_metadata"] {
            self.run(
                &format!("DELETE FROM {table} WHERE instance = ? AND user_id = ?"),
                (i, id),
            )
            .await?;
        }
        self.run("DELETE FROM users WHERE instance = ? AND id = ?", (i, id))
            .await?;
        Ok(())
    }

    pub(super) async fn user(
        &self,
        i: &str,
        id: &str,
        e: &UserEvent,
        at: i64,
    ) -> Result<(), Error> {
        match e {
            UserEvent::HumanAdded {
                org_id,
                username,
                profile,
                email,
                phone,
                ..
            } => {
                self.run(
                    "INSERT INTO users (instance, id, org_id, username, kind, state, display_name, given_name, family_name,
                        preferred_language, email, email_verified, phone, phone_verified, description, secret_hash)
                     VALUES (?, ?, ?, ?, 'human', 'active', ?, ?, ?, ?, ?, ?, ?, false, null, null)",
                    (i, id, org_id, username, &profile.display_name, &profile.given_name, &profile.family_name,
                        &profile.preferred_language, &email.address, email.verified, phone),
                )
                .await?;
                self.add_user(i, id, org_id, username).await?;
                self.index_email(i, id, None, &email.address).await?;
            }
            UserEvent::MachineAdded {
                org_id,
                username,
                name,
                description,
            } => {
                self.run(
                    "INSERT INTO users (instance, id, org_id, username, kind, state, display_name, given_name, family_name,
                        preferred_language, email, email_verified, phone, phone_verified, description, secret_hash)
                     VALUES (?, ?, ?, ?, 'machine', 'active', ?, null, null, null, null, null, null, null, ?, null)",
                    (i, id, org_id, username, name, description),
                )
                .await?;
                self.add_user(i, id, org_id, username).await?;
            }
            UserEvent::PatAdded {
                pat_id,
                token_hash,
                expires_at,
            } => {
                self.run(
                    "INSERT INTO pats_by_hash (token_hash, instance, user_id, pat_id, expires_at) VALUES (?, ?, ?, ?, ?)",
                    (token_hash, i, id, pat_id, expires_at),
                )
                .await?;
                self.run(
                    "INSERT INTO pats_by_user (instance, user_id, pat_id, token_hash, expires_at) VALUES (?, ?, ?, ?, ?)",
                    (i, id, pat_id, token_hash, expires_at),
                )
                .await?;
            }
            UserEvent::PatRemoved { pat_id } => {
                for hash in self
                    .column(
                        "SELECT token_hash FROM pats_by_user WHERE instance = ? AND user_id = ? AND pat_id = ?",
                        (i, id, pat_id),
                    )
                    .await?
                {
                    self.forget_pat_hash(&hash, i, id).await?;
                }
                self.run(
                    "DELETE FROM pats_by_user WHERE instance = ? AND user_id = ? AND pat_id = ?",
                    (i, id, pat_id),
                )
                .await?;
            }
            UserEvent::Removed { .. } => {
                self.forget_messages(i, id).await?;
                self.remove_user(i, id).await?
            }
            UserEvent::ProfileChanged { profile } => {
                self.run(
                    "UPDATE users SET display_name = ?, given_name = ?, family_name = ?, preferred_language = ?
                     WHERE instance = ? AND id = ?",
                    (&profile.display_name, &profile.given_name, &profile.family_name, &profile.preferred_language, i, id),
                )
                .await?;
            }
            UserEvent::MachineChanged { name, description } => {
                self.run(
                    "UPDATE users SET display_name = ?, description = ? WHERE instance = ? AND id = ?",
                    (name, description, i, id),
                )
                .await?;
            }
            UserEvent::EmailChanged { email } => {
                let held = self.held_email(i, id).await?;
                self.index_email(i, id, held.as_deref(), &email.address)
                    .await?;
                self.run(
                    "UPDATE users SET email = ?, email_verified = ? WHERE instance = ? AND id = ?",
                    (&email.address, email.verified, i, id),
                )
                .await?;
                self.drop_messages(i, id, &[CodeKind::VerifyEmail]).await?;
            }
            UserEvent::PhoneChanged { phone, verified } => {
                self.run(
                    "UPDATE users SET phone = ?, phone_verified = ? WHERE instance = ? AND id = ?",
                    (phone, verified, i, id),
                )
                .await?;
                self.drop_messages(i, id, &[CodeKind::VerifyPhone]).await?;
            }
            UserEvent::EmailVerified => {
                self.run(
                    "UPDATE users SET email_verified = true WHERE instance = ? AND id = ?",
                    (i, id),
                )
                .await?;
                self.drop_messages(i, id, &[CodeKind::VerifyEmail]).await?;
            }
            UserEvent::PhoneVerified => {
                self.run(
                    "UPDATE users SET phone_verified = true WHERE instance = ? AND id = ?",
                    (i, id),
                )
                .await?;
                self.drop_messages(i, id, &[CodeKind::VerifyPhone]).await?;
            }
            // Password hashes live only in the write model (and the log).
            UserEvent::PasswordChanged { .. } => {
                let kinds = [CodeKind::PasswordReset, CodeKind::Init];
                self.drop_messages(i, id, &kinds).await?;
            }
            // The outbox: a code's message waits until it is sent or given up; a new code of
            // its kind replaces it.
            UserEvent::CodeAdded { kind, message, .. } => match message {
                Some(m) => self.queue_message(i, id, *kind, &m.id, at).await?,
                None => self.drop_messages(i, id, &[*kind]).await?,
            },
            UserEvent::CodeCheckFailed { kind, void } => {
                if *void {
                    self.drop_messages(i, id, &[*kind]).await?;
                }
            }
            UserEvent::NotificationSent { message_id } => {
                self.message_outcome(i, id, message_id, None).await?
            }
            UserEvent::NotificationFailed {
                message_id,
                retry_at,
                ..
            } => self.message_outcome(i, id, message_id, *retry_at).await?,
            // A login code used, or its factor removed: its message is not sent any more.
            UserEvent::OtpChecked { channel } | UserEvent::OtpRemoved { channel } => {
                self.drop_messages(i, id, &[otp_kind(*channel)]).await?
            }
            UserEvent::PasswordCheckFailed
            | UserEvent::PasswordCheckSucceeded
            | UserEvent::LockedOut { .. }
            | UserEvent::SessionsEnded { .. }
            | UserEvent::TotpAdded { .. }
            | UserEvent::TotpVerified { .. }
            | UserEvent::TotpRemoved
            | UserEvent::OtpAdded { .. }
            | UserEvent::RecoveryCodesSet { .. }
            | UserEvent::TotpChecked { .. }
            | UserEvent::RecoveryCodeUsed { .. }
            | UserEvent::SecondFactorCheckFailed
            | UserEvent::WebAuthnStarted { .. }
            | UserEvent::WebAuthnAdded { .. }
            | UserEvent::WebAuthnRemoved { .. }
            | UserEvent::WebAuthnChecked { .. }
            | UserEvent::MachineKeyAdded { .. }
            | UserEvent::MachineKeyRemoved { .. }
            | UserEvent::IdpLinked { .. }
            | UserEvent::IdpUnlinked { .. }
            | UserEvent::PasswordRehashed { .. }
            | UserEvent::Impersonated { .. } => {}
            UserEvent::Deactivated => self.set_state(i, id, UserState::Inactive).await?,
            UserEvent::Reactivated | UserEvent::Unlocked => {
                self.set_state(i, id, UserState::Active).await?
            }
            UserEvent::Locked => self.set_state(i, id, UserState::Locked).await?,
            UserEvent::MetadataSet { key, value } => {
                self.run(
                    "INSERT INTO user_metadata (instance, user_id, key, value) VALUES (?, ?, ?, ?)",
                    (i, id, key, value),
                )
                .await?;
            }
            UserEvent::MetadataRemoved { key } => {
                self.run(
                    "DELETE FROM user_metadata WHERE instance = ? AND user_id = ? AND key = ?",
                    (i, id, key),
                )
                .await?;
            }
            UserEvent::SecretSet { secret_hash } => {
                self.run(
                    "UPDATE users SET secret_hash = ? WHERE instance = ? AND id = ?",
                    (secret_hash, i, id),
                )
                .await?;
            }
            UserEvent::SecretRemoved => {
                self.run(
                    "UPDATE users SET secret_hash = null WHERE instance = ? AND id = ?",
                    (i, id),
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// The partition of `users_by_login_prefix` a lower-case login name is in: its first character.
pub(super) fn initial(login: &str) -> String {
    login.chars().next().map(String::from).unwrap_or_default()
}
