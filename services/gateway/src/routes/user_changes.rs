//! Changes of a user: profile, email, phone, password, state, metadata, machine secret. Each
//! is a `UserChange` whose `UserOp` says the permission and the self-management rule.

use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use command::PasswordChange;
use domain::user::{ProfilePatch, UserChange};
use domain::{Code, Error};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::{notifications, user_changes};
use crate::auth::Authenticated;
use crate::body::Body;
use crate::views::{respond, ErrorBody, ListParams, PageView, SecretView, WriteReply};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/{id}/profile", web::patch().to(change_profile))
        .route("/users/{id}/email", web::put().to(change_email))
        .route("/users/{id}/phone", web::put().to(change_phone))
        .route("/users/{id}/password", web::put().to(change_password))
        .route("/users/{id}/deactivate", web::post().to(deactivate))
        .route("/users/{id}/reactivate", web::post().to(reactivate))
        .route("/users/{id}/lock", web::post().to(lock))
        .route("/users/{id}/unlock", web::post().to(unlock))
        .route("/users/{id}/metadata", web::get().to(list_metadata))
        .route("/users/{id}/metadata/{key}", web::put().to(set_metadata))
        .route(
            "/users/{id}/metadata/{key}",
            web::delete().to(remove_metadata),
        )
        .route("/users/{id}/secret", web::post().to(new_secret))
        .route("/users/{id}/secret", web::delete().to(remove_secret));
}

async fn apply(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    change: UserChange,
) -> Result<HttpResponse> {
    Ok(respond(
        user_changes::change(gw, auth, id, change).await?,
        false,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ProfilePatchBody {
    given_name: Option<String>,
    family_name: Option<String>,
    display_name: Option<String>,
    preferred_language: Option<String>,
    /// Machine users only.
    name: Option<String>,
    /// Machine users only.
    description: Option<String>,
}

/// Changes the profile: the human fields for humans, `name` and `description` for machine
/// users. `user.write` on the user's org; a user may change their own.
#[utoipa::path(patch, path = "/v1/users/{id}/profile", tag = "users", params(("id" = String, Path)),
    request_body = ProfilePatchBody,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn change_profile(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Body<ProfilePatchBody>,
) -> Result<HttpResponse> {
    let b = body.into_inner();
    let patch = ProfilePatch {
        given_name: b.given_name,
        family_name: b.family_name,
        display_name: b.display_name,
        preferred_language: b.preferred_language,
        name: b.name,
        description: b.description,
    };
    apply(&gw, &auth, &id, UserChange::Profile(patch)).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct EmailChangeBody {
    address: String,
    /// Marking it verified needs `user.write`, also on oneself.
    #[serde(default)]
    verified: bool,
}

/// Changes a human's email. `user.write`; a user may change their own but not mark it
/// verified.
#[utoipa::path(put, path = "/v1/users/{id}/email", tag = "users", params(("id" = String, Path)),
    request_body = EmailChangeBody,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self, not verified)"))))]
async fn change_email(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Body<EmailChangeBody>,
) -> Result<HttpResponse> {
    let b = body.into_inner();
    let change = UserChange::Email {
        address: b.address,
        verified: b.verified,
    };
    apply(&gw, &auth, &id, change).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PhoneBody {
    /// International form (`+41 79 123 45 67`); null removes the number.
    phone: Option<String>,
    /// Marking it verified needs `user.write`, also on oneself.
    #[serde(default)]
    verified: bool,
}

/// Changes or removes a human's phone. `user.write`; a user may change their own but not mark
/// it verified.
#[utoipa::path(put, path = "/v1/users/{id}/phone", tag = "users", params(("id" = String, Path)),
    request_body = PhoneBody,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self, not verified)"))))]
async fn change_phone(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Body<PhoneBody>,
) -> Result<HttpResponse> {
    let b = body.into_inner();
    let change = UserChange::Phone {
        phone: b.phone,
        verified: b.verified,
    };
    apply(&gw, &auth, &id, change).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    /// Required when users change their own password.
    current_password: Option<String>,
    /// A password reset or invitation code, instead of a caller: the code is the proof
    /// (`USER-0017` when wrong, used or expired; wrong ones count towards the lockout).
    code: Option<String>,
    /// What the password rules of the user's org allow (`USER-0009` names the rule broken).
    new_password: String,
}

/// Sets a human's password. `user.credential.write`; a user may change their own with the
/// current password; anyone with a reset or invitation code may set it with the code (no
/// token needed).
#[utoipa::path(put, path = "/v1/users/{id}/password", tag = "users", params(("id" = String, Path)),
    request_body = PasswordBody,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("user.credential.write (self, with current_password); none with code"))))]
async fn change_password(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    auth: Option<Authenticated>,
    id: web::Path<String>,
    body: std::result::Result<Body<PasswordBody>, ApiError>,
) -> Result<HttpResponse> {
    // Without a caller, only a body with a code is looked at: anything else is 401, as on
    // every route of the API.
    let unauthenticated = || {
        ApiError(Error::new(
            Code::Unauthenticated,
            "send a bearer token, or the reset code as code",
        ))
    };
    let b = match (body, &auth) {
        (Ok(b), _) => b.into_inner(),
        (Err(e), Some(_)) => return Err(e),
        (Err(_), None) => return Err(unauthenticated()),
    };
    let reply = match (b.code, auth) {
        (Some(code), _) => {
            let instance = crate::auth::instance_of(&gw, &req).await?;
            let ip = gw.edge.client_ip(&req);
            notifications::set_password_by_code(&gw, &instance, ip, &id, &code, b.new_password)
                .await?
        }
        (None, Some(auth)) => {
            let change = PasswordChange {
                current_password: b.current_password,
                new_password: b.new_password,
            };
            user_changes::change_password(&gw, &auth, &id, change).await?
        }
        (None, None) => return Err(unauthenticated()),
    };
    Ok(respond(reply, false))
}

macro_rules! state_route {
    ($name:ident, $path:literal, $change:expr, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "users", params(("id" = String, Path)),
            responses((status = 200, body = WriteReply), (status = 403, body = ErrorBody), (status = 412, body = ErrorBody)),
            extensions(("x-permission" = json!("user.write"))))]
        async fn $name(
            gw: web::Data<Gateway>,
            auth: Authenticated,
                    id: web::Path<String>,
        ) -> Result<HttpResponse> {
            apply(&gw, &auth, &id, $change).await
        }
    };
}

state_route!(deactivate, "/v1/users/{id}/deactivate", UserChange::Deactivate,
    "Deactivates a user: its tokens stop working until it is reactivated. `user.write`, never on oneself.");
state_route!(
    reactivate,
    "/v1/users/{id}/reactivate",
    UserChange::Reactivate,
    "Reactivates a deactivated user. `user.write`, never on oneself."
);
state_route!(
    lock,
    "/v1/users/{id}/lock",
    UserChange::Lock,
    "Locks a user: its tokens stop working until it is unlocked. `user.write`, never on oneself."
);
state_route!(
    unlock,
    "/v1/users/{id}/unlock",
    UserChange::Unlock,
    "Unlocks a locked user. `user.write`, never on oneself."
);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct MetadataBody {
    /// Base64 (standard alphabet), 1 byte to 64 KiB decoded.
    value: String,
}

#[derive(Serialize, ToSchema)]
struct MetadataView {
    key: String,
    /// Base64.
    value: String,
}

/// Sets a metadata key. `user.write` on the user's org, also on oneself. Setting the value a
/// key has writes nothing.
#[utoipa::path(put, path = "/v1/users/{id}/metadata/{key}", tag = "users",
    params(("id" = String, Path), ("key" = String, Path)), request_body = MetadataBody,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (never self)"))))]
async fn set_metadata(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    body: Body<MetadataBody>,
) -> Result<HttpResponse> {
    let (id, key) = path.into_inner();
    let value = STANDARD.decode(body.value.as_bytes()).map_err(|_| {
        Error::new(
            Code::InvalidMetadata,
            "value must be base64 (standard alphabet)",
        )
        .with("field", "value")
    })?;
    apply(&gw, &auth, &id, UserChange::SetMetadata { key, value }).await
}

/// Removes a metadata key. `user.write` on the user's org, also on oneself.
#[utoipa::path(delete, path = "/v1/users/{id}/metadata/{key}", tag = "users",
    params(("id" = String, Path), ("key" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (never self)"))))]
async fn remove_metadata(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (id, key) = path.into_inner();
    apply(&gw, &auth, &id, UserChange::RemoveMetadata { key }).await
}

/// A user's metadata. `user.read` on the user's org, also on oneself.
#[utoipa::path(get, path = "/v1/users/{id}/metadata", tag = "users", params(("id" = String, Path), ListParams),
    responses((status = 200, body = PageView<MetadataView>), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("user.read (never self)"))))]
async fn list_metadata(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    q: web::Query<ListParams>,
) -> Result<HttpResponse> {
    let page = user_changes::list_metadata(&gw, &auth, &id, q.into_inner()).await?;
    Ok(HttpResponse::Ok().json(PageView {
        items: page
            .items
            .into_iter()
            .map(|m| MetadataView {
                key: m.key,
                value: STANDARD.encode(m.value),
            })
            .collect::<Vec<_>>(),
        next_cursor: page.next_cursor,
    }))
}

/// Gives a machine user a new client secret (client credentials), replacing the old one.
/// `user.write`, never on oneself.
#[utoipa::path(post, path = "/v1/users/{id}/secret", tag = "users", params(("id" = String, Path)),
    responses((status = 201, body = SecretView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (never self)"))))]
async fn new_secret(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Created().json(user_changes::new_secret(&gw, &auth, &id).await?))
}

/// Removes a machine user's client secret. `user.write`, never on oneself.
#[utoipa::path(delete, path = "/v1/users/{id}/secret", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (never self)"))))]
async fn remove_secret(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    apply(&gw, &auth, &id, UserChange::RemoveSecret).await
}
