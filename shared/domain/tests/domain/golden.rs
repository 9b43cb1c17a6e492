//! The golden log: every event type as each release wrote it, with what it means. The log is
//! kept forever, so every entry must read, with every later release, as the meaning recorded
//! beside it (`golden/events.json`).
//!
//! - A change that breaks an entry (a field deleted, a variant renamed, fields reordered in an
//!   event that the legacy encoding wrote) fails here, naming the event: keep the entry, and
//!   turn the old shape into the new one with an upcaster in `codec.rs`.
//! - Every event type must have an entry in the current encoding: a new event type or a new
//!   shape fails here until `PORTCULLIS_GOLDEN=write cargo test -p domain --test domain golden`
//!   has added its entry (then commit `golden/events.json`). Entries already there are never
//!   changed by it.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use domain::action_delivery::DeliveryEvent as ADE;
use domain::app::{AccessTokenType, AuthMethod, GrantType, OidcConfig, ResponseType, Signing};
use domain::codec;
use domain::instance::InstanceEvent as IE;
use domain::oidc::{
    AssertionEvent as XE, AuthParams, AuthRequestEvent as AE, DeviceEvent as DE, DeviceRequest,
    Grant, Login, RefreshEvent as RE, SessionEvent as SE, TokenRevocationEvent as TE,
};
use domain::org::OrgEvent as OE;
use domain::project::ProjectEvent as PE;
use domain::saml::{Binding, Endpoint, NameIdFormat, SamlConfig, SamlRequest};
use domain::settings::{
    BrandingSettings, LockoutSettings, LoginSettings, Passkeys, PasswordComplexitySettings,
    PasswordExpirySettings, SecondFactor, SecuritySettings, SessionSettings, Settings,
    SettingsKind,
};
use domain::signing_keys::SigningKeysEvent as KE;
use domain::unique::UniqueEvent as UE;
use domain::user::{Channel, Email, Factor, KeyKind, Profile, UserEvent as E};
use domain::user_grant::UserGrantEvent as GE;
use domain::{DomainEvent, EventType};
use serde_json::Value;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/events.json");

fn s(v: &str) -> String {
    v.to_string()
}

fn profile() -> Profile {
    Profile {
        given_name: s("Ada"),
        family_name: s("Lovelace"),
        display_name: s("Ada Lovelace"),
        preferred_language: Some(s("en")),
    }
}

fn jwk() -> domain::machine_keys::PublicJwk {
    domain::machine_keys::PublicJwk {
        kty: s("EC"),
        alg: s("ES256"),
        crv: Some(s("P-256")),
        n: None,
        e: None,
        x: Some(s("9jztaQUp9VxENGaL4Wqrtm50y3xOsIIkFL4c-kZUDPk")),
        y: Some(s("rKbHECWr8hsCPBxM8Ud8G8ATgS-6mv3exLEeLVTubbc")),
    }
}

fn config() -> OidcConfig {
    OidcConfig {
        name: s("web"),
        redirect_uris: vec![s("https://app.example.com/cb")],
        post_logout_redirect_uris: vec![s("https://app.example.com/bye")],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        response_types: vec![ResponseType::Code],
        auth_method: AuthMethod::ClientSecretBasic,
        access_token_type: AccessTokenType::Jwt,
        require_par: false,
        jwks_uri: None,
        backchannel_logout_uri: None,
        backchannel_logout_session_required: false,
    }
}

fn oidc_idp() -> domain::idp::Idp {
    domain::idp::Idp {
        name: s("Acme SSO"),
        kind: domain::idp::IdpKind::Oidc(domain::idp::OidcIdp {
            issuer: s("https://sso.acme.test"),
            client_id: s("portcullis"),
            sealed_secret: s("c2VhbGVk"),
            scopes: vec![s("email")],
        }),
        options: domain::idp::IdpOptions::default(),
    }
}

fn oauth_idp() -> domain::idp::Idp {
    domain::idp::Idp {
        name: s("GitHub"),
        kind: domain::idp::IdpKind::Oauth(domain::idp::OAuthIdp {
            authorization_endpoint: s("https://github.com/login/oauth/authorize"),
            token_endpoint: s("https://github.com/login/oauth/access_token"),
            userinfo_endpoint: s("https://api.github.com/user"),
            client_id: s("Iv1.abc"),
            sealed_secret: s("c2VhbGVk"),
            scopes: vec![s("read:user"), s("user:email")],
            id_attribute: s("id"),
        }),
        options: domain::idp::IdpOptions {
            auto_link: domain::idp::AutoLink::Email,
            ..Default::default()
        },
    }
}

fn ldap_idp() -> domain::idp::Idp {
    domain::idp::Idp {
        name: s("Directory"),
        kind: domain::idp::IdpKind::Ldap(Box::new(domain::idp::LdapIdp {
            servers: vec![s("ldaps://dir.acme.example:636")],
            start_tls: false,
            root_ca: String::new(),
            base_dn: s("ou=people,dc=acme,dc=example"),
            bind_dn: s("cn=portcullis,dc=acme,dc=example"),
            sealed_secret: s("c2VhbGVk"),
            user_filters: vec![s("uid"), s("mail")],
            attributes: domain::idp::LdapAttributes::default(),
            timeout_s: 10,
        })),
        options: Default::default(),
    }
}

fn saml_idp() -> domain::idp::Idp {
    domain::idp::Idp {
        name: s("Acme SAML"),
        kind: domain::idp::IdpKind::Saml(Box::new(domain::idp::SamlIdp {
            entity_id: s("https://sso.acme.example/saml/metadata"),
            sso_url: s("https://sso.acme.example/saml/sso"),
            binding: Binding::Redirect,
            certificates: vec![s("MIIB")],
            signed_requests: true,
            metadata_url: Some(s("https://sso.acme.example/saml/metadata")),
        })),
        options: Default::default(),
    }
}

fn grant() -> Grant {
    Grant {
        user_id: s("u1"),
        client_id: s("c1@p1"),
        project_id: s("p1"),
        scope: vec![s("openid")],
        auth_time: 1_700_000_000_000,
        session_id: Some(s("s1")),
        amr: vec![],
        jkt: None,
        issuer: None,
    }
}

/// One event of every variant of every aggregate.
pub(crate) fn samples() -> Vec<DomainEvent> {
    use DomainEvent as D;
    let roles = || vec![s("IAM_OWNER")];
    let mut all = vec![];
    all.extend(
        [
            IE::Added {
                name: s("Acme"),
                domains: vec![s("acme.test")],
            },
            IE::MemberSet {
                user_id: s("u1"),
                roles: roles(),
            },
            IE::MemberRemoved { user_id: s("u1") },
            IE::SystemMemberSet {
                user_id: s("u0"),
                roles: vec![s("SYSTEM_OWNER")],
            },
            IE::Removed {
                domains: vec![s("acme.test")],
            },
            IE::SystemMemberRemoved { user_id: s("u0") },
            IE::SettingsSet {
                settings: Settings::Session(SessionSettings {
                    idle_lifetime_s: 3600,
                    absolute_lifetime_s: 86400,
                }),
            },
            IE::SmtpSet {
                config: domain::smtp::SmtpConfig {
                    host: s("mail.acme.test"),
                    port: 587,
                    tls: domain::smtp::SmtpTls::Starttls,
                    user: Some(s("login")),
                    sealed_password: Some(s("c2VhbGVk")),
                    sender_address: s("login@acme.test"),
                    sender_name: s("Acme login"),
                },
            },
            IE::TextsSet {
                template: domain::settings::MessageTemplate::VerifyEmail,
                language: s("de"),
                texts: Some(domain::settings::MessageTexts {
                    subject: Some(s("Bitte bestätigen")),
                    ..Default::default()
                }),
            },
            IE::SmsSet {
                config: domain::sms::SmsConfig {
                    endpoint: s("https://sms.acme.test/send"),
                    sealed_signing_key: s("c2VhbGVk"),
                },
            },
            IE::IdpAdded {
                id: s("idp1"),
                idp: oidc_idp(),
            },
            IE::IdpChanged {
                id: s("idp1"),
                idp: oauth_idp(),
            },
            IE::IdpRemoved { id: s("idp1") },
            IE::ActionTargetAdded {
                id: s("t1"),
                target: action_target(),
            },
            IE::ActionTargetChanged {
                id: s("t1"),
                target: domain::actions::Target {
                    timeout_ms: 2000,
                    ..action_target()
                },
            },
            IE::ActionTargetRemoved { id: s("t1") },
            IE::ActionExecutionSet {
                execution: domain::actions::Execution {
                    condition: domain::actions::Condition::EventGroup(s("user")),
                    targets: vec![s("t1")],
                },
            },
            IE::ActionExecutionRemoved {
                condition: domain::actions::Condition::Function(
                    domain::actions::Function::Preaccesstoken,
                ),
            },
        ]
        .map(D::Instance),
    );
    all.extend(
        [
            OE::Added { name: s("Default") },
            OE::MemberSet {
                user_id: s("u1"),
                roles: vec![s("ORG_OWNER")],
            },
            OE::MemberRemoved { user_id: s("u1") },
            OE::Removed { name: s("Default") },
            OE::Renamed { name: s("Acme") },
            // The instance's sample holds session settings; the org's the lockout kind.
            OE::SettingsSet {
                settings: Settings::Lockout(LockoutSettings {
                    max_password_attempts: 10,
                    max_otp_attempts: 5,
                    lock_seconds: 300,
                }),
            },
            OE::SettingsReset {
                kind: SettingsKind::Session,
            },
            OE::TextsSet {
                template: domain::settings::MessageTemplate::PasswordReset,
                language: s("en"),
                texts: None,
            },
            OE::IdpAdded {
                id: s("idp2"),
                idp: oauth_idp(),
            },
            OE::IdpChanged {
                id: s("idp2"),
                idp: oidc_idp(),
            },
            OE::IdpRemoved { id: s("idp2") },
            OE::DomainAdded {
                domain: s("acme.example"),
                token: s("Zq3x8RkT0fN2vLw5yB7cD1eG4hJ6mP9s"),
            },
            OE::DomainVerified {
                domain: s("acme.example"),
            },
            OE::DomainRemoved {
                domain: s("acme.example"),
            },
        ]
        .map(D::Org),
    );
    all.extend(
        [
            E::HumanAdded {
                org_id: s("o1"),
                username: s("ada"),
                profile: profile(),
                email: Email {
                    address: s("ada@example.com"),
                    verified: true,
                },
                phone: Some(s("+41790000000")),
                password_hash: Some(s("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")),
                password_set_at: Some(1_700_000_000_000),
                password_change_required: false,
            },
            E::MachineAdded {
                org_id: s("o1"),
                username: s("bot"),
                name: s("Bot"),
                description: s("builds"),
            },
            E::PatAdded {
                pat_id: s("t1"),
                token_hash: s("ab12"),
                expires_at: Some(1_800_000_000_000),
            },
            E::PatRemoved { pat_id: s("t1") },
            E::Removed { username: s("ada") },
            E::ProfileChanged { profile: profile() },
            E::MachineChanged {
                name: s("Bot"),
                description: s("deploys"),
            },
            E::EmailChanged {
                email: Email {
                    address: s("ada@example.org"),
                    verified: false,
                },
            },
            E::PhoneChanged {
                phone: None,
                verified: false,
            },
            E::PasswordChanged {
                password_hash: s("$argon2id$new"),
                at: Some(1_700_000_000_500),
            },
            E::Deactivated,
            E::Reactivated,
            E::Locked,
            E::Unlocked,
            E::MetadataSet {
                key: s("team"),
                value: b"\"blue\"".to_vec(),
            },
            E::MetadataRemoved { key: s("team") },
            E::SecretSet {
                secret_hash: s("cd34"),
            },
            E::SecretRemoved,
            E::PasswordCheckFailed,
            E::PasswordCheckSucceeded,
            E::SessionsEnded {
                session_id: Some(s("s1")),
            },
            E::LockedOut {
                until: 1_764_950_700_000,
            },
            E::CodeAdded {
                kind: domain::user::CodeKind::VerifyEmail,
                code_hash: s("ef56"),
                expires_at: 1_764_954_000_000,
                message: Some(domain::user::Message {
                    id: s("m1"),
                    channel: domain::user::Channel::Email,
                    sealed_code: s("c2VhbGVk"),
                    base_url: s("https://acme.test"),
                }),
            },
            E::CodeCheckFailed {
                kind: domain::user::CodeKind::PasswordReset,
                void: true,
            },
            E::EmailVerified,
            E::PhoneVerified,
            E::NotificationSent {
                message_id: s("m1"),
            },
            E::NotificationFailed {
                message_id: s("m2"),
                attempt: 2,
                reason: s("421 try again later"),
                retry_at: Some(1_764_950_760_000),
            },
            E::TotpAdded {
                sealed_secret: s("c2VhbGVk"),
            },
            E::TotpVerified { step: 56_000_000 },
            E::TotpRemoved,
            E::OtpAdded {
                channel: Channel::Email,
            },
            E::OtpRemoved {
                channel: Channel::Sms,
            },
            E::RecoveryCodesSet {
                code_hashes: vec![s("ab12"), s("cd34")],
            },
            E::TotpChecked { step: 56_000_001 },
            E::OtpChecked {
                channel: Channel::Sms,
            },
            E::RecoveryCodeUsed { index: 1 },
            E::SecondFactorCheckFailed,
            E::WebAuthnStarted {
                key_id: s("k1"),
                kind: KeyKind::Passkey,
                state: s("{\"rs\":{}}"),
            },
            E::WebAuthnAdded {
                key_id: s("k1"),
                kind: KeyKind::U2f,
                name: s("YubiKey"),
                credential_id: s("Y3JlZA"),
                credential: s("{\"cred\":{}}"),
            },
            E::WebAuthnRemoved { key_id: s("k1") },
            E::WebAuthnChecked {
                key_id: s("k2"),
                counter: 7,
                challenge: s("9f86d08188"),
                at: 1_700_000_000_040,
            },
            E::MachineKeyAdded {
                key_id: s("k3"),
                jwk: jwk(),
                expires_at: Some(1_800_000_000_000),
                at: 1_700_000_000_050,
            },
            E::MachineKeyRemoved { key_id: s("k3") },
            E::Impersonated {
                by: s("u9"),
                client_id: s("c1@p1"),
            },
            E::IdpLinked {
                idp_id: s("idp1"),
                external_id: s("248289761001"),
                display_name: s("ada@customer.example"),
                at: 1_700_000_000_050,
            },
            E::IdpUnlinked {
                idp_id: s("idp1"),
                external_id: s("248289761001"),
            },
            E::PasswordRehashed {
                password_hash: s("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"),
            },
        ]
        .map(D::User),
    );
    all.extend(
        [
            PE::Added {
                org_id: s("o1"),
                name: s("Shop"),
                assert_roles: true,
            },
            PE::Changed {
                name: s("Store"),
                assert_roles: false,
            },
            PE::RoleAdded {
                key: s("reader"),
                display_name: s("Reader"),
                group: Some(s("g")),
            },
            PE::RoleRemoved { key: s("reader") },
            PE::AppAdded {
                app_id: s("a1"),
                client_id: s("c1@p1"),
                config: config(),
                secret_hash: Some(s("ef56")),
                sealed_secret: None,
            },
            PE::AppChanged {
                app_id: s("a1"),
                config: config(),
            },
            PE::AppSecretRotated {
                app_id: s("a1"),
                secret_hash: s("ef57"),
                sealed_secret: Some(s("c2VhbGVk")),
            },
            PE::AppRemoved {
                app_id: s("a1"),
                client_id: s("c1@p1"),
            },
            PE::MemberSet {
                user_id: s("u1"),
                roles: vec![s("PROJECT_OWNER")],
            },
            PE::MemberRemoved { user_id: s("u1") },
            PE::Removed { name: s("Shop") },
            PE::GrantAdded {
                grant_id: s("g1"),
                granted_org_id: s("o2"),
                roles: vec![s("reader")],
            },
            PE::GrantChanged {
                grant_id: s("g1"),
                roles: vec![],
            },
            PE::GrantRemoved { grant_id: s("g1") },
            PE::GrantMemberSet {
                grant_id: s("g1"),
                user_id: s("u2"),
                roles: vec![s("PROJECT_GRANT_OWNER")],
            },
            PE::GrantMemberRemoved {
                grant_id: s("g1"),
                user_id: s("u2"),
            },
            PE::AppSigningSet {
                app_id: s("a1"),
                signing: Signing {
                    id_token_alg: s("ES256"),
                    access_token_alg: s("EdDSA"),
                },
            },
            PE::AppKeyAdded {
                app_id: s("a1"),
                key_id: s("k4"),
                jwk: jwk(),
                expires_at: None,
                at: 1_700_000_000_060,
            },
            PE::AppKeyRemoved {
                app_id: s("a1"),
                key_id: s("k4"),
            },
            PE::SamlAppAdded {
                app_id: s("a2"),
                config: saml_config(),
            },
            PE::SamlAppChanged {
                app_id: s("a2"),
                config: SamlConfig {
                    idp_initiated: true,
                    ..saml_config()
                },
            },
        ]
        .map(D::Project),
    );
    all.extend(
        [
            GE::Added {
                user_id: s("u1"),
                project_id: s("p1"),
                project_org: s("o1"),
                project_grant: Some((s("g1"), s("o2"))),
                roles: vec![s("reader")],
            },
            GE::Changed {
                roles: vec![s("writer")],
            },
            GE::Removed,
        ]
        .map(D::UserGrant),
    );
    all.extend(
        [
            KE::KeyAdded {
                kid: s("k1"),
                alg: s("ES256"),
                public_jwk: s("{\"kty\":\"EC\"}"),
                sealed: vec![1, 2, 3],
            },
            KE::KeyActivated { kid: s("k1") },
            KE::KeyRetired {
                kid: s("k1"),
                at: 1_700_000_000_000,
            },
            KE::KeyRemoved { kid: s("k1") },
        ]
        .map(D::SigningKeys),
    );
    let params = AuthParams {
        client_id: s("c1@p1"),
        project_id: s("p1"),
        app_id: s("a1"),
        redirect_uri: s("https://app.example.com/cb"),
        scope: vec![s("openid"), s("profile")],
        state: Some(s("st")),
        nonce: Some(s("n")),
        code_challenge: Some(s("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")),
        prompt_login: false,
        max_age: Some(60),
        login_hint: None,
        acr_values: vec![],
        form_post: false,
        dpop_jkt: None,
        saml: None,
    };
    let login = Login {
        user_id: s("u1"),
        session_id: s("s1"),
        auth_time: 1_700_000_000_000,
        amr: vec![],
    };
    all.extend(
        [
            AE::Added {
                params,
                at: 1_700_000_000_000,
            },
            AE::CodeIssued {
                login: login.clone(),
                code_hash: s("aa"),
                at: 1_700_000_000_001,
            },
            AE::CodeExchanged { family_id: s("f1") },
            AE::CodeReused {
                family_id: Some(s("f1")),
            },
        ]
        .map(D::AuthRequest),
    );
    all.extend(
        [
            SE::Started {
                user_id: s("u1"),
                secret_hash: s("bb"),
                at: 1_700_000_000_000,
            },
            SE::Renewed {
                at: 1_700_000_000_500,
            },
            SE::Ended,
            SE::Used {
                at: 1_700_000_060_000,
            },
            SE::Created {
                user_id: s("u1"),
                secret_hash: s("cd34"),
                at: 1_700_000_000_000,
            },
            SE::PasswordChecked {
                at: 1_700_000_000_020,
            },
            SE::FactorChecked {
                factor: Factor::Totp,
                at: 1_700_000_000_030,
            },
            SE::KeyChallenged {
                factor: Factor::Passkey,
                state: s("{\"ast\":{}}"),
                origin: s("https://login.example.com"),
            },
            SE::IdpChecked {
                idp_id: s("idp1"),
                at: 1_700_000_000_040,
            },
        ]
        .map(D::Session),
    );
    all.extend(
        [
            RE::Issued {
                grant: grant(),
                token_hash: s("cc"),
                at: 1_700_000_000_100,
            },
            RE::Rotated {
                token_hash: s("dd"),
                at: 1_700_000_100_000,
            },
            RE::Revoked,
        ]
        .map(D::RefreshFamily),
    );
    all.push(D::TokenRevocations(TE::Revoked {
        jti: s("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"),
        expires_at: 1_700_003_600,
        at: 1_700_000_100_000,
    }));
    all.push(D::UsedAssertions(XE::Used {
        jti: s("a-1"),
        expires_at: 1_700_003_600,
        at: 1_700_000_100_000,
    }));
    all.extend(
        [
            DE::Started {
                request: DeviceRequest {
                    client_id: s("c1@p1"),
                    project_id: s("p1"),
                    app_id: s("a1"),
                    scope: vec![s("openid"), s("offline_access")],
                    secret_hash: s("5e"),
                    expires_at: 1_700_000_600_000,
                },
                interval: 5,
            },
            DE::Approved {
                login: Login {
                    amr: vec![s("pwd"), s("otp"), s("mfa")],
                    ..login
                },
            },
            DE::Denied,
            DE::Polled {
                at: 1_700_000_010_000,
                slow_down: true,
            },
            DE::Exchanged,
        ]
        .map(D::DeviceAuthorization),
    );
    all.extend(
        [
            domain::oidc::IdpIntentEvent::Succeeded {
                idp_id: s("idp1"),
                user_id: s("u1"),
                token_hash: s("hash"),
                expires_at: 1_700_000_300_000,
            },
            domain::oidc::IdpIntentEvent::Consumed,
        ]
        .map(D::IdpIntent),
    );
    all.extend(
        [
            UE::Claimed {
                owner: s("u1"),
                at: 1_700_000_000_000,
            },
            UE::Released { owner: s("u1") },
        ]
        .map(D::Unique),
    );
    let given_up = domain::action_delivery::FailedDelivery {
        position: 42,
        event_type: s("user.human.added"),
        aggregate_id: s("u1"),
        attempts: 8,
        error: s("https://siem.acme.test/events answered 503"),
        at: 1_700_000_000_000,
    };
    all.extend(
        [
            ADE::Advanced {
                positions: std::collections::BTreeMap::from([(0, 42)]),
            },
            ADE::GivenUp {
                id: s("42"),
                failed: given_up,
            },
            ADE::ReplayAsked { id: s("42") },
            ADE::Redelivered { id: s("42") },
        ]
        .map(D::ActionDelivery),
    );
    all
}

/// A value of every kind of settings, as the settings events carry them: matched
/// exhaustively, so that a new kind cannot be left out of the golden log.
fn settings_of(kind: SettingsKind) -> Settings {
    match kind {
        SettingsKind::Session => Settings::Session(SessionSettings {
            idle_lifetime_s: 3600,
            absolute_lifetime_s: 86400,
        }),
        SettingsKind::Lockout => Settings::Lockout(LockoutSettings {
            max_password_attempts: 10,
            max_otp_attempts: 5,
            lock_seconds: 300,
        }),
        SettingsKind::PasswordComplexity => {
            Settings::PasswordComplexity(PasswordComplexitySettings {
                min_length: 14,
                has_uppercase: true,
                has_lowercase: false,
                has_number: true,
                has_symbol: false,
            })
        }
        SettingsKind::Branding => Settings::Branding(BrandingSettings {
            primary_color: s("#8a1538"),
            background_color: s("#fff8f0"),
            font_color: s("#2b1a10"),
            warn_color: s("#9c1c1c"),
            logo_url: Some(s("https://cdn.example.com/logo.svg")),
            icon_url: None,
            hide_login_name_suffix: true,
        }),
        SettingsKind::Login => Settings::Login(LoginSettings {
            allow_username_password: true,
            allow_register: true,
            allow_external_idp: false,
            passkeys: Passkeys::Disabled,
            force_mfa: false,
            second_factors: vec![SecondFactor::Totp, SecondFactor::OtpEmail],
            domain_discovery: true,
            hide_password_reset: false,
            ignore_unknown_usernames: true,
            password_check_lifetime_s: 3600,
            second_factor_check_lifetime_s: 600,
        }),
        SettingsKind::PasswordExpiry => {
            Settings::PasswordExpiry(PasswordExpirySettings { max_age_days: 90 })
        }
        SettingsKind::Security => Settings::Security(SecuritySettings {
            impersonation: true,
        }),
    }
}

/// Shapes inside events that one sample per variant does not show: every kind of settings, in
/// the instance's settings event and the org's.
pub(crate) fn nested_shapes() -> Vec<DomainEvent> {
    // Each kind of IdP (the samples hold the others), an imported user who must change
    // their password, and the authorization request of a SAML login (its SP's request).
    let saml_login = AuthParams {
        client_id: s("https://wiki.example.com/saml"),
        project_id: s("p1"),
        app_id: s("app-1"),
        redirect_uri: s("https://wiki.example.com/acs"),
        scope: vec![],
        state: None,
        nonce: None,
        code_challenge: None,
        prompt_login: true,
        max_age: None,
        login_hint: None,
        acr_values: vec![],
        form_post: false,
        dpop_jkt: None,
        saml: Some(Box::new(SamlRequest {
            request_id: Some(s("_a1b2c3")),
            entity_id: s("https://wiki.example.com/saml"),
            relay_state: Some(s("/wiki/Home")),
            name_id_format: NameIdFormat::Email,
            encrypt_to: Some(s("MIIB")),
        })),
    };
    let idps = [
        DomainEvent::Org(OE::IdpAdded {
            id: s("idp3"),
            idp: ldap_idp(),
        }),
        DomainEvent::Org(OE::IdpAdded {
            id: s("idp4"),
            idp: saml_idp(),
        }),
        DomainEvent::User(E::HumanAdded {
            org_id: s("o1"),
            username: s("moved"),
            profile: profile(),
            email: Email {
                address: s("moved@example.com"),
                verified: true,
            },
            phone: None,
            password_hash: Some(s(
                "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
            )),
            password_set_at: Some(1_700_000_000_000),
            password_change_required: true,
        }),
        DomainEvent::AuthRequest(AE::Added {
            params: saml_login,
            at: 1_700_000_000_000,
        }),
    ];
    SettingsKind::ALL
        .iter()
        .flat_map(|kind| {
            [
                DomainEvent::Instance(IE::SettingsSet {
                    settings: settings_of(*kind),
                }),
                DomainEvent::Org(OE::SettingsSet {
                    settings: settings_of(*kind),
                }),
            ]
        })
        .chain(idps)
        .collect()
}

/// The aggregate kind, event type and meaning (the current shape as JSON) of an event, and its
/// encoding: matched exhaustively, so that a new aggregate cannot be left out here.
pub(crate) fn describe(e: &DomainEvent) -> (&'static str, &'static str, Value, (u16, Vec<u8>)) {
    macro_rules! of {
        ($kind:literal, $e:expr) => {
            (
                $kind,
                $e.event_type(),
                serde_json::to_value($e).unwrap(),
                codec::encode($e),
            )
        };
    }
    match e {
        DomainEvent::Instance(e) => of!("instance", e),
        DomainEvent::Org(e) => of!("org", e),
        DomainEvent::User(e) => of!("user", e),
        DomainEvent::Project(e) => of!("project", e),
        DomainEvent::UserGrant(e) => of!("user_grant", e),
        DomainEvent::SigningKeys(e) => of!("signing_keys", e),
        DomainEvent::AuthRequest(e) => of!("auth_request", e),
        DomainEvent::Session(e) => of!("session", e),
        DomainEvent::RefreshFamily(e) => of!("refresh_family", e),
        DomainEvent::TokenRevocations(e) => of!("token_revocations", e),
        DomainEvent::UsedAssertions(e) => of!("used_assertions", e),
        DomainEvent::DeviceAuthorization(e) => of!("device_authorization", e),
        DomainEvent::IdpIntent(e) => of!("idp_intent", e),
        DomainEvent::Unique(e) => of!("unique", e),
        DomainEvent::ActionDelivery(e) => of!("action_delivery", e),
    }
}

/// How many variants each event enum has, counted by exhaustive matches: a new variant fails to
/// compile here until it is counted, and then fails the coverage test until it has a sample.
fn action_target() -> domain::actions::Target {
    domain::actions::Target {
        name: s("SIEM"),
        endpoint: s("https://siem.acme.test/events"),
        kind: domain::actions::TargetKind::Webhook,
        timeout_ms: 10_000,
        interrupt_on_error: false,
        sealed_signing_key: s("c2VhbGVk"),
    }
}

fn variant(e: &DomainEvent) -> (&'static str, u8) {
    let n = match e {
        DomainEvent::Instance(e) => match e {
            IE::Added { .. } => 0,
            IE::MemberSet { .. } => 1,
            IE::MemberRemoved { .. } => 2,
            IE::SystemMemberSet { .. } => 3,
            IE::Removed { .. } => 4,
            IE::SystemMemberRemoved { .. } => 5,
            IE::SettingsSet { .. } => 6,
            IE::SmtpSet { .. } => 7,
            IE::TextsSet { .. } => 8,
            IE::SmsSet { .. } => 9,
            IE::IdpAdded { .. } => 10,
            IE::IdpChanged { .. } => 11,
            IE::IdpRemoved { .. } => 12,
            IE::ActionTargetAdded { .. } => 13,
            IE::ActionTargetChanged { .. } => 14,
            IE::ActionTargetRemoved { .. } => 15,
            IE::ActionExecutionSet { .. } => 16,
            IE::ActionExecutionRemoved { .. } => 17,
        },
        DomainEvent::Org(e) => match e {
            OE::Added { .. } => 0,
            OE::MemberSet { .. } => 1,
            OE::MemberRemoved { .. } => 2,
            OE::Removed { .. } => 3,
            OE::Renamed { .. } => 4,
            OE::SettingsSet { .. } => 5,
            OE::SettingsReset { .. } => 6,
            OE::TextsSet { .. } => 7,
            OE::IdpAdded { .. } => 8,
            OE::IdpChanged { .. } => 9,
            OE::IdpRemoved { .. } => 10,
            OE::DomainAdded { .. } => 11,
            OE::DomainVerified { .. } => 12,
            OE::DomainRemoved { .. } => 13,
        },
        DomainEvent::User(e) => match e {
            E::HumanAdded { .. } => 0,
            E::MachineAdded { .. } => 1,
            E::PatAdded { .. } => 2,
            E::PatRemoved { .. } => 3,
            E::Removed { .. } => 4,
            E::ProfileChanged { .. } => 5,
            E::MachineChanged { .. } => 6,
            E::EmailChanged { .. } => 7,
            E::PhoneChanged { .. } => 8,
            E::PasswordChanged { .. } => 9,
            E::Deactivated => 10,
            E::Reactivated => 11,
            E::Locked => 12,
            E::Unlocked => 13,
            E::MetadataSet { .. } => 14,
            E::MetadataRemoved { .. } => 15,
            E::SecretSet { .. } => 16,
            E::SecretRemoved => 17,
            E::PasswordCheckFailed => 18,
            E::PasswordCheckSucceeded => 19,
            E::SessionsEnded { .. } => 20,
            E::LockedOut { .. } => 21,
            E::CodeAdded { .. } => 22,
            E::CodeCheckFailed { .. } => 23,
            E::EmailVerified => 24,
            E::PhoneVerified => 25,
            E::NotificationSent { .. } => 26,
            E::NotificationFailed { .. } => 27,
            E::TotpAdded { .. } => 28,
            E::TotpVerified { .. } => 29,
            E::TotpRemoved => 30,
            E::OtpAdded { .. } => 31,
            E::OtpRemoved { .. } => 32,
            E::RecoveryCodesSet { .. } => 33,
            E::TotpChecked { .. } => 34,
            E::OtpChecked { .. } => 35,
            E::RecoveryCodeUsed { .. } => 36,
            E::SecondFactorCheckFailed => 37,
            E::WebAuthnStarted { .. } => 38,
            E::WebAuthnAdded { .. } => 39,
            E::WebAuthnRemoved { .. } => 40,
            E::WebAuthnChecked { .. } => 41,
            E::MachineKeyAdded { .. } => 42,
            E::MachineKeyRemoved { .. } => 43,
            E::Impersonated { .. } => 44,
            E::IdpLinked { .. } => 45,
            E::IdpUnlinked { .. } => 46,
            E::PasswordRehashed { .. } => 47,
        },
        DomainEvent::Project(e) => match e {
            PE::Added { .. } => 0,
            PE::Changed { .. } => 1,
            PE::RoleAdded { .. } => 2,
            PE::RoleRemoved { .. } => 3,
            PE::AppAdded { .. } => 4,
            PE::AppChanged { .. } => 5,
            PE::AppSecretRotated { .. } => 6,
            PE::AppRemoved { .. } => 7,
            PE::MemberSet { .. } => 8,
            PE::MemberRemoved { .. } => 9,
            PE::Removed { .. } => 10,
            PE::GrantAdded { .. } => 11,
            PE::GrantChanged { .. } => 12,
            PE::GrantRemoved { .. } => 13,
            PE::GrantMemberSet { .. } => 14,
            PE::GrantMemberRemoved { .. } => 15,
            PE::AppSigningSet { .. } => 16,
            PE::AppKeyAdded { .. } => 17,
            PE::AppKeyRemoved { .. } => 18,
            PE::SamlAppAdded { .. } => 19,
            PE::SamlAppChanged { .. } => 20,
        },
        DomainEvent::UserGrant(e) => match e {
            GE::Added { .. } => 0,
            GE::Changed { .. } => 1,
            GE::Removed => 2,
        },
        DomainEvent::SigningKeys(e) => match e {
            KE::KeyAdded { .. } => 0,
            KE::KeyActivated { .. } => 1,
            KE::KeyRetired { .. } => 2,
            KE::KeyRemoved { .. } => 3,
        },
        DomainEvent::AuthRequest(e) => match e {
            AE::Added { .. } => 0,
            AE::CodeIssued { .. } => 1,
            AE::CodeExchanged { .. } => 2,
            AE::CodeReused { .. } => 3,
        },
        DomainEvent::Session(e) => match e {
            SE::Started { .. } => 0,
            SE::Renewed { .. } => 1,
            SE::Ended => 2,
            SE::Used { .. } => 3,
            SE::Created { .. } => 4,
            SE::PasswordChecked { .. } => 5,
            SE::FactorChecked { .. } => 6,
            SE::KeyChallenged { .. } => 7,
            SE::IdpChecked { .. } => 8,
        },
        DomainEvent::RefreshFamily(e) => match e {
            RE::Issued { .. } => 0,
            RE::Rotated { .. } => 1,
            RE::Revoked => 2,
        },
        DomainEvent::TokenRevocations(e) => match e {
            TE::Revoked { .. } => 0,
        },
        DomainEvent::UsedAssertions(e) => match e {
            XE::Used { .. } => 0,
        },
        DomainEvent::DeviceAuthorization(e) => match e {
            DE::Started { .. } => 0,
            DE::Approved { .. } => 1,
            DE::Denied => 2,
            DE::Polled { .. } => 3,
            DE::Exchanged => 4,
        },
        DomainEvent::IdpIntent(e) => match e {
            domain::oidc::IdpIntentEvent::Succeeded { .. } => 0,
            domain::oidc::IdpIntentEvent::Consumed => 1,
        },
        DomainEvent::Unique(e) => match e {
            UE::Claimed { .. } => 0,
            UE::Released { .. } => 1,
        },
        DomainEvent::ActionDelivery(e) => match e {
            ADE::Advanced { .. } => 0,
            ADE::GivenUp { .. } => 1,
            ADE::ReplayAsked { .. } => 2,
            ADE::Redelivered { .. } => 3,
        },
    };
    (describe(e).0, n)
}

/// The variants each kind has (the highest arm of `variant` plus one).
const VARIANTS: [(&str, u8); 15] = [
    ("instance", 18),
    ("org", 14),
    ("user", 48),
    ("project", 21),
    ("user_grant", 3),
    ("signing_keys", 4),
    ("auth_request", 4),
    ("session", 9),
    ("refresh_family", 3),
    ("token_revocations", 1),
    ("used_assertions", 1),
    ("device_authorization", 5),
    ("idp_intent", 2),
    ("unique", 2),
    ("action_delivery", 4),
];

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Entry {
    kind: String,
    #[serde(rename = "type")]
    event_type: String,
    /// The event type's version: 1 is the legacy positional encoding of release 0.1.
    version: u16,
    /// The payload as stored: base64.
    payload: String,
    /// What it means: the event in today's shape.
    means: Value,
}

fn golden() -> Vec<Entry> {
    let text = std::fs::read_to_string(GOLDEN).unwrap_or_else(|_| "[]".into());
    serde_json::from_str(&text).expect("golden/events.json is a JSON array of entries")
}

#[test]
fn every_variant_of_every_event_has_a_sample() {
    let mut seen: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
    for e in samples() {
        let (kind, n) = variant(&e);
        seen.entry(kind).or_default().push(n);
    }
    for (kind, count) in VARIANTS {
        let mut got = seen.remove(kind).unwrap_or_default();
        got.sort();
        assert_eq!(
            got,
            (0..count).collect::<Vec<u8>>(),
            "the {kind} samples must hold every variant once: add the new one to samples()"
        );
    }
    assert!(
        seen.is_empty(),
        "kinds without a count in VARIANTS: {seen:?}"
    );
}

#[test]
fn every_golden_event_reads_as_it_meant() {
    let entries = golden();
    assert!(!entries.is_empty(), "{GOLDEN} is missing");
    for entry in &entries {
        let payload = STANDARD.decode(&entry.payload).expect("base64 payload");
        let decoded = DomainEvent::decode(&entry.kind, &entry.event_type, entry.version, &payload)
            .unwrap_or_else(|e| {
                panic!(
                    "golden event {} (version {}) no longer reads: {e}. The log keeps it forever: \
                 turn its shape into today's with an upcaster in shared/domain/src/codec.rs",
                    entry.event_type, entry.version
                )
            });
        let (_, event_type, means, _) = describe(&decoded);
        assert_eq!(event_type, entry.event_type, "{entry:?}");
        assert_eq!(
            means, entry.means,
            "golden event {} (version {}) reads with another meaning now: keep what it meant \
             (an upcaster in codec.rs, a default for a new field), or record the new meaning \
             of the old entry on purpose",
            entry.event_type, entry.version
        );
    }
}

#[test]
fn every_event_type_has_a_golden_entry_in_the_current_encoding() {
    let mut entries = golden();
    let write = std::env::var("PORTCULLIS_GOLDEN").as_deref() == Ok("write");
    let mut missing = Vec::new();
    for e in samples().into_iter().chain(nested_shapes()) {
        let (kind, event_type, means, (version, bytes)) = describe(&e);
        let payload = STANDARD.encode(&bytes);
        let present = entries
            .iter()
            .any(|g| g.event_type == event_type && g.version == version && g.payload == payload);
        if !present {
            missing.push(format!("{event_type} (version {version})"));
            entries.push(Entry {
                kind: kind.into(),
                event_type: event_type.into(),
                version,
                payload,
                means,
            });
        }
    }
    if write && !missing.is_empty() {
        let text = serde_json::to_string_pretty(&entries).unwrap();
        std::fs::write(GOLDEN, text + "\n").unwrap();
        return;
    }
    assert!(
        missing.is_empty(),
        "no golden entry for {missing:?} in the current encoding: a new event type or a new \
         shape. Run `PORTCULLIS_GOLDEN=write cargo test -p domain --test domain golden` and \
         commit shared/domain/tests/golden/events.json (older entries stay as they are)"
    );
}

/// A SAML app's configuration, as its SP's metadata gave it.
fn saml_config() -> SamlConfig {
    SamlConfig {
        name: "Wiki".into(),
        entity_id: "https://wiki.example.com/saml".into(),
        acs: vec![Endpoint {
            binding: Binding::Post,
            location: "https://wiki.example.com/acs".into(),
            index: Some(0),
            is_default: true,
        }],
        slo: vec![Endpoint {
            binding: Binding::Redirect,
            location: "https://wiki.example.com/slo".into(),
            index: None,
            is_default: false,
        }],
        certificates: vec!["MIIB".into()],
        requests_signed: true,
        name_id_format: NameIdFormat::Email,
        idp_initiated: false,
        encrypt_to: None,
        metadata_url: None,
    }
}
