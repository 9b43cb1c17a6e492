//! A SAML message posted from another site (an SP's page posting an `AuthnRequest` or a
//! `LogoutRequest` by the HTTP-POST binding, an IdP's page posting its response) arrives
//! without the browser's cookies: they are
//! `SameSite=Lax`, which browsers send on a top-level GET from another site but not on a POST.
//! Answered as it came, a browser that is logged in would be asked to log in again, and its
//! logout would end nothing. So such a POST is posted once more, unchanged, by a page of ours:
//! that POST comes from this site, and the browser's sessions come with it. It carries nothing
//! a cross-site POST could not (the message is checked as ever), and it is sent at most once.

use actix_web::{HttpRequest, HttpResponse};

use crate::oidc::form_post;
use crate::oidc::language::Language;
use crate::oidc::login::look_in;
use crate::Gateway;

/// The field that marks a POST sent again by the page of ours.
const POSTED_AGAIN: &str = "portcullis_same_site";

/// The page that posts `form` again to `action`, when it came without the browser's cookie
/// `cookie` and has not been posted again already; `None` when it is answered as it is.
pub async fn post_again(
    gw: &Gateway,
    req: &HttpRequest,
    (instance, action): (&str, &str),
    form: &[(String, String)],
    cookie: &str,
) -> Option<HttpResponse> {
    let with_cookie = req.cookie(cookie).is_some();
    if with_cookie || form.iter().any(|(k, _)| k == POSTED_AGAIN) {
        return None;
    }
    let mut fields: Vec<(&str, &str)> =
        form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    fields.push((POSTED_AGAIN, "1"));
    let look = look_in(gw, instance, None).await;
    Some(form_post::sign_in_on(
        &look,
        Language::of_request(req),
        action,
        &fields,
    ))
}
