//! The admin console at `/ui/console/` on every instance's domain: a single page served from
//! the binary (no CDN, nothing to install) that logs in through the instance's hosted login as
//! the built-in console app (code + PKCE, [`crate::oidc::console_app`]) and then calls the
//! same REST API as everyone else with the user's access token. Its files are compressed once
//! (gzip) and sent compressed to every browser that takes it. The page itself holds no
//! secret and decides nothing: it hides what the caller may not do, and the API decides.

use std::io::Write;
use std::sync::OnceLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::auth::instance_of;
use crate::{ApiError, Gateway};

/// The console's files under `/ui/console/` (the page itself is `index.html`), with their bytes.
const ASSETS: [(&str, &str); 24] = [
    ("index.html", include_str!("assets/index.html")),
    ("console.css", include_str!("assets/console.css")),
    ("console.js", include_str!("assets/console.js")),
    ("actions.js", include_str!("assets/actions.js")),
    ("api.js", include_str!("assets/api.js")),
    ("apps.js", include_str!("assets/apps.js")),
    ("dom.js", include_str!("assets/dom.js")),
    ("idps.js", include_str!("assets/idps.js")),
    ("instance.js", include_str!("assets/instance.js")),
    ("keys.js", include_str!("assets/keys.js")),
    ("login.js", include_str!("assets/login.js")),
    ("managers.js", include_str!("assets/managers.js")),
    ("orgs.js", include_str!("assets/orgs.js")),
    ("permissions.js", include_str!("assets/permissions.js")),
    ("projects.js", include_str!("assets/projects.js")),
    ("saml_apps.js", include_str!("assets/saml_apps.js")),
    ("settings.js", include_str!("assets/settings.js")),
    ("targets.js", include_str!("assets/targets.js")),
    ("texts.js", include_str!("assets/texts.js")),
    ("trail.js", include_str!("assets/trail.js")),
    ("user_access.js", include_str!("assets/user_access.js")),
    ("user_details.js", include_str!("assets/user_details.js")),
    ("users.js", include_str!("assets/users.js")),
    ("words.js", include_str!("assets/words.js")),
];

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        _ => "text/javascript; charset=utf-8",
    }
}

/// The console's pages may run only its own script and style, call only this origin, and be
/// framed by nobody.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/ui/console",
        web::get().to(|| async {
            HttpResponse::PermanentRedirect()
                .insert_header((header::LOCATION, "/ui/console/"))
                .finish()
        }),
    )
    .route("/ui/console/roles.json", web::get().to(roles))
    .route("/ui/console/{file}", web::get().to(file))
    .route("/ui/console/", web::get().to(file));
}

/// The gzip form of each asset, made the first time one is asked for.
fn compressed(index: usize) -> &'static [u8] {
    static GZIPPED: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    &GZIPPED.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                gz.write_all(a.1.as_bytes()).expect("writes to memory");
                gz.finish().expect("writes to memory")
            })
            .collect()
    })[index]
}

fn takes_gzip(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| e.split(';').next().is_some_and(|e| e.trim() == "gzip"))
}

/// A file of the console, on an instance's domain only.
async fn file(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    name: Option<web::Path<String>>,
) -> Result<HttpResponse, ApiError> {
    instance_of(&gw, &req).await?;
    let name = name.map_or_else(|| "index.html".to_string(), |n| n.into_inner());
    let Some(index) = ASSETS.iter().position(|a| a.0 == name) else {
        return Ok(HttpResponse::NotFound().finish());
    };
    let (name, body) = ASSETS[index];
    let mut answer = HttpResponse::Ok();
    answer
        .content_type(content_type(name))
        // The page is small and changes with each release: always asked again (a 304 costs
        // a round trip, nothing more).
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("Content-Security-Policy", POLICY));
    Ok(match takes_gzip(&req) {
        true => answer
            .insert_header((header::CONTENT_ENCODING, HeaderValue::from_static("gzip")))
            .body(compressed(index)),
        false => answer.body(body),
    })
}

/// The role map in force, `{ROLE: [permission, ...]}`: the console shows a manager only the
/// buttons their roles' permissions allow.
async fn roles(gw: web::Data<Gateway>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    instance_of(&gw, &req).await?;
    let map = gw.authz.role_map();
    let roles: serde_json::Map<String, serde_json::Value> = authz::Role::ALL
        .iter()
        .filter(|r| r.level() != authz::Level::System)
        .map(|r| {
            let perms: Vec<&str> = map.permissions(*r).iter().map(|p| p.name()).collect();
            (r.name().to_string(), serde_json::json!(perms))
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .json(roles))
}
