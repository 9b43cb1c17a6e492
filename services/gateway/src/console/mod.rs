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

/// One file of the console: its name under `/ui/console/`, its type and its bytes.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: [Asset; 3] = [
    Asset {
        name: "",
        content_type: "text/html; charset=utf-8",
        body: include_str!("assets/index.html"),
    },
    Asset {
        name: "console.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("assets/console.js"),
    },
    Asset {
        name: "console.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("assets/console.css"),
    },
];

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
                gz.write_all(a.body.as_bytes()).expect("writes to memory");
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
    let name = name.map(|n| n.into_inner()).unwrap_or_default();
    let Some(index) = ASSETS.iter().position(|a| a.name == name) else {
        return Ok(HttpResponse::NotFound().finish());
    };
    let asset = &ASSETS[index];
    let mut answer = HttpResponse::Ok();
    answer
        .content_type(asset.content_type)
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
        false => answer.body(asset.body),
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
