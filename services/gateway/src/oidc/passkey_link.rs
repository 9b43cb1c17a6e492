//! A passkey registration link's pages: the link (from an email, or handed out by a manager)
//! opens a page that asks for a click first (a mail scanner that fetches links starts
//! nothing), then a page whose script asks the browser to create the passkey; the code is the
//! proof, good for one passkey. Wrong codes count against the client's address and the
//! lockout's `max_otp_attempts`.

use actix_web::cookie::SameSite;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use command::KeyAnswer;
use domain::settings::BrandingSettings;
use domain::{Code, Error};
use serde::Deserialize;

use super::language::Language;
use super::login::{cookie, csrf_ok, error_page, look_in, CSRF_COOKIE};
use super::pages::{self, Frame, MessagePage, PasskeyRegisterPage, VerifyPage};
use super::texts::{Notice, Texts};
use super::OAuthResult;
use crate::auth::instance_of;
use crate::limits::Subject;
use crate::reads::read;
use crate::Gateway;

/// The branding of the user's org (else the instance's).
async fn look(gw: &Gateway, instance: &str, user: &str) -> BrandingSettings {
    let (i, u) = (instance.to_string(), user.to_string());
    let org = read(gw, move |m| Ok(m.user(&i, &u)?.map(|u| u.org_id)))
        .await
        .ok()
        .flatten();
    look_in(gw, instance, org.as_deref()).await
}

#[derive(Deserialize)]
pub struct LinkQuery {
    user: String,
    code: String,
}

/// The link's page: a click first.
pub async fn page(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    q: web::Query<LinkQuery>,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(&gw, &req).await?;
    let look = look(&gw, &instance, &q.user).await;
    let texts = Language::of_request(&req).texts();
    let (csrf, _) = crypto::secrets::new_token();
    let page = VerifyPage {
        frame: Frame::new(texts, texts.passkey_register_title, &look),
        intro: texts.passkey_register_intro,
        action: "/ui/login/passkey/register",
        csrf: &csrf,
        user: &q.user,
        code: &q.code,
    };
    let mut response = pages::render(StatusCode::OK, &page.frame, &page);
    let _ = response.add_cookie(&cookie(&req, CSRF_COOKIE, csrf, "/ui", SameSite::Strict));
    Ok(response)
}

/// A link page's form, posted: its instance, the user's org's look, the request's language
/// and the origin the passkey is for.
struct Posted {
    instance: String,
    look: BrandingSettings,
    texts: &'static Texts,
    origin: String,
}

/// The form's context once its CSRF token is the one of its cookie; else the error page.
async fn posted(
    gw: &Gateway,
    req: &HttpRequest,
    user: &str,
    csrf: &str,
) -> OAuthResult<Result<Posted, HttpResponse>> {
    let instance = instance_of(gw, req).await?;
    let look = look(gw, &instance, user).await;
    if !csrf_ok(req, csrf) {
        return Ok(Err(error_page(req, &look, Notice::FormExpired)));
    }
    Ok(Ok(Posted {
        origin: super::issuer(gw, req)?,
        texts: Language::of_request(req).texts(),
        instance,
        look,
    }))
}

#[derive(Deserialize)]
pub struct StartFields {
    csrf: String,
    user: String,
    code: String,
}

/// The click: the passkey's creation begins, and the page asks the browser to make it.
pub async fn start(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: web::Form<StartFields>,
) -> OAuthResult<HttpResponse> {
    let f = form.into_inner();
    let Posted {
        instance,
        look,
        texts,
        origin,
    } = match posted(&gw, &req, &f.user, &f.csrf).await? {
        Ok(posted) => posted,
        Err(page) => return Ok(page),
    };
    let started = limited(&gw, &req, &instance, async {
        gw.bus
            .start_key_by_code(&instance, &f.user, &f.code, &origin)
            .await
    })
    .await;
    let (key_id, options) = match started {
        Ok(started) => started,
        Err(e) => return refused(texts, &look, e),
    };
    let (csrf, _) = crypto::secrets::new_token();
    let page = PasskeyRegisterPage {
        frame: Frame::new(texts, texts.passkey_register_title, &look),
        csrf: &csrf,
        user: &f.user,
        code: &f.code,
        key_id: &key_id,
        options: &options.to_string(),
    };
    let mut response = pages::render_with_script(StatusCode::OK, &page.frame, &page);
    let _ = response.add_cookie(&cookie(&req, CSRF_COOKIE, csrf, "/ui", SameSite::Strict));
    Ok(response)
}

#[derive(Deserialize)]
pub struct FinishFields {
    csrf: String,
    user: String,
    code: String,
    key_id: String,
    name: String,
    /// The authenticator's answer (`PublicKeyCredential.toJSON()`), as JSON.
    credential: String,
}

/// The browser's answer: the passkey is registered, and the code used up.
pub async fn finish(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: web::Form<FinishFields>,
) -> OAuthResult<HttpResponse> {
    let f = form.into_inner();
    let Posted {
        instance,
        look,
        texts,
        origin,
    } = match posted(&gw, &req, &f.user, &f.csrf).await? {
        Ok(posted) => posted,
        Err(page) => return Ok(page),
    };
    let done = limited(&gw, &req, &instance, async {
        let credential = serde_json::from_str(&f.credential).map_err(|e| {
            Error::new(
                Code::KeyRefused,
                format!("the answer is no credential: {e}"),
            )
        })?;
        let answer = KeyAnswer {
            key_id: &f.key_id,
            credential: &credential,
            name: &f.name,
        };
        gw.bus
            .finish_key_by_code(&instance, &f.user, &f.code, answer, &origin)
            .await
    })
    .await;
    if let Err(e) = done {
        return refused(texts, &look, e);
    }
    let page = MessagePage {
        frame: Frame::new(texts, texts.passkey_registered_title, &look),
        text: texts.passkey_registered,
        alert: false,
        link: None,
    };
    Ok(pages::render(StatusCode::OK, &page.frame, &page))
}

/// A step within the rate limit of the client's address; a wrong code counts against it.
async fn limited<T>(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    step: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let who = Subject {
        ip: gw.edge.client_ip(req),
        instance,
        account: None,
    };
    gw.limits.check(&who)?;
    let done = step.await;
    if done
        .as_ref()
        .is_err_and(|e| matches!(e.code, Code::InvalidCode | Code::UserNotFound))
    {
        gw.limits.failed(&who);
    }
    done
}

/// The page that says why a link's step did not work.
fn refused(texts: &'static Texts, look: &BrandingSettings, e: Error) -> OAuthResult<HttpResponse> {
    let (status, text) = match e.code {
        Code::InvalidCode | Code::UserNotFound | Code::WrongUserType => {
            (StatusCode::BAD_REQUEST, texts.wrong_link)
        }
        Code::KeyRefused | Code::FactorNotFound | Code::FactorExists => {
            (StatusCode::BAD_REQUEST, texts.key_refused)
        }
        Code::FactorNotAllowed => (StatusCode::FORBIDDEN, texts.no_passkeys),
        Code::RateLimited => (StatusCode::TOO_MANY_REQUESTS, texts.too_many),
        _ => return Err(e.into()),
    };
    let page = MessagePage {
        frame: Frame::new(texts, texts.passkey_register_title, look),
        text,
        alert: true,
        link: None,
    };
    Ok(pages::render(status, &page.frame, &page))
}
