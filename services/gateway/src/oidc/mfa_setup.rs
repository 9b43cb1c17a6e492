//! An authenticator app set up at the login, where the login settings require a second
//! factor of a user who has none: a QR code and the key to type, then the app's first code.

use actix_web::cookie::SameSite;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::oidc::PendingAuthRequest;
use domain::settings::MessageTemplate;
use domain::Code;
use serde::Deserialize;

use super::language::Language;
use super::login::{cookie, finalize_session, CSRF_COOKIE};
use super::mfa::{looks, posted_step};
use super::pages::{self, Frame, MfaSetupPage};
use super::OAuthResult;
use crate::Gateway;

/// The key as an inline SVG QR code.
fn qr_svg(uri: &str) -> String {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build();
            // The XML declaration has no place inside HTML.
            match svg.find("<svg") {
                Some(start) => svg[start..].to_string(),
                None => svg,
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "a TOTP key does not fit a QR code");
            String::new()
        }
    }
}

/// The page that sets up an authenticator app.
pub(super) async fn setup_page(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    request: &PendingAuthRequest,
    auth_request: &str,
    user_id: &str,
    error: Option<&str>,
) -> OAuthResult<HttpResponse> {
    let language = Language::of_login(request, req);
    let texts = language.texts();
    let p = looks(
        gw,
        instance,
        request,
        language,
        MessageTemplate::MfaSetupPage,
    )
    .await;
    let key = match gw.bus.totp_at_login(instance, user_id).await {
        Ok(key) => key,
        Err(e) if e.code == Code::FactorNotAllowed => {
            let page = pages::MessagePage {
                frame: Frame::new(texts, texts.cannot_log_in, &p.look),
                text: texts.mfa_cannot_set_up,
                alert: true,
                link: None,
            };
            return Ok(pages::render(StatusCode::FORBIDDEN, &page.frame, &page));
        }
        Err(e) => return Err(e.into()),
    };
    let grouped: Vec<&str> = key
        .secret
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    let (csrf, _) = crypto::secrets::new_token();
    let page = MfaSetupPage {
        frame: Frame::of_page(texts, texts.mfa_setup_title, &p),
        auth_request,
        csrf: &csrf,
        qr: &qr_svg(&key.uri),
        key: &grouped.join(" "),
        uri: &key.uri,
        error,
    };
    let status = match error {
        Some(_) => StatusCode::BAD_REQUEST,
        None => StatusCode::OK,
    };
    let mut response = pages::render(status, &page.frame, &page);
    let _ = response.add_cookie(&cookie(req, CSRF_COOKIE, csrf, "/ui", SameSite::Strict));
    Ok(response)
}

#[derive(Deserialize)]
pub struct SetupFields {
    #[serde(rename = "authRequest")]
    auth_request: String,
    csrf: String,
    code: String,
}

/// The new authenticator app's first code: the app is set up and the login goes on.
pub async fn setup(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: web::Form<SetupFields>,
) -> OAuthResult<HttpResponse> {
    let f = form.into_inner();
    let (instance, request, s) = match posted_step(&gw, &req, &f.auth_request, &f.csrf).await? {
        Ok(posted) => posted,
        Err(page) => return Ok(page),
    };
    let user_id = &s.session.user_id;
    let code = f.code.chars().take(64).collect::<String>();
    match gw
        .bus
        .verify_totp_at_login(&instance, &s.session_id, user_id, &code)
        .await
    {
        Ok(()) => {
            let (id, token) = (&s.session_id, s.token);
            finalize_session(&gw, &req, &instance, &f.auth_request, &request, id, token).await
        }
        Err(e) if e.code == Code::InvalidCode => {
            let texts = Language::of_login(&request, &req).texts();
            let ar = &f.auth_request;
            setup_page(
                &gw,
                &req,
                &instance,
                &request,
                ar,
                user_id,
                Some(texts.mfa_wrong),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
