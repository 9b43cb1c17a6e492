//! What the OIDC tests share: an app registered through the API, a human who logs in, a
//! transport that reaches a tenant's domain on the test server, and a user agent (cookie jar,
//! no redirects followed) that fills in the hosted login form.

use std::collections::HashMap;

use serde_json::{json, Value};
use testkit::{server, Tenant};

use super::default_org;

/// `http://<tenant domain>:<port>`: the issuer, as clients see it.
pub fn issuer(t: &Tenant) -> String {
    format!("http://{}:{}", t.domain, server().addr.port())
}

/// Sends a request for the tenant's domain to the test server (like an /etc/hosts entry).
pub fn send(req: ureq::http::Request<Vec<u8>>) -> ureq::http::Response<Vec<u8>> {
    send_to(server().addr.port(), req)
}

/// Sends a request for its domain to the server on `port` of this machine.
pub fn send_to(port: u16, req: ureq::http::Request<Vec<u8>>) -> ureq::http::Response<Vec<u8>> {
    let (mut parts, body) = req.into_parts();
    let authority = parts
        .uri
        .authority()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_else(|| "/".into());
    parts.uri = format!("http://127.0.0.1:{port}{path}").parse().unwrap();
    parts.headers.insert("host", authority.parse().unwrap());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let mut resp = agent
        .run(ureq::http::Request::from_parts(parts, body))
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.body_mut().read_to_vec().unwrap();
    let mut out = ureq::http::Response::builder().status(status);
    for (k, v) in headers.iter() {
        out = out.header(k, v);
    }
    out.body(bytes).unwrap()
}

pub struct App {
    pub project_id: String,
    pub app_id: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// How the app authenticates: the only way the token endpoint accepts.
    pub auth_method: String,
}

pub const REDIRECT: &str = "http://localhost:7777/callback";

impl App {
    /// The app an app creation in `project` answered, authenticating with `auth_method`.
    pub fn created(project: String, reply: &testkit::Reply, auth_method: &str) -> App {
        App {
            project_id: project,
            app_id: reply.str("id"),
            client_id: reply.str("client_id"),
            client_secret: reply.body["client_secret"].as_str().map(String::from),
            auth_method: auth_method.to_string(),
        }
    }
}

/// An OIDC app (code flow with refresh tokens) in a new project of the tenant.
pub fn app(t: &Tenant, auth_method: &str, token_type: &str) -> App {
    let org = default_org(t);
    let project = t
        .client
        .post(&format!("/v1/orgs/{org}/projects"), json!({"name": "Shop"}))
        .str("id");
    let r = t.client.post(
        &format!("/v1/projects/{project}/apps/oidc"),
        json!({
            "name": "web", "redirect_uris": [REDIRECT],
            "post_logout_redirect_uris": ["http://localhost:7777/bye"],
            "grant_types": ["authorization_code", "refresh_token"],
            "auth_method": auth_method, "access_token_type": token_type,
        }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    // The OIDC endpoints read the app from the read model: wait for it there.
    let _ = t
        .client
        .after(&r)
        .get(&format!("/v1/projects/{project}/apps"));
    App::created(project, &r, auth_method)
}

/// An OIDC app of `settings` in a new project of the tenant, readable by the OIDC endpoints
/// once this returns: its project's id and the creation's answer.
pub fn new_app(t: &Tenant, settings: Value) -> (String, testkit::Reply) {
    let org = default_org(t);
    let project = t
        .client
        .post(&format!("/v1/orgs/{org}/projects"), json!({"name": "Apps"}))
        .str("id");
    let app = t
        .client
        .post(&format!("/v1/projects/{project}/apps/oidc"), settings);
    assert_eq!(app.status, 201, "{}", app.body);
    let _ = t
        .client
        .after(&app)
        .get(&format!("/v1/projects/{project}/apps"));
    (project, app)
}

/// A human with a password; returns its id.
pub fn human(t: &Tenant, username: &str, password: &str) -> String {
    let org = default_org(t);
    let r = t.client.post(
        &format!("/v1/orgs/{org}/users/human"),
        json!({
            "username": username,
            "profile": {"given_name": "Grace", "family_name": "Hopper"},
            "email": {"address": format!("{username}@example.com"), "verified": true},
            "password": password,
        }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let _ = t
        .client
        .after(&r)
        .get(&format!("/v1/users/{}", r.str("id")));
    r.str("id")
}

/// A machine user of the default org holding `roles` there, with a client secret readable by
/// the token endpoint: its id and secret.
pub fn machine(t: &Tenant, username: &str, roles: &[&str]) -> (String, String) {
    let org = default_org(t);
    let bot = t.client.post(
        &format!("/v1/orgs/{org}/users/machine"),
        json!({"username": username, "name": username}),
    );
    assert_eq!(bot.status, 201, "{}", bot.body);
    let id = bot.str("id");
    let member = t.client.after(&bot).post(
        &format!("/v1/orgs/{org}/members"),
        json!({"user_id": id, "roles": roles}),
    );
    assert_eq!(member.status, 201, "{}", member.body);
    let secret = t
        .client
        .after(&member)
        .post(&format!("/v1/users/{id}/secret"), json!({}));
    assert_eq!(secret.status, 201, "{}", secret.body);
    let _ = t.client.after(&secret).get("/v1/users/me");
    (id, secret.str("client_secret"))
}

/// A browser without JavaScript: keeps cookies per request, follows nothing by itself.
#[derive(Default)]
pub struct UserAgent {
    pub cookies: HashMap<String, String>,
    /// The port of the server it reaches (the test server's when `None`).
    pub port: Option<u16>,
}

pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl UserAgent {
    pub fn request(&mut self, method: &str, url: &str, form: Option<&[(&str, &str)]>) -> Answer {
        let mut req = ureq::http::Request::builder().method(method).uri(url);
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.header("cookie", c.join("; "));
        }
        let body = match form {
            Some(fields) => {
                req = req.header("content-type", "application/x-www-form-urlencoded");
                fields
                    .iter()
                    .map(|(k, v)| format!("{k}={}", enc(v)))
                    .collect::<Vec<_>>()
                    .join("&")
                    .into_bytes()
            }
            None => Vec::new(),
        };
        let port = self.port.unwrap_or_else(|| server().addr.port());
        let resp = send_to(port, req.body(body).unwrap());
        for v in resp.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap();
            let (k, val) = pair.split_once('=').unwrap();
            if val.is_empty() || v.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), val.to_string());
            }
        }
        Answer {
            status: resp.status().as_u16(),
            location: resp
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_string()),
            body: String::from_utf8_lossy(resp.body()).to_string(),
        }
    }

    /// A form posted by a page of another site: the browser keeps its cookies, all
    /// `SameSite=Lax`, to itself.
    pub fn post_from_another_site(&mut self, url: &str, form: &[(&str, &str)]) -> Answer {
        let kept = std::mem::take(&mut self.cookies);
        let answer = self.request("POST", url, Some(form));
        for (k, v) in kept {
            self.cookies.entry(k).or_insert(v);
        }
        answer
    }

    /// Follows an authorization URL to the login page, logs in, and returns the redirect to
    /// the client (`Location`).
    pub fn log_in(&mut self, t: &Tenant, auth_url: &str, username: &str, password: &str) -> String {
        let posted = self.submit_login(t, auth_url, username, password);
        assert_eq!(posted.status, 302, "{}", posted.body);
        posted.location.unwrap()
    }

    /// Follows an authorization URL to the login page and submits it; answers the
    /// submission's answer (or the authorization's, when a session answered at once).
    pub fn submit_login(
        &mut self,
        t: &Tenant,
        auth_url: &str,
        username: &str,
        password: &str,
    ) -> Answer {
        let a = self.request("GET", auth_url, None);
        assert_eq!(a.status, 302, "{}", a.body);
        let login = a.location.clone().unwrap();
        if !login.starts_with("/ui/login") {
            return a; // A session answered at once.
        }
        self.fill_login(t, &login, username, password)
    }

    /// Fills in the login page at `login` (a path) and sends it.
    pub fn fill_login(
        &mut self,
        t: &Tenant,
        login: &str,
        username: &str,
        password: &str,
    ) -> Answer {
        let page = self.request("GET", &format!("{}{login}", issuer(t)), None);
        assert_eq!(page.status, 200, "{}", page.body);
        let field = |name: &str| {
            let marker = format!("name=\"{name}\" value=\"");
            let start = page.body.find(&marker).unwrap() + marker.len();
            page.body[start..start + page.body[start..].find('"').unwrap()].to_string()
        };
        let (auth_request, csrf) = (field("authRequest"), field("csrf"));
        self.request(
            "POST",
            &format!("{}/ui/login", issuer(t)),
            Some(&[
                ("authRequest", &auth_request),
                ("csrf", &csrf),
                ("username", username),
                ("password", password),
            ]),
        )
    }
}

/// One step of the instance's RS256 key rotation (the next key published, or made the one
/// that signs): the write's position.
pub fn rotate_rs256(t: &Tenant) -> String {
    let r = server().system().post(
        &format!(
            "/v1/system/instances/{}/keys/rotate?alg=RS256",
            t.instance_id
        ),
        serde_json::json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.str("position")
}

pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A query parameter of a URL.
pub fn param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Seconds since the epoch, as a client's clock says.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// An ES256 key a client holds: it signs compact JWS (DPoP proofs, client assertions) and
/// shows its public JWK.
pub struct Es256Key {
    key: ring::signature::EcdsaKeyPair,
}

impl Default for Es256Key {
    fn default() -> Self {
        Self::new()
    }
}

impl Es256Key {
    pub fn new() -> Es256Key {
        use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        Es256Key { key }
    }

    /// The public key as a JWK (`kty`, `crv`, `x`, `y`).
    pub fn jwk(&self) -> Value {
        use base64::Engine;
        use ring::signature::KeyPair;
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        let point = self.key.public_key().as_ref();
        json!({"kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..])})
    }

    /// `header.claims.signature`.
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        use base64::Engine;
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let sig = self
            .key
            .sign(&ring::rand::SystemRandom::new(), input.as_bytes())
            .unwrap();
        format!("{input}.{}", b64(sig.as_ref()))
    }
}
