//! External identity providers of the instance (`/v1/instance/idps`) and of an org
//! (`/v1/orgs/{org_id}/idps`): a generic OpenID Connect provider, a generic OAuth 2 one, an
//! LDAP directory or a SAML 2.0 IdP.
//! The client secret is write-only; each answer names the callback URL to register at the IdP.

use actix_web::{web, HttpRequest, HttpResponse};
use command::IdpOwner;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::idps::{
    self, IdpInput, LdapAttributesInput, LdapInput, OAuthInput, OidcInput, OptionsInput, SamlInput,
};
use crate::auth::Authenticated;
use crate::body::Body;
use crate::views::idps::{IdpLinkView, IdpView};
use crate::views::{respond, ErrorBody, ListParams, PageView, WriteReply};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/instance/idps", web::post().to(add_instance_idp))
        .route("/instance/idps", web::get().to(list_instance_idps))
        .route("/instance/idps/{id}", web::get().to(get_instance_idp))
        .route("/instance/idps/{id}", web::patch().to(change_instance_idp))
        .route("/instance/idps/{id}", web::delete().to(remove_instance_idp))
        .route("/orgs/{org_id}/idps", web::post().to(add_org_idp))
        .route("/orgs/{org_id}/idps", web::get().to(list_org_idps))
        .route("/orgs/{org_id}/idps/{id}", web::get().to(get_org_idp))
        .route("/orgs/{org_id}/idps/{id}", web::patch().to(change_org_idp))
        .route("/orgs/{org_id}/idps/{id}", web::delete().to(remove_org_idp))
        .route("/users/{id}/idp_links", web::get().to(list_idp_links))
        .route(
            "/users/{id}/idp_links/{idp_id}/{external_id}",
            web::delete().to(unlink_idp),
        );
}

/// What a login through the IdP may do to users.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
struct IdpOptionsBody {
    /// An unknown identity becomes a new user at once. Default true.
    auto_create: Option<bool>,
    /// A linked user's profile follows the IdP's claims at each login. Default true.
    auto_update: Option<bool>,
    /// How an identity that is not linked yet finds an existing account of the org: `none`
    /// (the default), `email` (the account whose verified address the IdP says is the
    /// user's, verified) or `username` (the account whose login name is the IdP's login
    /// name). The account is linked only once its owner logs in to it at the login.
    auto_link: Option<String>,
    /// Where no account is found and no user is made, the login offers to link an existing
    /// account of the org (its owner logs in to it). Default true.
    linking_allowed: Option<bool>,
    /// Users may be created from this IdP's identities. Default true.
    creation_allowed: Option<bool>,
}

/// A generic OpenID Connect provider.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct OidcBody {
    /// Its issuer (https): discovery is read from `{issuer}/.well-known/openid-configuration`.
    issuer: String,
    client_id: String,
    /// Write-only. Leave it out of a PATCH to keep the one held.
    #[serde(default)]
    client_secret: String,
    /// Asked for besides `openid` (for example `email`, `profile`).
    #[serde(default)]
    scopes: Vec<String>,
}

/// A generic OAuth 2 provider: the user is its userinfo answer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct OAuthBody {
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: String,
    client_id: String,
    /// Write-only. Leave it out of a PATCH to keep the one held.
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    scopes: Vec<String>,
    /// The userinfo member that identifies the user (`id` at GitHub). Default `sub`.
    id_attribute: Option<String>,
}

/// Which directory attributes say what about a user; each left out takes its default.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
struct LdapAttributesBody {
    /// The identity's stable id. Default `uid` (`entryUUID` or `objectGUID` survive renames).
    id: Option<String>,
    /// Default `uid`.
    preferred_username: Option<String>,
    /// Default `mail`.
    email: Option<String>,
    /// Default `givenName`.
    given_name: Option<String>,
    /// Default `sn`.
    family_name: Option<String>,
    /// A boolean attribute (`TRUE`) that says the email is verified; none: it is not.
    email_verified: Option<String>,
}

/// An LDAP directory: the login form's username is looked up with the service account by
/// `user_filters`, then bound as with the form's password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LdapBody {
    /// `ldap://` or `ldaps://` URLs (host and port), tried in order.
    servers: Vec<String>,
    /// Upgrade `ldap://` connections with StartTLS.
    #[serde(default)]
    start_tls: bool,
    /// The PEM certificate the servers' certificates chain to, where it is not a public one.
    #[serde(default)]
    root_ca: String,
    /// Where users are searched (subtree).
    base_dn: String,
    /// The service account that searches.
    bind_dn: String,
    /// Write-only. Leave it out of a PATCH to keep the one held.
    #[serde(default)]
    bind_password: String,
    /// The attributes a username is matched against, for example `["uid", "mail"]`.
    user_filters: Vec<String>,
    #[serde(default)]
    attributes: Option<LdapAttributesBody>,
    /// Seconds each step (connect, bind, search) may take: 1 to 60. Default 10.
    timeout_s: Option<u64>,
}

/// A SAML 2.0 identity provider, by its metadata: `metadata_xml` or `metadata_url` (read
/// now, through the limits of calls to administrators' endpoints).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SamlBody {
    metadata_xml: Option<String>,
    metadata_url: Option<String>,
    /// How requests go to the IdP: `redirect` or `post`. Default: what its metadata offers,
    /// HTTP-Redirect first.
    binding: Option<String>,
    /// Sign the requests with the instance's SAML key (listed in the SP metadata).
    #[serde(default)]
    signed_requests: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct IdpBody {
    /// What the login's button says.
    name: String,
    /// `oidc`, `oauth`, `ldap` or `saml`, with the object of that name.
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    options: Option<IdpOptionsBody>,
    #[serde(default)]
    oidc: Option<OidcBody>,
    #[serde(default)]
    oauth: Option<OAuthBody>,
    #[serde(default)]
    ldap: Option<LdapBody>,
    #[serde(default)]
    saml: Option<SamlBody>,
}

impl From<IdpBody> for IdpInput {
    fn from(b: IdpBody) -> Self {
        IdpInput {
            name: b.name,
            kind: b.kind,
            options: b.options.map(|o| OptionsInput {
                auto_create: o.auto_create,
                auto_update: o.auto_update,
                auto_link: o.auto_link,
                linking_allowed: o.linking_allowed,
                creation_allowed: o.creation_allowed,
            }),
            oidc: b.oidc.map(|o| OidcInput {
                issuer: o.issuer,
                client_id: o.client_id,
                client_secret: o.client_secret,
                scopes: o.scopes,
            }),
            oauth: b.oauth.map(|o| OAuthInput {
                authorization_endpoint: o.authorization_endpoint,
                token_endpoint: o.token_endpoint,
                userinfo_endpoint: o.userinfo_endpoint,
                client_id: o.client_id,
                client_secret: o.client_secret,
                scopes: o.scopes,
                id_attribute: o.id_attribute,
            }),
            ldap: b.ldap.map(|l| {
                let a = l.attributes.unwrap_or_default();
                LdapInput {
                    servers: l.servers,
                    start_tls: l.start_tls,
                    root_ca: l.root_ca,
                    base_dn: l.base_dn,
                    bind_dn: l.bind_dn,
                    bind_password: l.bind_password,
                    user_filters: l.user_filters,
                    attributes: LdapAttributesInput {
                        id: a.id,
                        preferred_username: a.preferred_username,
                        email: a.email,
                        given_name: a.given_name,
                        family_name: a.family_name,
                        email_verified: a.email_verified,
                    },
                    timeout_s: l.timeout_s,
                }
            }),
            saml: b.saml.map(|s| SamlInput {
                metadata_xml: s.metadata_xml,
                metadata_url: s.metadata_url,
                binding: s.binding,
                signed_requests: s.signed_requests,
            }),
        }
    }
}

fn issuer(gw: &Gateway, req: &HttpRequest) -> Result<String> {
    Ok(crate::oidc::issuer(gw, req)?)
}

/// Adds an identity provider to the instance: every org's users may log in with it.
/// `IDP-0001` names the field that is wrong. `iam.idp.write`.
#[utoipa::path(post, path = "/v1/instance/idps", tag = "idps", request_body = IdpBody,
    responses((status = 201, body = WriteReply), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("iam.idp.write"))))]
async fn add_instance_idp(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    body: Body<IdpBody>,
) -> Result<HttpResponse> {
    let input = body.into_inner().into();
    Ok(respond(
        idps::add(&gw, &auth, IdpOwner::Instance, input).await?,
        true,
    ))
}

/// The instance's identity providers (never a client secret). `iam.idp.read`.
#[utoipa::path(get, path = "/v1/instance/idps", tag = "idps", params(ListParams),
    responses((status = 200, body = PageView<IdpView>), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("iam.idp.read"))))]
async fn list_instance_idps(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    auth: Authenticated,
    q: web::Query<ListParams>,
) -> Result<HttpResponse> {
    let iss = issuer(&gw, &req)?;
    let page = idps::list(&gw, &auth, IdpOwner::Instance, &iss, q.into_inner()).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One of the instance's identity providers. `iam.idp.read`.
#[utoipa::path(get, path = "/v1/instance/idps/{id}", tag = "idps", params(("id" = String, Path)),
    responses((status = 200, body = IdpView), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("iam.idp.read"))))]
async fn get_instance_idp(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let iss = issuer(&gw, &req)?;
    let idp = idps::get(&gw, &auth, IdpOwner::Instance, &id, &iss).await?;
    Ok(HttpResponse::Ok().json(idp))
}

/// Replaces an identity provider's configuration; without `client_secret` the one held
/// stays. `iam.idp.write`.
#[utoipa::path(patch, path = "/v1/instance/idps/{id}", tag = "idps", params(("id" = String, Path)),
    request_body = IdpBody,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("iam.idp.write"))))]
async fn change_instance_idp(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Body<IdpBody>,
) -> Result<HttpResponse> {
    let input = body.into_inner().into();
    Ok(respond(
        idps::change(&gw, &auth, IdpOwner::Instance, &id, input).await?,
        false,
    ))
}

/// Removes an identity provider: nobody logs in with it any more. `iam.idp.delete`.
#[utoipa::path(delete, path = "/v1/instance/idps/{id}", tag = "idps", params(("id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("iam.idp.delete"))))]
async fn remove_instance_idp(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    Ok(respond(
        idps::remove(&gw, &auth, IdpOwner::Instance, &id).await?,
        false,
    ))
}

/// Adds an identity provider to an org: its users may log in with it. `org.idp.write` on
/// the org.
#[utoipa::path(post, path = "/v1/orgs/{org_id}/idps", tag = "idps", params(("org_id" = String, Path)),
    request_body = IdpBody,
    responses((status = 201, body = WriteReply), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("org.idp.write"))))]
async fn add_org_idp(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    org_id: web::Path<String>,
    body: Body<IdpBody>,
) -> Result<HttpResponse> {
    let input = body.into_inner().into();
    Ok(respond(
        idps::add(&gw, &auth, IdpOwner::Org(&org_id), input).await?,
        true,
    ))
}

/// An org's identity providers (never a client secret). `org.idp.read` on the org.
#[utoipa::path(get, path = "/v1/orgs/{org_id}/idps", tag = "idps", params(("org_id" = String, Path), ListParams),
    responses((status = 200, body = PageView<IdpView>), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("org.idp.read"))))]
async fn list_org_idps(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    auth: Authenticated,
    org_id: web::Path<String>,
    q: web::Query<ListParams>,
) -> Result<HttpResponse> {
    let iss = issuer(&gw, &req)?;
    let owner = IdpOwner::Org(&org_id);
    let page = idps::list(&gw, &auth, owner, &iss, q.into_inner()).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One of an org's identity providers. `org.idp.read` on the org.
#[utoipa::path(get, path = "/v1/orgs/{org_id}/idps/{id}", tag = "idps",
    params(("org_id" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = IdpView), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("org.idp.read"))))]
async fn get_org_idp(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (org_id, id) = path.into_inner();
    let iss = issuer(&gw, &req)?;
    let idp = idps::get(&gw, &auth, IdpOwner::Org(&org_id), &id, &iss).await?;
    Ok(HttpResponse::Ok().json(idp))
}

/// Replaces an org's identity provider's configuration; without `client_secret` the one
/// held stays. `org.idp.write` on the org.
#[utoipa::path(patch, path = "/v1/orgs/{org_id}/idps/{id}", tag = "idps",
    params(("org_id" = String, Path), ("id" = String, Path)),
    request_body = IdpBody,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("org.idp.write"))))]
async fn change_org_idp(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    body: Body<IdpBody>,
) -> Result<HttpResponse> {
    let (org_id, id) = path.into_inner();
    let input = body.into_inner().into();
    Ok(respond(
        idps::change(&gw, &auth, IdpOwner::Org(&org_id), &id, input).await?,
        false,
    ))
}

/// Removes an org's identity provider. `org.idp.delete` on the org.
#[utoipa::path(delete, path = "/v1/orgs/{org_id}/idps/{id}", tag = "idps",
    params(("org_id" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("org.idp.delete"))))]
async fn remove_org_idp(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (org_id, id) = path.into_inner();
    Ok(respond(
        idps::remove(&gw, &auth, IdpOwner::Org(&org_id), &id).await?,
        false,
    ))
}

/// The external identities a user logs in as. `user.read`, or the user themself.
#[utoipa::path(get, path = "/v1/users/{id}/idp_links", tag = "users", params(("id" = String, Path), ListParams),
    responses((status = 200, body = PageView<IdpLinkView>), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("user.read (self)"))))]
async fn list_idp_links(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    q: web::Query<ListParams>,
) -> Result<HttpResponse> {
    let page = crate::api::idp_links::list(&gw, &auth, &id, q.into_inner()).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Unlinks an external identity from a user: it logs in as that user no more (`IDP-0006`
/// if it was not linked). `user.write`, or the user themself.
#[utoipa::path(delete, path = "/v1/users/{id}/idp_links/{idp_id}/{external_id}", tag = "users",
    params(("id" = String, Path), ("idp_id" = String, Path), ("external_id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn unlink_idp(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse> {
    let (id, idp_id, external_id) = path.into_inner();
    let w = crate::api::idp_links::unlink(&gw, &auth, &id, &idp_id, &external_id).await?;
    Ok(respond(w, false))
}
