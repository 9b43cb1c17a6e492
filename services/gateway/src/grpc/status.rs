//! The one place an error becomes a gRPC status: the code of its kind, the message, and a
//! `google.rpc.ErrorInfo` detail whose reason is the stable code (such as `AUTHZ-0001`) and
//! whose metadata are the error's details.

use domain::{Error, Kind};
use tonic::Code;
use tonic_types::{ErrorDetails, StatusExt};

/// The `ErrorInfo` domain of every Portcullis error.
pub const DOMAIN: &str = "portcullis";

/// The gRPC code of an error kind (the REST status of the same kind is in `http_error`).
pub fn code(kind: Kind) -> Code {
    match kind {
        Kind::InvalidArgument => Code::InvalidArgument,
        Kind::Unauthenticated => Code::Unauthenticated,
        Kind::PermissionDenied => Code::PermissionDenied,
        Kind::NotFound => Code::NotFound,
        Kind::MethodNotAllowed => Code::Unimplemented,
        Kind::AlreadyExists => Code::AlreadyExists,
        Kind::Conflict => Code::Aborted,
        Kind::FailedPrecondition | Kind::Unprocessable => Code::FailedPrecondition,
        Kind::PayloadTooLarge | Kind::RateLimited => Code::ResourceExhausted,
        Kind::Unavailable => Code::Unavailable,
        Kind::Internal => Code::Internal,
    }
}

/// An error as a `google.rpc.Status`.
pub fn status(e: Error) -> tonic::Status {
    let e = crate::http_error::public(e);
    let metadata: std::collections::HashMap<String, String> = e.details.iter().cloned().collect();
    let details = ErrorDetails::with_error_info(e.code.as_str(), DOMAIN, metadata);
    tonic::Status::with_error_details(code(e.kind()), e.message, details)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Code as ErrorCode;

    #[test]
    fn every_kind_has_the_grpc_code_of_its_rest_status() {
        for c in ErrorCode::ALL {
            let rest = crate::http_error::status(c.kind()).as_u16();
            let expected = match rest {
                400 => Code::InvalidArgument,
                401 => Code::Unauthenticated,
                403 => Code::PermissionDenied,
                404 => Code::NotFound,
                405 => Code::Unimplemented,
                409 if c.kind() == Kind::AlreadyExists => Code::AlreadyExists,
                409 => Code::Aborted,
                412 | 422 => Code::FailedPrecondition,
                413 | 429 => Code::ResourceExhausted,
                503 => Code::Unavailable,
                500 => Code::Internal,
                other => panic!("{c}: REST status {other} has no gRPC code"),
            };
            assert_eq!(code(c.kind()), expected, "{c}");
        }
    }

    #[test]
    fn the_stable_code_and_the_details_travel_in_error_info() {
        let e = Error::new(ErrorCode::PermissionDenied, "missing user.write")
            .with("permission", "user.write");
        let s = status(e);
        assert_eq!(s.code(), Code::PermissionDenied);
        assert_eq!(s.message(), "missing user.write");
        let info = s.get_details_error_info().expect("an ErrorInfo detail");
        assert_eq!(info.reason, "AUTHZ-0001");
        assert_eq!(info.domain, DOMAIN);
        assert_eq!(
            info.metadata.get("permission").map(String::as_str),
            Some("user.write")
        );
    }
}
