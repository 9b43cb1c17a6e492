//! The pages an email or phone verification's message links to: each asks for a click (a link
//! scanner that fetches the page verifies nothing), then verifies the address or number with
//! the code.

use actix_web::cookie::SameSite;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::user::CodeKind;
use domain::Code;
use serde::Deserialize;

use super::language::Language;
use super::login::{cookie, csrf_ok, error_page, look_in, CSRF_COOKIE};
use super::pages::{self, Frame, MessagePage, VerifyPage};
use super::texts::{Notice, Texts};
use super::OAuthResult;
use crate::auth::instance_of;
use crate::limits::Subject;
use crate::reads::read;
use crate::Gateway;

#[derive(Deserialize)]
pub struct VerifyFields {
    #[serde(default)]
    csrf: String,
    user: String,
    code: String,
}

/// The look of the user's org (else the instance's).
async fn look(gw: &Gateway, instance: &str, user: &str) -> domain::settings::BrandingSettings {
    let (i, u) = (instance.to_string(), user.to_string());
    let org = read(gw, move |m| Ok(m.user(&i, &u)?.map(|u| u.org_id)))
        .await
        .ok()
        .flatten();
    look_in(gw, instance, org.as_deref()).await
}

/// What a page of `kind` says: its title, its question, and its answer's title and text.
struct Words {
    title: &'static str,
    intro: &'static str,
    done_title: &'static str,
    done: &'static str,
}

fn words(texts: &'static Texts, kind: CodeKind) -> Words {
    match kind {
        CodeKind::VerifyPhone => Words {
            title: texts.verify_phone_title,
            intro: texts.verify_phone_intro,
            done_title: texts.phone_verified_title,
            done: texts.phone_verified,
        },
        CodeKind::VerifyEmail | CodeKind::PasswordReset | CodeKind::Init => Words {
            title: texts.verify_title,
            intro: texts.verify_intro,
            done_title: texts.verified_title,
            done: texts.verified,
        },
    }
}

/// The page's address for codes of `kind`.
fn path(kind: CodeKind) -> &'static str {
    match kind {
        CodeKind::VerifyPhone => "/ui/login/verify_phone",
        CodeKind::VerifyEmail | CodeKind::PasswordReset | CodeKind::Init => "/ui/login/verify",
    }
}

pub async fn email_page(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    q: web::Query<VerifyFields>,
) -> OAuthResult<HttpResponse> {
    page(&gw, &req, &q, CodeKind::VerifyEmail).await
}

pub async fn phone_page(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    q: web::Query<VerifyFields>,
) -> OAuthResult<HttpResponse> {
    page(&gw, &req, &q, CodeKind::VerifyPhone).await
}

pub async fn verify_email(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: web::Form<VerifyFields>,
) -> OAuthResult<HttpResponse> {
    verify(&gw, &req, form.into_inner(), CodeKind::VerifyEmail).await
}

pub async fn verify_phone(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: web::Form<VerifyFields>,
) -> OAuthResult<HttpResponse> {
    verify(&gw, &req, form.into_inner(), CodeKind::VerifyPhone).await
}

async fn page(
    gw: &Gateway,
    req: &HttpRequest,
    q: &VerifyFields,
    kind: CodeKind,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(gw, req).await?;
    let look = look(gw, &instance, &q.user).await;
    let texts = Language::of_request(req).texts();
    let words = words(texts, kind);
    let (csrf, _) = crypto::secrets::new_token();
    let page = VerifyPage {
        frame: Frame::new(texts, words.title, &look),
        intro: words.intro,
        action: path(kind),
        csrf: &csrf,
        user: &q.user,
        code: &q.code,
    };
    let mut response = pages::render(StatusCode::OK, &page.frame, &page);
    let _ = response.add_cookie(&cookie(req, CSRF_COOKIE, csrf, "/ui", SameSite::Strict));
    Ok(response)
}

async fn verify(
    gw: &Gateway,
    req: &HttpRequest,
    f: VerifyFields,
    kind: CodeKind,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(gw, req).await?;
    let look = look(gw, &instance, &f.user).await;
    if !csrf_ok(req, &f.csrf) {
        return Ok(error_page(req, &look, Notice::FormExpired));
    }
    let texts = Language::of_request(req).texts();
    let words = words(texts, kind);
    let who = Subject {
        ip: gw.edge.client_ip(req),
        instance: &instance,
        account: None,
    };
    let done = match gw.limits.check(&who) {
        Ok(()) => {
            gw.bus
                .verify_from_link(&instance, &f.user, kind, &f.code)
                .await
        }
        Err(e) => Err(e),
    };
    let (status, title, text) = match done {
        Ok(_) => (StatusCode::OK, words.done_title, words.done),
        Err(e) => match e.code {
            Code::InvalidCode | Code::UserNotFound | Code::WrongUserType => {
                gw.limits.failed(&who);
                (StatusCode::BAD_REQUEST, words.title, texts.wrong_code)
            }
            Code::RateLimited => (StatusCode::TOO_MANY_REQUESTS, words.title, texts.too_many),
            _ => return Err(e.into()),
        },
    };
    let page = MessagePage {
        frame: Frame::new(texts, title, &look),
        text,
        alert: status != StatusCode::OK,
        link: None,
    };
    Ok(pages::render(status, &page.frame, &page))
}
