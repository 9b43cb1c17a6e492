//! The page an email verification's message links to: it asks for a click (a link scanner
//! that fetches the page verifies nothing), then verifies the address with the code.

use actix_web::cookie::SameSite;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::Code;
use serde::Deserialize;

use super::language::Language;
use super::login::{cookie, csrf_ok, error_page, look_in, CSRF_COOKIE};
use super::pages::{self, Frame, MessagePage, VerifyEmailPage};
use super::texts::Notice;
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

pub async fn page(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    q: web::Query<VerifyFields>,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(&gw, &req).await?;
    let look = look(&gw, &instance, &q.user).await;
    let texts = Language::of_request(&req).texts();
    let (csrf, _) = crypto::secrets::new_token();
    let page = VerifyEmailPage {
        frame: Frame::new(texts, texts.verify_title, &look),
        csrf: &csrf,
        user: &q.user,
        code: &q.code,
    };
    let mut response = pages::render(StatusCode::OK, &page.frame, &page);
    let _ = response.add_cookie(&cookie(&req, CSRF_COOKIE, csrf, "/ui", SameSite::Strict));
    Ok(response)
}

pub async fn verify(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: web::Form<VerifyFields>,
) -> OAuthResult<HttpResponse> {
    let f = form.into_inner();
    let instance = instance_of(&gw, &req).await?;
    let look = look(&gw, &instance, &f.user).await;
    if !csrf_ok(&req, &f.csrf) {
        return Ok(error_page(&req, &look, Notice::FormExpired));
    }
    let texts = Language::of_request(&req).texts();
    let who = Subject {
        ip: gw.edge.client_ip(&req),
        instance: &instance,
        account: None,
    };
    let done = match gw.limits.check(&who) {
        Ok(()) => {
            gw.bus
                .verify_email_from_link(&instance, &f.user, &f.code)
                .await
        }
        Err(e) => Err(e),
    };
    let (status, title, text) = match done {
        Ok(_) => (StatusCode::OK, texts.verified_title, texts.verified),
        Err(e) => match e.code {
            Code::InvalidCode | Code::UserNotFound | Code::WrongUserType => {
                gw.limits.failed(&who);
                (
                    StatusCode::BAD_REQUEST,
                    texts.verify_title,
                    texts.wrong_code,
                )
            }
            Code::RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                texts.verify_title,
                texts.too_many,
            ),
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
