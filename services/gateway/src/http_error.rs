//! The one place an error becomes an HTTP response: `{code, message, details}` with the status
//! of its kind (API.md "Errors").

use actix_web::error::QueryPayloadError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use domain::{Code, Error, Kind};

pub fn status(kind: Kind) -> StatusCode {
    match kind {
        Kind::InvalidArgument => StatusCode::BAD_REQUEST,
        Kind::Unauthenticated => StatusCode::UNAUTHORIZED,
        Kind::PermissionDenied => StatusCode::FORBIDDEN,
        Kind::NotFound => StatusCode::NOT_FOUND,
        Kind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        Kind::AlreadyExists | Kind::Conflict => StatusCode::CONFLICT,
        Kind::FailedPrecondition => StatusCode::PRECONDITION_FAILED,
        Kind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        Kind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Kind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// What a client is told of an error. An internal one is logged here with its cause and
/// answered with its code and a message that says only what to do: what went wrong inside is
/// for the operator's logs, never for the caller.
pub fn public(e: Error) -> Error {
    if e.kind() != Kind::Internal {
        return e;
    }
    tracing::error!(code = %e.code, error = %e.message, details = ?e.details, "an internal error");
    Error::new(e.code, INTERNAL_MESSAGE)
}

/// The message of every internal error a client sees.
pub const INTERNAL_MESSAGE: &str =
    "an internal error occurred and was logged: retry, and tell the operator if it persists";

/// A domain error on its way out through HTTP.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        status(self.0.kind())
    }

    fn error_response(&self) -> HttpResponse {
        let e = public(self.0.clone());
        let details: serde_json::Map<String, serde_json::Value> = e
            .details
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        let mut response = HttpResponse::build(self.status_code());
        // A 405 says which methods the path has.
        if let Some((_, allow)) = e.details.iter().find(|(k, _)| k == "allow") {
            response.insert_header(("Allow", allow.as_str()));
        }
        // A 429 or 503 says when to come back.
        if let Some(seconds) = crate::limits::retry_after(&e) {
            response.insert_header(("Retry-After", seconds));
        }
        response.json(serde_json::json!({
            "code": e.code.as_str(),
            "message": e.message,
            "details": details,
        }))
    }
}

pub fn query_error(e: QueryPayloadError) -> ApiError {
    ApiError(Error::new(
        Code::InvalidQuery,
        format!("invalid query parameters: {e}"),
    ))
}

impl From<&Error> for crate::views::ErrorBody {
    /// The body an error answers with (an internal one's cause stays in the log).
    fn from(e: &Error) -> Self {
        let e = public(e.clone());
        crate::views::ErrorBody {
            code: e.code.as_str().into(),
            message: e.message,
            details: e.details.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_maps_to_the_status_api_md_documents() {
        for code in Code::ALL {
            let expected = match code.kind() {
                Kind::InvalidArgument => 400,
                Kind::Unauthenticated => 401,
                Kind::PermissionDenied => 403,
                Kind::NotFound => 404,
                Kind::MethodNotAllowed => 405,
                Kind::AlreadyExists | Kind::Conflict => 409,
                Kind::FailedPrecondition => 412,
                Kind::Unprocessable => 422,
                Kind::PayloadTooLarge => 413,
                Kind::RateLimited => 429,
                Kind::Unavailable => 503,
                Kind::Internal => 500,
            };
            assert_eq!(status(code.kind()).as_u16(), expected, "{code}");
        }
        assert_eq!(Code::InstanceNotFound.as_str(), "INSTANCE-0001");
        assert_eq!(Code::Unauthenticated.as_str(), "AUTH-0001");
        assert_eq!(Code::PermissionDenied.as_str(), "AUTHZ-0001");
    }

    #[actix_web::test]
    async fn an_internal_error_tells_the_client_its_code_and_nothing_of_its_cause() {
        let cause = "disk full at /var/lib/portcullis/events.db";
        let e = Error::internal(cause).with("path", "/var/lib/portcullis");
        let response = ApiError(e.clone()).error_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(
            text.contains("SYS-0001") && text.contains(INTERNAL_MESSAGE),
            "{text}"
        );
        assert!(
            !text.contains("disk full") && !text.contains("/var/lib"),
            "{text}"
        );
        // The same over gRPC.
        let status = crate::grpc::status::status(e);
        assert_eq!(status.message(), INTERNAL_MESSAGE);
        // Other errors keep what they say: it tells the caller what to do.
        let denied = Error::new(Code::PermissionDenied, "missing permission user.write");
        assert_eq!(public(denied.clone()), denied);
    }
}
