//! The parameters of an OAuth request, from the query (GET) or a form body (POST). A
//! parameter sent twice is `invalid_request` (RFC 6749 3.1): which of two values would count is
//! exactly what an attacker would like to choose.

use std::collections::HashMap;
use std::future::{ready, Future};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{header, Method};
use actix_web::{web, FromRequest, HttpRequest};

use super::OAuthError;

/// The request's parameters, each at most once.
pub struct Params(pub HashMap<String, String>);

impl std::ops::Deref for Params {
    type Target = HashMap<String, String>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

fn invalid(why: impl Into<String>) -> OAuthError {
    OAuthError::new("invalid_request", why)
}

/// Parses `a=1&b=2`, refusing a parameter that repeats.
pub fn unique(encoded: &[u8]) -> Result<Params, OAuthError> {
    let mut out = HashMap::new();
    for (k, v) in form_urlencoded::parse(encoded) {
        if out.insert(k.to_string(), v.into_owned()).is_some() {
            return Err(invalid(format!("the parameter {k} is sent more than once")));
        }
    }
    Ok(Params(out))
}

fn is_form(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

impl FromRequest for Params {
    type Error = OAuthError;
    type Future = Pin<Box<dyn Future<Output = Result<Params, OAuthError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if req.method() == Method::GET {
            return Box::pin(ready(unique(req.query_string().as_bytes())));
        }
        let form = is_form(req);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !form {
                return Err(invalid(
                    "the body must be application/x-www-form-urlencoded",
                ));
            }
            let bytes = body
                .await
                .map_err(|e| invalid(format!("the body cannot be read: {e}")))?;
            unique(&bytes)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_parameter_is_refused_and_values_are_decoded() {
        let p = unique(b"a=1&b=x+y%21").map_err(|e| e.description).unwrap();
        assert_eq!(p.get("b").map(String::as_str), Some("x y!"));
        let e = unique(b"client_id=a&client_id=b").err().unwrap();
        assert_eq!(e.error, "invalid_request");
        assert!(e.description.contains("client_id"));
    }
}
