//! The SCIM 2.0 server of each org (RFC 7643, RFC 7644) at `/scim/v2/{org_id}`: discovery,
//! users (filter, sort, paging, create, read, replace, patch, delete, search) and Bulk, for
//! provisioning clients such as Okta and Entra ID. The bearer is a personal access token (or
//! an access token for the instance's API) with `user.read` on the org for reads and
//! `user.write` for writes. Answers and errors are `application/scim+json`.

mod bulk;
mod error;
mod filter;
mod list;
mod patch;
mod resource;
mod schemas;
mod users;

use actix_web::body::MessageBody;
use std::future::{ready, Ready};

use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde_json::Value;

pub use error::ScimError;
use list::{Query, QueryParams};
use resource::{etag, ScimUser};
use schemas::MEDIA_TYPE;
use users::Org;

use crate::auth::{authenticate, Authenticated, Credentials};
use crate::Gateway;

type Answer = Result<HttpResponse, ScimError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/scim/v2/{org_id}")
            .wrap(from_fn(authenticated))
            .service(
                web::resource("/ServiceProviderConfig")
                    .route(web::get().to(service_provider_config))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/ResourceTypes")
                    .route(web::get().to(resource_types))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/ResourceTypes/{id}")
                    .route(web::get().to(resource_type))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/Schemas")
                    .route(web::get().to(all_schemas))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/Schemas/{id}")
                    .route(web::get().to(schema))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/Users/.search")
                    .route(web::post().to(search))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/Users")
                    .route(web::get().to(list_users))
                    .route(web::post().to(create_user))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/Users/{id}")
                    .route(web::get().to(get_user))
                    .route(web::put().to(change_user))
                    .route(web::patch().to(change_user))
                    .route(web::delete().to(delete_user))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/.search")
                    .route(web::post().to(search))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/Bulk")
                    .route(web::post().to(bulk_request))
                    .default_service(web::to(method_not_allowed)),
            )
            .default_service(web::to(not_found)),
    );
}

/// Authenticates every SCIM request before anything reads it; a caller without a valid token
/// gets a SCIM 401.
async fn authenticated(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let auth = {
        let http = req.request().clone();
        let gw = http
            .app_data::<web::Data<Gateway>>()
            .cloned()
            .ok_or_else(|| ScimError::from(domain::Error::internal("gateway state missing")))?;
        let host = gw.edge.host(&http).map_err(ScimError::from)?;
        let credentials = Credentials {
            client_ip: gw.edge.client_ip(&http),
            ..Credentials::of_http(&gw, &http, &host)
        };
        authenticate(&gw, &credentials)
            .await
            .map_err(ScimError::from)?
    };
    req.extensions_mut().insert(auth);
    next.call(req).await
}

async fn method_not_allowed() -> Answer {
    Err(ScimError {
        status: 405,
        scim_type: None,
        detail: "REQ-0005: the method is not allowed on this path".into(),
        retry_after: None,
    })
}

async fn not_found() -> Answer {
    Err(ScimError::not_found(
        "no such endpoint: see ServiceProviderConfig, ResourceTypes, Schemas, Users and Bulk",
    ))
}

/// What every SCIM handler starts from: the gateway, the caller (authenticated by then) and
/// the request.
struct Call {
    gw: web::Data<Gateway>,
    auth: Authenticated,
    req: HttpRequest,
}

impl FromRequest for Call {
    type Error = ScimError;
    type Future = Ready<Result<Call, ScimError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let gw = req.app_data::<web::Data<Gateway>>().cloned();
        let auth = req.extensions().get::<Authenticated>().cloned();
        ready(match (gw, auth) {
            (Some(gw), Some(auth)) => Ok(Call {
                gw,
                auth,
                req: req.clone(),
            }),
            _ => Err(domain::Error::internal("a SCIM route outside its scope").into()),
        })
    }
}

impl Call {
    /// The org of the URL, once the caller may read (`write`: write) its users.
    async fn org(&self, write: bool) -> Result<Org<'_>, ScimError> {
        let org_id = self.req.match_info().get("org_id").unwrap_or_default();
        let url = self.gw.edge.external_url(&self.req, &self.auth.host);
        let o = Org {
            gw: &self.gw,
            auth: &self.auth,
            org_id,
            base: format!("{url}/scim/v2/{org_id}"),
        };
        o.check(write).await?;
        Ok(o)
    }

    /// The `{id}` of the URL.
    fn id(&self) -> &str {
        self.req.match_info().get("id").unwrap_or_default()
    }
}

fn scim_json(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(MEDIA_TYPE)
        .body(body.to_string())
}

/// A user's answer: the resource with its ETag (and `Location` when created).
fn user_answer(
    o: &Org<'_>,
    user: &ScimUser,
    status: StatusCode,
    projection: &list::Projection,
) -> HttpResponse {
    let mut r = HttpResponse::build(status);
    r.content_type(MEDIA_TYPE);
    if let Some(v) = user.version {
        r.insert_header(("ETag", etag(v)));
    }
    if status == StatusCode::CREATED {
        r.insert_header(("Location", format!("{}/Users/{}", o.base, user.id)));
    }
    r.body(projection.apply(user.render(&o.base)).to_string())
}

/// Reads a JSON body of at most `limit` bytes.
async fn json_body(mut payload: web::Payload, limit: usize) -> Result<Value, ScimError> {
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ScimError::bad("invalidSyntax", format!("the body could not be read: {e}"))
        })?;
        if bytes.len() + chunk.len() > limit {
            return Err(ScimError {
                status: 413,
                scim_type: Some("tooLarge"),
                detail: format!("REQ-0002: the body is larger than {limit} bytes"),
                retry_after: None,
            });
        }
        bytes.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        ScimError::bad(
            "invalidSyntax",
            format!("REQ-0001: the body is not JSON: {e}"),
        )
    })
}

/// The projection of a single resource's answer.
#[derive(serde::Deserialize)]
struct Attributes {
    attributes: Option<String>,
    #[serde(rename = "excludedAttributes")]
    excluded_attributes: Option<String>,
}

fn projection(req: &HttpRequest) -> Result<list::Projection, ScimError> {
    let a = web::Query::<Attributes>::from_query(req.query_string())
        .map_err(|e| ScimError::bad("invalidValue", format!("the query does not parse: {e}")))?;
    list::Projection::of_params(a.attributes.as_deref(), a.excluded_attributes.as_deref())
}

/// A discovery document (`None`: none of that id), for a caller who may read the org's users.
async fn discovery(call: Call, document: impl FnOnce(&str) -> Option<Value>) -> Answer {
    let o = call.org(false).await?;
    let found = document(&o.base).ok_or_else(|| ScimError::not_found("no such document"))?;
    Ok(scim_json(StatusCode::OK, &found))
}

async fn service_provider_config(call: Call) -> Answer {
    discovery(call, |base| Some(schemas::service_provider_config(base))).await
}

async fn resource_types(call: Call) -> Answer {
    discovery(call, |base| {
        Some(schemas::list(schemas::resource_types(base)))
    })
    .await
}

async fn resource_type(call: Call) -> Answer {
    let id = call.id().to_string();
    discovery(call, |base| {
        schemas::resource_types(base)
            .into_iter()
            .find(|t| t["id"] == id.as_str())
    })
    .await
}

async fn all_schemas(call: Call) -> Answer {
    discovery(call, |base| Some(schemas::list(schemas::schemas(base)))).await
}

async fn schema(call: Call) -> Answer {
    let id = call.id().to_string();
    discovery(call, |base| {
        schemas::schemas(base)
            .into_iter()
            .find(|s| s["id"] == id.as_str())
    })
    .await
}

async fn list_users(call: Call) -> Answer {
    let o = call.org(false).await?;
    let params = web::Query::<QueryParams>::from_query(call.req.query_string())
        .map_err(|e| ScimError::bad("invalidValue", format!("the query does not parse: {e}")))?;
    let found = o.list(Query::of_params(params.into_inner())?).await?;
    Ok(scim_json(StatusCode::OK, &found))
}

async fn search(call: Call, body: web::Payload) -> Answer {
    let o = call.org(false).await?;
    let query = Query::of_search(&json_body(body, crate::body::LIMIT).await?)?;
    Ok(scim_json(StatusCode::OK, &o.list(query).await?))
}

async fn create_user(call: Call, body: web::Payload) -> Answer {
    let o = call.org(true).await?;
    let projection = projection(&call.req)?;
    let user = o
        .create(&json_body(body, crate::body::LIMIT).await?)
        .await?;
    Ok(user_answer(&o, &user, StatusCode::CREATED, &projection))
}

async fn get_user(call: Call) -> Answer {
    let o = call.org(false).await?;
    let projection = projection(&call.req)?;
    let user = o.user(call.id()).await?;
    Ok(user_answer(&o, &user, StatusCode::OK, &projection))
}

/// A PUT (`replace`) or a PATCH of a user.
async fn change_user(call: Call, body: web::Payload) -> Answer {
    let o = call.org(true).await?;
    let projection = projection(&call.req)?;
    let body = json_body(body, crate::body::LIMIT).await?;
    let if_match = call.auth.if_match;
    let user = if call.req.method() == Method::PUT {
        o.replace(call.id(), &body, if_match).await?
    } else {
        o.patch(call.id(), &body, if_match).await?
    };
    Ok(user_answer(&o, &user, StatusCode::OK, &projection))
}

async fn delete_user(call: Call) -> Answer {
    let o = call.org(true).await?;
    o.delete(call.id(), call.auth.if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn bulk_request(call: Call, body: web::Payload) -> Answer {
    let o = call.org(true).await?;
    let r = bulk::request(&json_body(body, schemas::MAX_PAYLOAD).await?)?;
    Ok(scim_json(StatusCode::OK, &o.bulk(r).await))
}
