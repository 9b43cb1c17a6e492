//! The one place an error becomes a SCIM error response (RFC 7644 §3.12): `{schemas, status,
//! scimType, detail}`, the detail led by the error's stable code.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use domain::{Code, Error, Kind};
use serde_json::json;

use super::schemas::{ERROR, MEDIA_TYPE};
use crate::http_error::{public, status};

#[derive(Debug)]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<&'static str>,
    pub detail: String,
    /// Seconds to wait before sending the request again (a 429 or 503), as `Retry-After`.
    pub retry_after: Option<String>,
}

impl ScimError {
    /// A request SCIM calls bad, of the `scimType` named.
    pub fn bad(scim_type: &'static str, detail: impl Into<String>) -> ScimError {
        ScimError {
            status: 400,
            scim_type: Some(scim_type),
            detail: detail.into(),
            retry_after: None,
        }
    }

    pub fn not_found(detail: impl Into<String>) -> ScimError {
        ScimError {
            status: 404,
            scim_type: None,
            detail: detail.into(),
            retry_after: None,
        }
    }

    /// The body of the error (also the `response` of a failed Bulk operation).
    pub fn body(&self) -> serde_json::Value {
        let mut body = json!({
            "schemas": [ERROR],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        body
    }
}

impl From<Error> for ScimError {
    fn from(e: Error) -> Self {
        let e = public(e);
        let (status, scim_type) = match (e.code, e.kind()) {
            // A stale `If-Match`.
            (Code::VersionConflict, _) => (412, None),
            (Code::MalformedBody, _) => (400, Some("invalidSyntax")),
            (Code::InvalidIfMatch, _) => (400, Some("invalidVers")),
            (_, Kind::AlreadyExists) => (409, Some("uniqueness")),
            (_, Kind::InvalidArgument | Kind::Unprocessable) => (400, Some("invalidValue")),
            (_, Kind::PayloadTooLarge) => (413, Some("tooMany")),
            (_, kind) => (status(kind).as_u16(), None),
        };
        ScimError {
            status,
            scim_type,
            detail: format!("{}: {}", e.code.as_str(), e.message),
            retry_after: crate::limits::retry_after(&e).map(str::to_string),
        }
    }
}

impl std::fmt::Display for ScimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.detail)
    }
}

impl ResponseError for ScimError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut r = HttpResponse::build(self.status_code());
        if self.status == 401 {
            r.insert_header(("WWW-Authenticate", "Bearer"));
        }
        if let Some(seconds) = &self.retry_after {
            r.insert_header(("Retry-After", seconds.as_str()));
        }
        r.content_type(MEDIA_TYPE).body(self.body().to_string())
    }
}
