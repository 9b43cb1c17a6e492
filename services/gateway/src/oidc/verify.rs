//! The pages an email or phone verification's message links to: each asks for a click (a link
//! scanner that fetches the page verifies nothing), then verifies the address or number with
//! the code.

use actix_web::cookie::SameSite;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::settings::MessageTemplate;
use domain::user::CodeKind;
use domain::Code;
use serde::Deserialize;

use super::language::Language;
use super::login::{cookie, csrf_ok, error_page, CSRF_COOKIE};
use super::page_look::{page_look, PageLook};
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

/// The page of `kind` as the user's org (else the instance) sets it up.
async fn looks(
    gw: &Gateway,
    instance: &str,
    user: &str,
    kind: CodeKind,
    language: Language,
) -> PageLook {
    let (i, u) = (instance.to_string(), user.to_string());
    let org = read(gw, move |m| Ok(m.user(&i, &u)?.map(|u| u.org_id)))
        .await
        .ok()
        .flatten();
    let template = match kind {
        CodeKind::VerifyPhone | CodeKind::OtpSms => MessageTemplate::VerifyPhonePage,
        CodeKind::VerifyEmail
        | CodeKind::PasswordReset
        | CodeKind::Init
        | CodeKind::OtpEmail
        | CodeKind::PasskeyRegistration => MessageTemplate::VerifyEmailPage,
    };
    page_look(gw, instance, org.as_deref(), template, language).await
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
        CodeKind::VerifyPhone | CodeKind::OtpSms => Words {
            title: texts.verify_phone_title,
            intro: texts.verify_phone_intro,
            done_title: texts.phone_verified_title,
            done: texts.phone_verified,
        },
        CodeKind::VerifyEmail
        | CodeKind::PasswordReset
        | CodeKind::Init
        | CodeKind::OtpEmail
        | CodeKind::PasskeyRegistration => Words {
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
        CodeKind::VerifyPhone | CodeKind::OtpSms => "/ui/login/verify_phone",
        CodeKind::VerifyEmail
        | CodeKind::PasswordReset
        | CodeKind::Init
        | CodeKind::OtpEmail
        | CodeKind::PasskeyRegistration => "/ui/login/verify",
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
    let language = Language::of_request(req);
    let p = looks(gw, &instance, &q.user, kind, language).await;
    let texts = language.texts();
    let words = words(texts, kind);
    let (csrf, _) = crypto::secrets::new_token();
    let page = VerifyPage {
        frame: Frame::of_page(texts, words.title, &p),
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
    let language = Language::of_request(req);
    let p = looks(gw, &instance, &f.user, kind, language).await;
    let look = &p.look;
    if !csrf_ok(req, &f.csrf) {
        return Ok(error_page(req, look, Notice::FormExpired));
    }
    let texts = language.texts();
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
        frame: Frame::new(texts, title, look),
        text,
        alert: status != StatusCode::OK,
        link: None,
    };
    Ok(pages::render(status, &page.frame, &page))
}
