//! How the answer of an authorization request goes back to the client: in the redirect's
//! query, or with `response_mode=form_post` (OAuth 2.0 Form Post Response Mode) in a form the
//! browser posts to the redirect URI. The form's page posts itself with a script of ours
//! (`/ui/assets/form_post.js`); without scripts, its "Continue" button does. A request
//! finalized through the Sessions API (a login UI of one's own) answers a `callback_url` to
//! a page of ours that carries the form, sealed, so that every login UI sends the browser to
//! one URL whatever the response mode.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use crypto::sealing::Purpose;
use domain::settings::BrandingSettings;
use domain::Error;
use serde::{Deserialize, Serialize};

use super::authorize::redirect_to;
use super::language::Language;
use super::login::look_of;
use super::pages::{self, Frame};
use super::texts::Notice;
use crate::Gateway;

pub const SCRIPT: &str = "/ui/assets/form_post.js";
/// The page that posts a sealed answer (`?answer=`).
pub const SEALED_PAGE: &str = "/ui/login/form_post";
const SCRIPT_JS: &str = include_str!("../../assets/form_post.js");

#[derive(Template)]
#[template(path = "form_post.html")]
struct FormPostPage<'a> {
    frame: Frame<'a>,
    action: &'a str,
    fields: &'a [(&'a str, &'a str)],
}

/// The answer `fields` for `redirect_uri`: a redirect, or with `look` (a form_post request)
/// the page that posts them, in the org's look and the user's `language`.
pub fn answer(
    look: Option<&BrandingSettings>,
    language: Language,
    redirect_uri: &str,
    fields: &[(&str, &str)],
) -> HttpResponse {
    let Some(look) = look else {
        return redirect_to(redirect_uri, fields);
    };
    let texts = language.texts();
    page(
        Frame::new(texts, texts.form_post_title, look),
        redirect_uri,
        fields,
    )
}

/// The page that posts `fields` to `action` on the way of a sign-in (to an identity provider,
/// or here again from this site), in `look` and `language`.
pub fn sign_in_on(
    look: &BrandingSettings,
    language: Language,
    action: &str,
    fields: &[(&str, &str)],
) -> HttpResponse {
    let texts = language.texts();
    page(
        Frame::new(texts, texts.sign_in_on_title, look),
        action,
        fields,
    )
}

fn page(frame: Frame<'_>, action: &str, fields: &[(&str, &str)]) -> HttpResponse {
    let page = FormPostPage {
        frame,
        action,
        fields,
    };
    pages::render_with_script(StatusCode::OK, &page.frame, &page)
}

/// What goes back to the client of a finalized request: its code, `state` and issuer.
fn fields_of(done: &command::Finalized) -> Vec<(&str, &str)> {
    let mut fields = vec![("code", done.code.as_str())];
    if let Some(state) = &done.request.params.state {
        fields.push(("state", state));
    }
    fields.push(("iss", &done.request.issuer));
    fields
}

/// A finalized request's code back to its client, the way it asked for it.
pub async fn with_code(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    done: &command::Finalized,
) -> HttpResponse {
    let params = &done.request.params;
    if params.saml.is_some() {
        return match crate::saml::response::answer(gw, req, instance, done).await {
            Ok(answer) => answer,
            Err(e) => actix_web::ResponseError::error_response(&crate::ApiError::from(e)),
        };
    }
    let fields = fields_of(done);
    let look = match params.form_post {
        true => Some(look_of(gw, instance, &params.project_id).await),
        false => None,
    };
    let language = Language::of_login(&done.request, req);
    answer(look.as_ref(), language, &params.redirect_uri, &fields)
}

/// A form_post answer, sealed for its instance until its code expires.
#[derive(Serialize, Deserialize)]
struct SealedAnswer {
    redirect_uri: String,
    project_id: String,
    fields: Vec<(String, String)>,
    /// Unix milliseconds.
    expires_at: i64,
}

fn master(gw: &Gateway) -> Result<&crypto::sealing::MasterKey, Error> {
    gw.master_key
        .as_ref()
        .ok_or_else(|| Error::internal("no master key is configured"))
}

/// Where a login UI of one's own sends the browser after finalizing a request: the client's
/// redirect URI with the code in its query, or for a form_post request our page that posts it.
pub fn callback_url(
    gw: &Gateway,
    instance: &str,
    done: &command::Finalized,
) -> Result<String, Error> {
    let params = &done.request.params;
    let fields = fields_of(done);
    if !params.form_post {
        return Ok(super::authorize::with_query(&params.redirect_uri, &fields));
    }
    let answer = SealedAnswer {
        redirect_uri: params.redirect_uri.clone(),
        project_id: params.project_id.clone(),
        fields: fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        expires_at: super::now_ms() + domain::oidc::CODE_TTL,
    };
    let plain = serde_json::to_vec(&answer).map_err(|e| Error::internal(e.to_string()))?;
    let sealed = master(gw)?.seal_for(Purpose::FormPostAnswer, instance, &plain);
    Ok(format!(
        "{}{SEALED_PAGE}?answer={}",
        done.request.issuer,
        URL_SAFE_NO_PAD.encode(sealed)
    ))
}

#[derive(Deserialize)]
pub struct SealedQuery {
    answer: String,
}

/// The page that posts a sealed answer to its client, in the look of the app's org.
pub async fn sealed_page(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    query: web::Query<SealedQuery>,
) -> Result<HttpResponse, crate::ApiError> {
    let instance = crate::auth::instance_of(&gw, &req).await?;
    let answer: Option<SealedAnswer> = URL_SAFE_NO_PAD
        .decode(&query.answer)
        .ok()
        .and_then(|sealed| {
            master(&gw)
                .ok()?
                .unseal_for(Purpose::FormPostAnswer, &instance, &sealed)
                .ok()
        })
        .and_then(|plain| serde_json::from_slice(&plain).ok())
        .filter(|a: &SealedAnswer| a.expires_at > super::now_ms());
    // Expired, changed, or sealed for another instance: the login is over.
    let Some(answer) = answer else {
        let look = super::login::look_in(&gw, &instance, None).await;
        return Ok(super::login::error_page(&req, &look, Notice::LoginExpired));
    };
    let look = look_of(&gw, &instance, &answer.project_id).await;
    let fields: Vec<(&str, &str)> = answer
        .fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let language = Language::of_request(&req);
    Ok(self::answer(
        Some(&look),
        language,
        &answer.redirect_uri,
        &fields,
    ))
}

/// The form_post page's script.
pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(SCRIPT_JS)
}
