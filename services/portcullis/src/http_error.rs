//! The one place an error becomes an HTTP response: `{code, message, details}` with the status
//! of its kind (API.md "Errors").

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use domain::{Error, Kind};

pub fn status(kind: Kind) -> StatusCode {
    match kind {
        Kind::InvalidArgument => StatusCode::BAD_REQUEST,
        Kind::Unauthenticated => StatusCode::UNAUTHORIZED,
        Kind::PermissionDenied => StatusCode::FORBIDDEN,
        Kind::NotFound => StatusCode::NOT_FOUND,
        Kind::AlreadyExists | Kind::Conflict => StatusCode::CONFLICT,
        Kind::FailedPrecondition => StatusCode::PRECONDITION_FAILED,
        Kind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        Kind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Kind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub fn response(e: &Error) -> HttpResponse {
    let details: serde_json::Map<String, serde_json::Value> = e
        .details
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    HttpResponse::build(status(e.kind())).json(serde_json::json!({
        "code": e.code.as_str(),
        "message": e.message,
        "details": details,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Code;

    #[test]
    fn every_code_maps_to_the_status_api_md_documents() {
        for code in Code::ALL {
            let expected = match code.kind() {
                Kind::InvalidArgument => 400,
                Kind::Unauthenticated => 401,
                Kind::PermissionDenied => 403,
                Kind::NotFound => 404,
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
}
