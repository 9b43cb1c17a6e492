//! The JSON body of a request: at most 1 MiB, a JSON object (serde would otherwise read a
//! struct from an array, field by position), no unknown fields. Every failure is `REQ-0001`
//! (`REQ-0002` when too large) and nothing is written.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use domain::{Code, Error};
use serde::de::DeserializeOwned;

use crate::ApiError;

pub const LIMIT: usize = 1 << 20;

/// A request body of type `T`.
pub struct Body<T>(pub T);

impl<T> Body<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Body<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

fn malformed(why: impl std::fmt::Display) -> Error {
    Error::new(
        Code::MalformedBody,
        format!("the body is not valid for this route: {why}"),
    )
}

/// Parses a body: an object of `T`'s fields.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(malformed)?;
    if !value.is_object() {
        return Err(malformed("expected a JSON object"));
    }
    serde_json::from_value(value).map_err(malformed)
}

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await.map_err(|e| {
                ApiError(match e.as_response_error().status_code().as_u16() {
                    413 => Error::new(
                        Code::BodyTooLarge,
                        format!("the body is over {LIMIT} bytes"),
                    ),
                    _ => malformed(e),
                })
            })?;
            Ok(Body(parse(&bytes)?))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, Default)]
    #[serde(deny_unknown_fields)]
    struct Optional {
        #[serde(default)]
        #[allow(dead_code)]
        name: Option<String>,
    }

    #[test]
    fn only_objects_of_known_fields_are_bodies() {
        assert!(parse::<Optional>(b"{}").is_ok());
        assert!(parse::<Optional>(br#"{"name": "x"}"#).is_ok());
        for bad in [
            &b"[]"[..],
            b"[\"x\"]",
            b"null",
            b"1",
            b"{\"colour\": 1}",
            b"{",
        ] {
            assert_eq!(
                parse::<Optional>(bad).unwrap_err().code,
                Code::MalformedBody
            );
        }
    }
}
