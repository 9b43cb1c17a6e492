//! How the answer of an authorization request goes back to the client: in the redirect's
//! query, or with `response_mode=form_post` (OAuth 2.0 Form Post Response Mode) in a form the
//! browser posts to the redirect URI. The form's page posts itself with a script of ours
//! (`/ui/assets/form_post.js`); without scripts, its "Continue" button does.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use domain::settings::BrandingSettings;

use super::authorize::redirect_to;
use super::language::Language;
use super::login::look_of;
use super::pages::{self, Frame};
use crate::Gateway;

pub const SCRIPT: &str = "/ui/assets/form_post.js";
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
    let page = FormPostPage {
        frame: Frame::new(texts, texts.form_post_title, look),
        action: redirect_uri,
        fields,
    };
    pages::render_with_script(StatusCode::OK, &page.frame, &page)
}

/// A finalized request's code back to its client, the way it asked for it.
pub async fn with_code(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    done: &command::Finalized,
) -> HttpResponse {
    let params = &done.request.params;
    let mut fields = vec![("code", done.code.as_str())];
    if let Some(state) = &params.state {
        fields.push(("state", state));
    }
    fields.push(("iss", &done.request.issuer));
    let look = match params.form_post {
        true => Some(look_of(gw, instance, &params.project_id).await),
        false => None,
    };
    let language = Language::of_login(&done.request, req);
    answer(look.as_ref(), language, &params.redirect_uri, &fields)
}

/// The form_post page's script.
pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(SCRIPT_JS)
}
