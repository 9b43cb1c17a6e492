//! An org's domains (`/v1/orgs/{org_id}/domains`): added, verified by HTTP or DNS, removed.
//! A verified domain is unique in the instance; with the `login` settings' `domain_discovery`,
//! a login name `x@domain` goes to its org.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::org_domains;
use crate::auth::Authenticated;
use crate::body::Body;
use crate::views::org_domains::OrgDomainView;
use crate::views::{respond, ErrorBody, ListParams, PageView, WriteReply};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/orgs/{org_id}/domains", web::post().to(add_org_domain))
        .route("/orgs/{org_id}/domains", web::get().to(list_org_domains))
        .route(
            "/orgs/{org_id}/domains/{domain}/verify",
            web::post().to(verify_org_domain),
        )
        .route(
            "/orgs/{org_id}/domains/{domain}",
            web::delete().to(remove_org_domain),
        );
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AddDomainBody {
    /// A domain name such as `example.com` (two labels at least; no address).
    domain: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct VerifyDomainBody {
    /// `http` (the token served at `validation.http.url`) or `dns` (the TXT record
    /// `validation.dns.name` holding the token).
    method: String,
}

/// Adds a domain to an org, not verified yet: the answer says how to prove control of it
/// (`ORG-0004` for a name that is no domain, `ORG-0006` if the org has it). `org.write` on the
/// org.
#[utoipa::path(post, path = "/v1/orgs/{org_id}/domains", tag = "orgs", params(("org_id" = String, Path)),
    request_body = AddDomainBody,
    responses((status = 201, body = OrgDomainView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    extensions(("x-permission" = json!("org.write"))))]
async fn add_org_domain(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    org_id: web::Path<String>,
    body: Body<AddDomainBody>,
) -> Result<HttpResponse> {
    let view = org_domains::add(&gw, &auth, &org_id, &body.into_inner().domain).await?;
    Ok(HttpResponse::Created().json(view))
}

/// An org's domains, verified or not, with their tokens. `org.read` on the org.
#[utoipa::path(get, path = "/v1/orgs/{org_id}/domains", tag = "orgs",
    params(("org_id" = String, Path), ListParams),
    responses((status = 200, body = PageView<OrgDomainView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("org.read"))))]
async fn list_org_domains(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    org_id: web::Path<String>,
    q: web::Query<ListParams>,
) -> Result<HttpResponse> {
    let page = org_domains::list(&gw, &auth, &org_id, q.into_inner()).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Verifies an org's domain: Portcullis reads the token at the domain now. `ORG-0008` says
/// what it found instead (publish the token, then send this again); `ORG-0007` if another
/// org of the instance verified the domain. Verifying a verified domain changes nothing.
/// `org.write` on the org.
#[utoipa::path(post, path = "/v1/orgs/{org_id}/domains/{domain}/verify", tag = "orgs",
    params(("org_id" = String, Path), ("domain" = String, Path)),
    request_body = VerifyDomainBody,
    responses((status = 200, body = OrgDomainView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 412, body = ErrorBody)),
    extensions(("x-permission" = json!("org.write"))))]
async fn verify_org_domain(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    body: Body<VerifyDomainBody>,
) -> Result<HttpResponse> {
    let (org_id, domain) = path.into_inner();
    let method = body.into_inner().method;
    let view = org_domains::verify(&gw, &auth, &org_id, &domain, &method).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Removes a domain from an org; a verified one is free for other orgs again. `org.write` on
/// the org.
#[utoipa::path(delete, path = "/v1/orgs/{org_id}/domains/{domain}", tag = "orgs",
    params(("org_id" = String, Path), ("domain" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("org.write"))))]
async fn remove_org_domain(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (org_id, domain) = path.into_inner();
    let written = org_domains::remove(&gw, &auth, &org_id, &domain).await?;
    Ok(respond(crate::api::reply(None, written), false))
}
