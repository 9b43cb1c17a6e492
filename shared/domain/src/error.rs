//! The one error type of Portcullis: a stable code, a message that says what to do, details.
//! Transports (HTTP, gRPC) map its [`Kind`] to their status in one place each.

use std::fmt;

/// What kind of failure, which decides the transport status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    InvalidArgument,
    Unauthenticated,
    PermissionDenied,
    NotFound,
    MethodNotAllowed,
    AlreadyExists,
    Conflict,
    FailedPrecondition,
    Unprocessable,
    PayloadTooLarge,
    RateLimited,
    Unavailable,
    Internal,
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $kind:ident;)*) => {
        /// Every stable error code. Never renumber: clients match on them.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum Code { $($variant,)* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            pub fn kind(self) -> Kind {
                match self { $(Code::$variant => Kind::$kind,)* }
            }
        }
    };
}

codes! {
    InstanceNotFound = "INSTANCE-0001", NotFound;
    DomainTaken = "INSTANCE-0002", AlreadyExists;
    InvalidDomain = "INSTANCE-0003", InvalidArgument;
    InvalidInstanceName = "INSTANCE-0004", InvalidArgument;
    InstanceRemoved = "INSTANCE-0005", NotFound;
    InstanceHoldsCaller = "INSTANCE-0006", FailedPrecondition;
    Unauthenticated = "AUTH-0001", Unauthenticated;
    PermissionDenied = "AUTHZ-0001", PermissionDenied;
    Escalation = "AUTHZ-0002", PermissionDenied;
    UnknownResource = "AUTHZ-0003", InvalidArgument;
    UnknownPermission = "AUTHZ-0004", InvalidArgument;
    MalformedBody = "REQ-0001", InvalidArgument;
    BodyTooLarge = "REQ-0002", PayloadTooLarge;
    InvalidQuery = "REQ-0003", InvalidArgument;
    InvalidIfMatch = "REQ-0004", InvalidArgument;
    MethodNotAllowed = "REQ-0005", MethodNotAllowed;
    InvalidHost = "REQ-0006", InvalidArgument;
    RateLimited = "REQ-0007", RateLimited;
    OrgNotFound = "ORG-0001", NotFound;
    OrgNameTaken = "ORG-0002", AlreadyExists;
    InvalidOrgName = "ORG-0003", InvalidArgument;
    InvalidOrgDomain = "ORG-0004", InvalidArgument;
    OrgDomainNotFound = "ORG-0005", NotFound;
    OrgDomainExists = "ORG-0006", AlreadyExists;
    OrgDomainTaken = "ORG-0007", AlreadyExists;
    OrgDomainUnverified = "ORG-0008", FailedPrecondition;
    TooManyOrgDomains = "ORG-0009", FailedPrecondition;
    UserNotFound = "USER-0001", NotFound;
    UsernameTaken = "USER-0002", AlreadyExists;
    InvalidUsername = "USER-0003", InvalidArgument;
    InvalidEmail = "USER-0004", InvalidArgument;
    InvalidProfile = "USER-0005", InvalidArgument;
    WrongUserType = "USER-0006", Unprocessable;
    PatNotFound = "USER-0007", NotFound;
    InvalidExpiry = "USER-0008", InvalidArgument;
    InvalidPassword = "USER-0009", InvalidArgument;
    UserStateConflict = "USER-0010", FailedPrecondition;
    CurrentPasswordMismatch = "USER-0011", InvalidArgument;
    MetadataNotFound = "USER-0012", NotFound;
    InvalidPhone = "USER-0013", InvalidArgument;
    InvalidMetadata = "USER-0014", InvalidArgument;
    NoSecret = "USER-0015", NotFound;
    CannotLockOutSelf = "USER-0016", FailedPrecondition;
    InvalidRole = "MEMBER-0001", InvalidArgument;
    MemberNotFound = "MEMBER-0002", NotFound;
    MemberUserUnknown = "MEMBER-0003", FailedPrecondition;
    NoRoles = "MEMBER-0004", InvalidArgument;
    MemberExists = "MEMBER-0005", AlreadyExists;
    ProjectNotFound = "PROJECT-0001", NotFound;
    InvalidProjectName = "PROJECT-0002", InvalidArgument;
    RoleKeyTaken = "PROJECT-0003", AlreadyExists;
    ProjectRoleNotFound = "PROJECT-0004", NotFound;
    InvalidRoleKey = "PROJECT-0005", InvalidArgument;
    GrantToOwnOrg = "PROJECT-0006", InvalidArgument;
    GrantExists = "PROJECT-0007", AlreadyExists;
    GrantNotFound = "PROJECT-0008", NotFound;
    UserGrantNotFound = "USERGRANT-0001", NotFound;
    UserGrantExists = "USERGRANT-0002", AlreadyExists;
    RoleNotGranted = "USERGRANT-0003", InvalidArgument;
    AppNotFound = "APP-0001", NotFound;
    InvalidRedirectUri = "APP-0002", InvalidArgument;
    InvalidAppConfig = "APP-0003", InvalidArgument;
    AppHasNoSecret = "APP-0004", Unprocessable;
    InvalidSamlConfig = "SAML-0001", InvalidArgument;
    SamlEntityTaken = "SAML-0002", AlreadyExists;
    SamlRequestRefused = "SAML-0003", InvalidArgument;
    InvalidGrant = "OIDC-0001", InvalidArgument;
    AuthRequestExpired = "OIDC-0002", FailedPrecondition;
    InvalidClient = "OIDC-0003", Unauthenticated;
    InvalidAuthRequest = "OIDC-0004", InvalidArgument;
    LoginFailed = "OIDC-0005", Unauthenticated;
    InvalidSettings = "SETTINGS-0001", InvalidArgument;
    UnknownSettingsKind = "SETTINGS-0002", NotFound;
    SessionNotFound = "SESSION-0001", NotFound;
    SessionCheckFailed = "SESSION-0002", InvalidArgument;
    SessionChecksMissing = "SESSION-0003", FailedPrecondition;
    PasswordExpired = "SESSION-0004", FailedPrecondition;
    LoginMethodNotAllowed = "SESSION-0005", FailedPrecondition;
    VersionConflict = "CONC-0001", Conflict;
    PositionNotReached = "CONC-0002", Unavailable;
    Internal = "SYS-0001", Internal;
    NotReady = "SYS-0002", Unavailable;
    StorageUnavailable = "SYS-0003", Unavailable;
    NotFoundRoute = "SYS-0004", NotFound;
    Overloaded = "SYS-0005", Unavailable;
    NoPartitionOwner = "CLUSTER-0001", Unavailable;
    PartitionMoved = "CLUSTER-0002", Unavailable;
    NodeMessagesVersion = "CLUSTER-0003", Unavailable;
    SmtpNotConfigured = "SMTP-0001", FailedPrecondition;
    SmtpFailed = "SMTP-0002", FailedPrecondition;
    InvalidSmtp = "SMTP-0003", InvalidArgument;
    InvalidCode = "USER-0017", InvalidArgument;
    AlreadyVerified = "USER-0018", FailedPrecondition;
    InvalidPasswordHash = "USER-0019", InvalidArgument;
    SmsNotConfigured = "SMS-0001", FailedPrecondition;
    InvalidSms = "SMS-0002", InvalidArgument;
    FactorNotFound = "MFA-0001", NotFound;
    FactorExists = "MFA-0002", Conflict;
    FactorNotAllowed = "MFA-0003", FailedPrecondition;
    FactorNeedsVerifiedContact = "MFA-0004", FailedPrecondition;
    KeyRefused = "MFA-0005", InvalidArgument;
    KeyNotFound = "KEY-0001", NotFound;
    InvalidPublicKey = "KEY-0002", InvalidArgument;
    TooManyKeys = "KEY-0003", FailedPrecondition;
    DeviceCodeExpired = "OIDC-0006", FailedPrecondition;
    DeviceAccessDenied = "OIDC-0007", PermissionDenied;
    DeviceAuthorizationPending = "OIDC-0008", FailedPrecondition;
    DeviceSlowDown = "OIDC-0009", FailedPrecondition;
    ImpersonationOff = "OIDC-0010", FailedPrecondition;
    InvalidDpopProof = "OIDC-0011", Unauthenticated;
    UseDpopNonce = "OIDC-0012", Unauthenticated;
    InvalidIdp = "IDP-0001", InvalidArgument;
    IdpNotFound = "IDP-0002", NotFound;
    TooManyIdps = "IDP-0003", FailedPrecondition;
    IdpLoginFailed = "IDP-0004", Unauthenticated;
    IdpUserUnknown = "IDP-0005", FailedPrecondition;
    IdpLinkNotFound = "IDP-0006", NotFound;
    KeysNotUsed = "KEY-0004", Unprocessable;
    InvalidTarget = "ACTION-0001", InvalidArgument;
    TargetNotFound = "ACTION-0002", NotFound;
    InvalidExecution = "ACTION-0003", InvalidArgument;
    ExecutionNotFound = "ACTION-0004", NotFound;
    TooManyTargets = "ACTION-0005", FailedPrecondition;
    DeliveryNotFound = "ACTION-0006", NotFound;
    ActionInterrupted = "ACTION-0007", Unavailable;
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with its stable code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[error("{code}: {message}")]
pub struct Error {
    pub code: Code,
    pub message: String,
    /// Machine-readable context (the field that was wrong, the permission that was missing).
    pub details: Vec<(String, String)>,
}

impl Error {
    pub fn new(code: Code, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<String>) -> Error {
        self.details.push((key.to_string(), value.into()));
        self
    }

    pub fn kind(&self) -> Kind {
        self.code.kind()
    }

    pub fn internal(message: impl Into<String>) -> Error {
        Error::new(Code::Internal, message)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate {c}");
            let (area, num) = c.as_str().split_once('-').unwrap();
            assert!(area.chars().all(|c| c.is_ascii_uppercase()));
            assert_eq!(num.len(), 4);
        }
    }
}
