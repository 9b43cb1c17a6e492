//! The device authorization endpoint (RFC 8628 section 3.1): a client that allows the
//! `device_code` grant asks for a device code and a user code; its user enters the user code
//! at the hosted login's `/ui/device` (or opens `verification_uri_complete`), while the device
//! polls the token endpoint.

use actix_web::{web, HttpRequest, HttpResponse};
use domain::app::GrantType;
use serde_json::json;

use super::clients::authenticate_app;
use super::params::Params;
use super::{audience, issuer, OAuthError, OAuthResult};
use crate::auth::instance_of;
use crate::limits::Subject;
use crate::Gateway;

pub async fn start(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: Params,
) -> OAuthResult<HttpResponse> {
    let (gw, req) = (gw.get_ref(), &req);
    let instance = instance_of(gw, req).await?;
    let app = authenticate_app(gw, req, &instance, &form).await?;
    // A public client's device request is written without anyone logged in: each counts
    // against its address's rate limit, so one address cannot flood the log.
    let who = Subject {
        ip: gw.edge.client_ip(req),
        instance: &instance,
        account: None,
    };
    gw.limits.check(&who)?;
    if !app.config.grant_types.contains(&GrantType::DeviceCode) {
        return Err(OAuthError::new(
            "unauthorized_client",
            "the app does not allow the device_code grant",
        ));
    }
    let scope = super::scopes(form.get("scope"));
    let org = audience::org_of_project(gw, &instance, &app.project_id).await?;
    audience::check(gw, &instance, &org, &scope).await?;
    let new = gw
        .bus
        .start_device(&instance, &app.client_id, &app.project_id, &app.id, scope)
        .await?;
    gw.limits.failed(&who);
    let iss = issuer(gw, req)?;
    let page = format!("{iss}{}", super::device_pages::PAGE);
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({
            "device_code": new.device_code,
            "user_code": new.user_code,
            "verification_uri": page,
            "verification_uri_complete": format!("{page}?user_code={}", new.user_code),
            "expires_in": new.expires_in,
            "interval": new.interval,
        })))
}
