//! User events -> the users, pats, user_metadata, outbox and (on removal) memberships tables.

use domain::user::{otp_kind, CodeKind, UserEvent, UserState};
use rusqlite::{params, Connection};

use crate::projection::exec;

fn set_state(tx: &Connection, i: &str, id: &str, state: UserState) -> rusqlite::Result<usize> {
    exec(
        tx,
        "UPDATE users SET state = ?3 WHERE instance = ?1 AND id = ?2",
        params![i, id, state.name()],
    )
}

/// The user's messages that carry a code of one of `kinds` are no longer to be sent.
fn drop_messages(tx: &Connection, i: &str, id: &str, kinds: &[CodeKind]) -> rusqlite::Result<()> {
    for kind in kinds {
        exec(
            tx,
            "DELETE FROM outbox WHERE instance = ?1 AND user_id = ?2 AND kind = ?3",
            params![i, id, kind.name()],
        )?;
    }
    Ok(())
}

/// `at`: when the event was recorded (unix milliseconds).
pub(crate) fn apply(
    tx: &Connection,
    i: &str,
    id: &str,
    e: &UserEvent,
    at: i64,
) -> rusqlite::Result<()> {
    let lower = domain::validate::normalized_username;
    match e {
        UserEvent::HumanAdded {
            org_id,
            username,
            profile,
            email,
            phone,
            ..
        } => {
            exec(tx,
                "INSERT OR REPLACE INTO users (instance, id, org_id, username, username_lower, kind, state, display_name,
                    given_name, family_name, preferred_language, email, email_verified, phone, phone_verified)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'human', 'active', ?6, ?7, ?8, ?9, ?10, ?11, ?12, 0)",
                params![i, id, org_id, username, lower(username), profile.display_name, profile.given_name,
                    profile.family_name, profile.preferred_language, email.address, email.verified, phone],
            )?;
        }
        UserEvent::MachineAdded {
            org_id,
            username,
            name,
            description,
        } => {
            exec(tx,
                "INSERT OR REPLACE INTO users (instance, id, org_id, username, username_lower, kind, state, display_name, description)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'machine', 'active', ?6, ?7)",
                params![i, id, org_id, username, lower(username), name, description],
            )?;
        }
        UserEvent::PatAdded {
            pat_id,
            token_hash,
            expires_at,
        } => {
            exec(tx,
                "INSERT OR REPLACE INTO pats (token_hash, instance, user_id, pat_id, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![token_hash, i, id, pat_id, expires_at],
            )?;
        }
        UserEvent::PatRemoved { pat_id } => {
            exec(
                tx,
                "DELETE FROM pats WHERE instance = ?1 AND user_id = ?2 AND pat_id = ?3",
                params![i, id, pat_id],
            )?;
        }
        UserEvent::Removed { .. } => {
            exec(
                tx,
                "DELETE FROM users WHERE instance = ?1 AND id = ?2",
                params![i, id],
            )?;
            for table in ["pats", "memberships", "user_metadata", "outbox"] {
                exec(
                    tx,
                    &format!("DELETE FROM {table} WHERE instance = ?1 AND user_id = ?2"),
                    params![i, id],
                )?;
            }
        }
        UserEvent::ProfileChanged { profile } => {
            exec(tx,
                "UPDATE users SET display_name = ?3, given_name = ?4, family_name = ?5, preferred_language = ?6
                 WHERE instance = ?1 AND id = ?2",
                params![i, id, profile.display_name, profile.given_name, profile.family_name, profile.preferred_language],
            )?;
        }
        UserEvent::MachineChanged { name, description } => {
            exec(
                tx,
                "UPDATE users SET display_name = ?3, description = ?4 WHERE instance = ?1 AND id = ?2",
                params![i, id, name, description],
            )?;
        }
        UserEvent::EmailChanged { email } => {
            exec(
                tx,
                "UPDATE users SET email = ?3, email_verified = ?4 WHERE instance = ?1 AND id = ?2",
                params![i, id, email.address, email.verified],
            )?;
            drop_messages(tx, i, id, &[CodeKind::VerifyEmail])?;
        }
        UserEvent::PhoneChanged { phone, verified } => {
            exec(
                tx,
                "UPDATE users SET phone = ?3, phone_verified = ?4 WHERE instance = ?1 AND id = ?2",
                params![i, id, phone, verified],
            )?;
            drop_messages(tx, i, id, &[CodeKind::VerifyPhone])?;
        }
        UserEvent::EmailVerified => {
            exec(
                tx,
                "UPDATE users SET email_verified = 1 WHERE instance = ?1 AND id = ?2",
                params![i, id],
            )?;
            drop_messages(tx, i, id, &[CodeKind::VerifyEmail])?;
        }
        UserEvent::PhoneVerified => {
            exec(
                tx,
                "UPDATE users SET phone_verified = 1 WHERE instance = ?1 AND id = ?2",
                params![i, id],
            )?;
            drop_messages(tx, i, id, &[CodeKind::VerifyPhone])?;
        }
        // Password hashes live only in the write model (and the log); no read model holds them.
        UserEvent::PasswordChanged { .. } => {
            drop_messages(tx, i, id, &[CodeKind::PasswordReset, CodeKind::Init])?;
        }
        // The outbox: a code's message waits until it is sent or given up; a new code of its
        // kind replaces it.
        UserEvent::CodeAdded { kind, message, .. } => {
            drop_messages(tx, i, id, &[*kind])?;
            if let Some(m) = message {
                exec(tx,
                    "INSERT OR REPLACE INTO outbox (instance, user_id, message_id, kind, due_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![i, id, m.id, kind.name(), at],
                )?;
            }
        }
        UserEvent::CodeCheckFailed { kind, void } => {
            if *void {
                drop_messages(tx, i, id, &[*kind])?;
            }
        }
        UserEvent::NotificationSent { message_id }
        | UserEvent::NotificationFailed {
            message_id,
            retry_at: None,
            ..
        } => {
            exec(
                tx,
                "DELETE FROM outbox WHERE instance = ?1 AND user_id = ?2 AND message_id = ?3",
                params![i, id, message_id],
            )?;
        }
        UserEvent::NotificationFailed {
            message_id,
            retry_at: Some(due),
            ..
        } => {
            exec(
                tx,
                "UPDATE outbox SET due_at = ?4 WHERE instance = ?1 AND user_id = ?2 AND message_id = ?3",
                params![i, id, message_id, due],
            )?;
        }
        // A login code used, or its factor removed: its message is not sent any more.
        UserEvent::OtpChecked { channel } | UserEvent::OtpRemoved { channel } => {
            drop_messages(tx, i, id, &[otp_kind(*channel)])?;
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
        UserEvent::Deactivated => {
            set_state(tx, i, id, UserState::Inactive)?;
        }
        UserEvent::Reactivated | UserEvent::Unlocked => {
            set_state(tx, i, id, UserState::Active)?;
        }
        UserEvent::Locked => {
            set_state(tx, i, id, UserState::Locked)?;
        }
        UserEvent::MetadataSet { key, value } => {
            exec(tx,
                "INSERT OR REPLACE INTO user_metadata (instance, user_id, key, value) VALUES (?1, ?2, ?3, ?4)",
                params![i, id, key, value],
            )?;
        }
        UserEvent::MetadataRemoved { key } => {
            exec(
                tx,
                "DELETE FROM user_metadata WHERE instance = ?1 AND user_id = ?2 AND key = ?3",
                params![i, id, key],
            )?;
        }
        UserEvent::SecretSet { secret_hash } => {
            exec(
                tx,
                "UPDATE users SET secret_hash = ?3 WHERE instance = ?1 AND id = ?2",
                params![i, id, secret_hash],
            )?;
        }
        UserEvent::SecretRemoved => {
            exec(
                tx,
                "UPDATE users SET secret_hash = NULL WHERE instance = ?1 AND id = ?2",
                params![i, id],
            )?;
        }
    }
    Ok(())
}
