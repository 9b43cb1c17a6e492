//! Event -> statements. Every event type of every aggregate is matched, so a new event cannot
//! be forgotten here.

use domain::instance::InstanceEvent;
use domain::oidc::{
    AssertionEvent, AuthRequestEvent, RefreshEvent, SessionEvent, TokenRevocationEvent,
};
use domain::org::OrgEvent;
use domain::project::ProjectEvent;
use domain::signing_keys::SigningKeysEvent;
use domain::unique::UniqueEvent;
use domain::user::UserEvent;
use domain::user_grant::UserGrantEvent;
use domain::DomainEvent;
use eventlog::StoredEvent;
use rusqlite::{params, Connection};

/// Runs a statement through the connection's prepared-statement cache.
pub(crate) fn exec(
    tx: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<usize> {
    tx.prepare_cached(sql)?.execute(params)
}

/// Applies one event unless its aggregate has already seen this version (a replay).
pub(crate) fn apply(
    tx: &Connection,
    stored: &StoredEvent,
    event: &DomainEvent,
) -> rusqlite::Result<()> {
    let s = &stored.stream;
    // One statement both guards and records: no row changes when the version was seen.
    let newer = exec(
        tx,
        "INSERT INTO versions (instance, kind, id, version) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (instance, kind, id) DO UPDATE SET version = excluded.version
         WHERE excluded.version > versions.version",
        params![s.instance, s.kind, s.id, stored.version as i64],
    )?;
    if newer == 0 {
        return Ok(());
    }
    let (i, id) = (s.instance.as_str(), s.id.as_str());
    crate::audit::record(tx, stored)?;
    match event {
        DomainEvent::Instance(e) => instance(tx, i, e, stored.event.created_at),
        DomainEvent::Org(e) => org(tx, i, id, e),
        DomainEvent::User(e) => {
            crate::user_projection::apply(tx, i, id, e, stored.event.created_at)
        }
        DomainEvent::Project(e) => crate::project_projection::apply(tx, i, id, e),
        DomainEvent::UserGrant(e) => crate::project_projection::user_grant(tx, i, id, e),
        DomainEvent::SigningKeys(e) => crate::keys_projection::apply(tx, i, e),
        // The flows' state is read from their actors; the audit trail has the events.
        DomainEvent::AuthRequest(
            AuthRequestEvent::Added { .. }
            | AuthRequestEvent::CodeIssued { .. }
            | AuthRequestEvent::CodeExchanged { .. }
            | AuthRequestEvent::CodeReused { .. },
        )
        | DomainEvent::Session(
            SessionEvent::Started { .. }
            | SessionEvent::Renewed { .. }
            | SessionEvent::Used { .. }
            | SessionEvent::Ended
            | SessionEvent::Created { .. }
            | SessionEvent::PasswordChecked { .. }
            | SessionEvent::FactorChecked { .. }
            | SessionEvent::KeyChallenged { .. }
            | SessionEvent::IdpChecked { .. },
        )
        | DomainEvent::RefreshFamily(
            RefreshEvent::Issued { .. } | RefreshEvent::Rotated { .. } | RefreshEvent::Revoked,
        )
        | DomainEvent::TokenRevocations(TokenRevocationEvent::Revoked { .. })
        | DomainEvent::UsedAssertions(AssertionEvent::Used { .. })
        | DomainEvent::DeviceAuthorization(_)
        | DomainEvent::IdpIntent(_)
        | DomainEvent::ActionDelivery(_) => Ok(()),
        // Claims are the write side's business; nothing reads them.
        DomainEvent::Unique(UniqueEvent::Claimed { .. } | UniqueEvent::Released { .. }) => Ok(()),
    }
}

/// Which of the gateway's caches an event makes stale.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Stale {
    /// Who a caller is or what they may do (their memberships, their tokens, their existence),
    /// and which keys sign and verify tokens: cached principals and keys (the auth generation).
    pub auth: bool,
    /// What the OIDC endpoints keep of a client or a token's subject: an app's or a machine
    /// user's credentials, a user's state or claims, and new apps (apps are kept as missing
    /// too; users only when found, so new users make nothing stale): the client generation.
    pub clients: bool,
}

const NONE: Stale = Stale {
    auth: false,
    clients: false,
};
const AUTH: Stale = Stale {
    auth: true,
    clients: false,
};
const CLIENTS: Stale = Stale {
    auth: false,
    clients: true,
};
const BOTH: Stale = Stale {
    auth: true,
    clients: true,
};

pub(crate) fn stale(event: &DomainEvent) -> Stale {
    match event {
        DomainEvent::Instance(e) => match e {
            InstanceEvent::Added { .. }
            | InstanceEvent::SettingsSet { .. }
            | InstanceEvent::SmtpSet { .. }
            | InstanceEvent::SmsSet { .. }
            | InstanceEvent::IdpAdded { .. }
            | InstanceEvent::IdpChanged { .. }
            | InstanceEvent::IdpRemoved { .. }
            | InstanceEvent::TextsSet { .. } => NONE,
            // The gateway caches the actions the token flow calls.
            InstanceEvent::ActionTargetAdded { .. }
            | InstanceEvent::ActionTargetChanged { .. }
            | InstanceEvent::ActionTargetRemoved { .. }
            | InstanceEvent::ActionExecutionSet { .. }
            | InstanceEvent::ActionExecutionRemoved { .. } => CLIENTS,
            InstanceEvent::MemberSet { .. }
            | InstanceEvent::MemberRemoved { .. }
            | InstanceEvent::SystemMemberSet { .. }
            | InstanceEvent::SystemMemberRemoved { .. } => AUTH,
            InstanceEvent::Removed { .. } => BOTH,
        },
        DomainEvent::Org(e) => match e {
            OrgEvent::Added { .. }
            | OrgEvent::Renamed { .. }
            | OrgEvent::SettingsSet { .. }
            | OrgEvent::SettingsReset { .. }
            | OrgEvent::IdpAdded { .. }
            | OrgEvent::IdpChanged { .. }
            | OrgEvent::IdpRemoved { .. }
            | OrgEvent::DomainAdded { .. }
            | OrgEvent::DomainVerified { .. }
            | OrgEvent::DomainRemoved { .. }
            | OrgEvent::TextsSet { .. } => NONE,
            OrgEvent::MemberSet { .. } | OrgEvent::MemberRemoved { .. } => AUTH,
            OrgEvent::Removed { .. } => BOTH,
        },
        DomainEvent::User(e) => match e {
            UserEvent::HumanAdded { .. }
            | UserEvent::MachineAdded { .. }
            | UserEvent::PatAdded { .. }
            | UserEvent::PasswordChanged { .. }
            | UserEvent::MetadataSet { .. }
            | UserEvent::MetadataRemoved { .. }
            | UserEvent::PasswordCheckFailed
            | UserEvent::PasswordCheckSucceeded
            | UserEvent::LockedOut { .. }
            | UserEvent::SessionsEnded { .. }
            | UserEvent::CodeAdded { .. }
            | UserEvent::CodeCheckFailed { .. }
            | UserEvent::NotificationSent { .. }
            | UserEvent::NotificationFailed { .. }
            | UserEvent::TotpAdded { .. }
            | UserEvent::TotpVerified { .. }
            | UserEvent::TotpRemoved
            | UserEvent::OtpAdded { .. }
            | UserEvent::OtpRemoved { .. }
            | UserEvent::RecoveryCodesSet { .. }
            | UserEvent::TotpChecked { .. }
            | UserEvent::OtpChecked { .. }
            | UserEvent::RecoveryCodeUsed { .. }
            | UserEvent::SecondFactorCheckFailed
            | UserEvent::WebAuthnStarted { .. }
            | UserEvent::WebAuthnAdded { .. }
            | UserEvent::WebAuthnRemoved { .. }
            | UserEvent::WebAuthnChecked { .. }
            // Keys are read from the user's actor when they sign.
            | UserEvent::MachineKeyAdded { .. }
            | UserEvent::MachineKeyRemoved { .. }
            | UserEvent::IdpLinked { .. }
            | UserEvent::IdpUnlinked { .. }
            | UserEvent::PasswordRehashed { .. }
            | UserEvent::Impersonated { .. } => NONE,
            UserEvent::PatRemoved { .. } => AUTH,
            // Userinfo's claims and a machine user's client secret.
            UserEvent::ProfileChanged { .. }
            | UserEvent::MachineChanged { .. }
            | UserEvent::EmailChanged { .. }
            | UserEvent::PhoneChanged { .. }
            | UserEvent::EmailVerified
            | UserEvent::PhoneVerified
            | UserEvent::SecretSet { .. }
            | UserEvent::SecretRemoved => CLIENTS,
            // A deactivated or locked user's tokens stop working at once.
            UserEvent::Removed { .. }
            | UserEvent::Deactivated
            | UserEvent::Reactivated
            | UserEvent::Locked
            | UserEvent::Unlocked => BOTH,
        },
        DomainEvent::Project(e) => match e {
            ProjectEvent::Added { .. }
            | ProjectEvent::Changed { .. }
            | ProjectEvent::RoleAdded { .. }
            | ProjectEvent::RoleRemoved { .. }
            | ProjectEvent::GrantAdded { .. }
            | ProjectEvent::GrantChanged { .. }
            | ProjectEvent::AppKeyAdded { .. }
            | ProjectEvent::AppKeyRemoved { .. }
            | ProjectEvent::SamlAppAdded { .. }
            | ProjectEvent::SamlAppChanged { .. } => NONE,
            ProjectEvent::MemberSet { .. }
            | ProjectEvent::MemberRemoved { .. }
            | ProjectEvent::GrantRemoved { .. }
            | ProjectEvent::GrantMemberSet { .. }
            | ProjectEvent::GrantMemberRemoved { .. } => AUTH,
            ProjectEvent::AppAdded { .. }
            | ProjectEvent::AppChanged { .. }
            | ProjectEvent::AppSecretRotated { .. }
            | ProjectEvent::AppSigningSet { .. }
            | ProjectEvent::AppRemoved { .. } => CLIENTS,
            ProjectEvent::Removed { .. } => BOTH,
        },
        // User grants are end users' project roles, not manager permissions.
        DomainEvent::UserGrant(
            UserGrantEvent::Added { .. } | UserGrantEvent::Changed { .. } | UserGrantEvent::Removed,
        ) => NONE,
        // The gateway keeps each instance's keys for one auth generation.
        DomainEvent::SigningKeys(
            SigningKeysEvent::KeyAdded { .. }
            | SigningKeysEvent::KeyActivated { .. }
            | SigningKeysEvent::KeyRetired { .. }
            | SigningKeysEvent::KeyRemoved { .. },
        ) => AUTH,
        DomainEvent::AuthRequest(_) | DomainEvent::Session(_) | DomainEvent::RefreshFamily(_) => {
            NONE
        }
        // What gateways remember of tokens revoked on their own.
        DomainEvent::TokenRevocations(TokenRevocationEvent::Revoked { .. }) => AUTH,
        DomainEvent::UsedAssertions(AssertionEvent::Used { .. })
        | DomainEvent::DeviceAuthorization(_)
        | DomainEvent::IdpIntent(_)
        | DomainEvent::ActionDelivery(_) => NONE,
        DomainEvent::Unique(UniqueEvent::Claimed { .. } | UniqueEvent::Released { .. }) => NONE,
    }
}

pub(crate) fn set_member(
    tx: &Connection,
    i: &str,
    user: &str,
    level: &str,
    resource: &str,
    roles: &[String],
) -> rusqlite::Result<()> {
    exec(tx,
        "INSERT INTO memberships (instance, user_id, level, resource_id, roles) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (instance, user_id, level, resource_id) DO UPDATE SET roles = excluded.roles",
        params![i, user, level, resource, roles.join(",")],
    )?;
    Ok(())
}

pub(crate) fn remove_member(
    tx: &Connection,
    i: &str,
    user: &str,
    level: &str,
    resource: &str,
) -> rusqlite::Result<()> {
    exec(tx,
        "DELETE FROM memberships WHERE instance = ?1 AND user_id = ?2 AND level = ?3 AND resource_id = ?4",
        params![i, user, level, resource],
    )?;
    Ok(())
}

fn instance(tx: &Connection, i: &str, e: &InstanceEvent, at: i64) -> rusqlite::Result<()> {
    match e {
        InstanceEvent::Added { name, domains } => {
            exec(
                tx,
                "INSERT OR REPLACE INTO instances (id, name, domains, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![i, name, domains.join(","), at],
            )?;
            for d in domains {
                exec(
                    tx,
                    "INSERT OR REPLACE INTO domains (domain, instance) VALUES (?1, ?2)",
                    params![d, i],
                )?;
            }
            Ok(())
        }
        InstanceEvent::MemberSet { user_id, roles } => {
            set_member(tx, i, user_id, "instance", "", roles)
        }
        InstanceEvent::MemberRemoved { user_id } => remove_member(tx, i, user_id, "instance", ""),
        InstanceEvent::SystemMemberSet { user_id, roles } => {
            set_member(tx, i, user_id, "system", "", roles)
        }
        InstanceEvent::SystemMemberRemoved { user_id } => {
            remove_member(tx, i, user_id, "system", "")
        }
        // Settings are read from their aggregates; the audit trail has the events.
        // (and the SMTP server is read from the instance where a message is sent).
        InstanceEvent::SettingsSet { .. }
        | InstanceEvent::SmtpSet { .. }
        | InstanceEvent::SmsSet { .. }
        | InstanceEvent::IdpAdded { .. }
        | InstanceEvent::IdpChanged { .. }
        | InstanceEvent::IdpRemoved { .. }
        | InstanceEvent::ActionTargetAdded { .. }
        | InstanceEvent::ActionTargetChanged { .. }
        | InstanceEvent::ActionTargetRemoved { .. }
        | InstanceEvent::ActionExecutionSet { .. }
        | InstanceEvent::ActionExecutionRemoved { .. }
        | InstanceEvent::TextsSet { .. } => Ok(()),
        InstanceEvent::Removed { .. } => {
            for table in [
                "domains",
                "orgs",
                "users",
                "outbox",
                "memberships",
                "pats",
                "user_metadata",
                "projects",
                "project_roles",
                "apps",
                "project_grants",
                "user_grants",
                "signing_keys",
            ] {
                exec(
                    tx,
                    &format!("DELETE FROM {table} WHERE instance = ?1"),
                    params![i],
                )?;
            }
            exec(tx, "DELETE FROM instances WHERE id = ?1", params![i])?;
            Ok(())
        }
    }
}

fn org(tx: &Connection, i: &str, id: &str, e: &OrgEvent) -> rusqlite::Result<()> {
    match e {
        OrgEvent::Added { name } => {
            exec(
                tx,
                "INSERT OR REPLACE INTO orgs (instance, id, name) VALUES (?1, ?2, ?3)",
                params![i, id, name],
            )?;
        }
        OrgEvent::MemberSet { user_id, roles } => set_member(tx, i, user_id, "org", id, roles)?,
        OrgEvent::MemberRemoved { user_id } => remove_member(tx, i, user_id, "org", id)?,
        OrgEvent::Renamed { name } => {
            exec(
                tx,
                "UPDATE orgs SET name = ?3 WHERE instance = ?1 AND id = ?2",
                params![i, id, name],
            )?;
        }
        OrgEvent::Removed { .. } => {
            exec(
                tx,
                "DELETE FROM orgs WHERE instance = ?1 AND id = ?2",
                params![i, id],
            )?;
            exec(tx, "DELETE FROM memberships WHERE instance = ?1 AND level = 'org' AND resource_id = ?2", params![i, id])?;
        }
        // Settings are read from their aggregates; the audit trail has the events.
        OrgEvent::SettingsSet { .. }
        | OrgEvent::SettingsReset { .. }
        | OrgEvent::IdpAdded { .. }
        | OrgEvent::IdpChanged { .. }
        | OrgEvent::IdpRemoved { .. }
        | OrgEvent::DomainAdded { .. }
        | OrgEvent::DomainVerified { .. }
        | OrgEvent::DomainRemoved { .. }
        | OrgEvent::TextsSet { .. } => {}
    }
    Ok(())
}
