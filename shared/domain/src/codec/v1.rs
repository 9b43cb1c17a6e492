//! Frozen copies of the event enums whose shape changed after release 0.1, as 0.1 wrote them
//! (positional bincode reads fields by position, so it needs the exact old shape). Each is
//! read, then turned into named fields that today's types read with their defaults. Never
//! change these: they describe data that exists.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Reads a 0.1 payload into named fields.
type Reader = fn(&[u8]) -> Result<Value, String>;

/// The reader of a 0.1 event type whose enum changed since, if it did.
pub(super) fn frozen(event_type: &str) -> Option<Reader> {
    match event_type {
        "oidc.refresh.issued" | "oidc.refresh.rotated" | "oidc.refresh.revoked" => {
            Some(read::<RefreshEvent>)
        }
        "unique.claimed" | "unique.released" => Some(read::<UniqueEvent>),
        "oidc.auth_request.added"
        | "oidc.code.issued"
        | "oidc.code.exchanged"
        | "oidc.code.reused" => Some(read::<AuthRequestEvent>),
        "user.human.added" | "user.human.password.changed" => Some(read::<UserEvent>),
        "project.app.oidc.added" | "project.app.changed" | "project.app.secret.rotated" => {
            Some(read::<ProjectEvent>)
        }
        _ => None,
    }
}

fn read<T: for<'de> Deserialize<'de> + Serialize>(payload: &[u8]) -> Result<Value, String> {
    let (old, _): (T, _) = bincode::serde::decode_from_slice(payload, bincode::config::standard())
        .map_err(|e| e.to_string())?;
    serde_json::to_value(old).map_err(|e| e.to_string())
}

#[derive(Serialize, Deserialize)]
struct Grant {
    user_id: String,
    client_id: String,
    project_id: String,
    scope: Vec<String>,
    auth_time: i64,
    session_id: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct AuthParams {
    client_id: String,
    project_id: String,
    app_id: String,
    redirect_uri: String,
    scope: Vec<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    prompt_login: bool,
    max_age: Option<i64>,
    login_hint: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Login {
    user_id: String,
    session_id: String,
    auth_time: i64,
}

/// 0.1's authorization request events, before a request carried `acr_values` and a login
/// its `amr`.
#[derive(Serialize, Deserialize)]
enum AuthRequestEvent {
    Added {
        params: AuthParams,
        at: i64,
    },
    CodeIssued {
        login: Login,
        code_hash: String,
        at: i64,
    },
    CodeExchanged {
        family_id: String,
    },
    CodeReused {
        family_id: Option<String>,
    },
}

/// 0.1's refresh events, before they said when they happened.
#[derive(Serialize, Deserialize)]
enum RefreshEvent {
    Issued { grant: Grant, token_hash: String },
    Rotated { token_hash: String },
    Revoked,
}

/// 0.1's claim events, before a claim said when it was made.
#[derive(Serialize, Deserialize)]
enum UniqueEvent {
    Claimed { owner: String },
    Released { owner: String },
}

#[derive(Serialize, Deserialize)]
struct Profile {
    given_name: String,
    family_name: String,
    display_name: String,
    preferred_language: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Email {
    address: String,
    verified: bool,
}

/// 0.1's user events up to the password change, before a password said when it was set
/// (positional: variants by index, so every earlier variant is kept).
#[derive(Serialize, Deserialize)]
enum UserEvent {
    HumanAdded {
        org_id: String,
        username: String,
        profile: Profile,
        email: Email,
        phone: Option<String>,
        password_hash: Option<String>,
    },
    MachineAdded {
        org_id: String,
        username: String,
        name: String,
        description: String,
    },
    PatAdded {
        pat_id: String,
        token_hash: String,
        expires_at: Option<i64>,
    },
    PatRemoved {
        pat_id: String,
    },
    Removed {
        username: String,
    },
    ProfileChanged {
        profile: Profile,
    },
    MachineChanged {
        name: String,
        description: String,
    },
    EmailChanged {
        email: Email,
    },
    PhoneChanged {
        phone: Option<String>,
        verified: bool,
    },
    PasswordChanged {
        password_hash: String,
    },
}

/// 0.1's OIDC app configuration, before an app could require PAR. Its enums read as today's:
/// they only grew at their ends.
#[derive(Serialize, Deserialize)]
struct OidcConfig {
    name: String,
    redirect_uris: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    grant_types: Vec<crate::app::GrantType>,
    response_types: Vec<crate::app::ResponseType>,
    auth_method: crate::app::AuthMethod,
    access_token_type: crate::app::AccessTokenType,
}

/// 0.1's project events up to the secret's rotation, before a `client_secret_jwt` app's
/// secret was kept sealed (positional: variants by index, so every earlier variant is kept).
#[derive(Serialize, Deserialize)]
enum ProjectEvent {
    Added {
        org_id: String,
        name: String,
        assert_roles: bool,
    },
    Changed {
        name: String,
        assert_roles: bool,
    },
    RoleAdded {
        key: String,
        display_name: String,
        group: Option<String>,
    },
    RoleRemoved {
        key: String,
    },
    AppAdded {
        app_id: String,
        client_id: String,
        config: OidcConfig,
        secret_hash: Option<String>,
    },
    AppChanged {
        app_id: String,
        config: OidcConfig,
    },
    AppSecretRotated {
        app_id: String,
        secret_hash: String,
    },
}
