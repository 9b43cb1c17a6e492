//! The server under load: its loopback address, the instance (by `Host`) and an admin's
//! personal access token for the fixtures; one HTTP agent shared by all workers.

use base64::Engine;
use serde_json::Value;

#[derive(Clone, Debug)]
pub struct Target {
    base: String,
    host: Option<String>,
    pat: String,
    agent: ureq::Agent,
    /// The gRPC API's loopback address, for the scenarios over gRPC.
    grpc: Option<String>,
}

/// An answer: status and JSON body (`null` when there is none).
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    /// Ok when the status is `expected`, else the status as the error code (with the API's
    /// stable code when the body has one: `409 USER-0002`).
    pub fn expect(self, expected: u16) -> Result<Value, String> {
        if self.status == expected {
            return Ok(self.body);
        }
        Err(
            match self.body["code"].as_str().or(self.body["error"].as_str()) {
                Some(code) => format!("{} {code}", self.status),
                None => self.status.to_string(),
            },
        )
    }
}

/// A page: status, `Location`, every `Set-Cookie` and the body as text.
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub body: String,
}

impl Page {
    /// The page when its status is `expected`, else the status as the error code.
    pub fn expect(self, expected: u16) -> Result<Page, String> {
        if self.status == expected {
            Ok(self)
        } else {
            Err(self.status.to_string())
        }
    }

    /// The `value` of the form field `name` (`name="x" value="..."`), HTML-unescaped.
    pub fn field(&self, name: &str) -> Result<String, String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self
            .body
            .find(&marker)
            .ok_or_else(|| format!("no field {name} on the page"))?
            + marker.len();
        let end = self.body[start..]
            .find('"')
            .ok_or_else(|| format!("field {name} never ends"))?;
        Ok(self.body[start..start + end]
            .replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"))
    }
}

pub enum Auth<'a> {
    None,
    Pat,
    Bearer(&'a str),
    Basic(&'a str, &'a str),
}

impl Target {
    /// Only loopback addresses: load is never sent to another machine.
    pub fn new(base: &str, host: Option<&str>, pat: &str) -> Result<Target, String> {
        let rest = base
            .strip_prefix("http://")
            .ok_or_else(|| format!("{base}: the base must be http://<loopback>:<port>"))?;
        let authority = rest.split('/').next().unwrap_or_default();
        let hostname = authority
            .rsplit_once(':')
            .map_or(authority, |(h, _)| h)
            .trim_matches(['[', ']']);
        let loopback = hostname == "localhost"
            || hostname
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if !loopback {
            return Err(format!(
                "{base}: load goes only to loopback (127.0.0.1, ::1, localhost)"
            ));
        }
        Ok(Target {
            base: base.trim_end_matches('/').to_string(),
            host: host.map(str::to_string),
            pat: pat.trim().to_string(),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_idle_connections_per_host(1024)
                .max_redirects(0)
                .build()
                .into(),
            grpc: None,
        })
    }

    /// The same server, with its gRPC API at `address` (loopback only, as the base).
    pub fn with_grpc(mut self, address: &str) -> Result<Target, String> {
        let ip = address.rsplit_once(':').map_or(address, |(h, _)| h);
        let loopback = ip == "localhost"
            || ip
                .trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if !loopback {
            return Err(format!("{address}: load goes only to loopback"));
        }
        self.grpc = Some(address.to_string());
        Ok(self)
    }

    /// The gRPC API's address, the instance's domain (the call's authority) and the token.
    pub fn grpc(&self) -> Result<(String, Option<String>, String), String> {
        let address = self
            .grpc
            .clone()
            .ok_or("this scenario runs over gRPC: give loadgen --grpc <host:port>")?;
        Ok((address, self.host.clone(), self.pat.clone()))
    }

    /// A JSON request (`body` Some) or a GET/DELETE; `position` waits for a write.
    pub fn json(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        auth: Auth,
        position: Option<&str>,
    ) -> Result<Answer, String> {
        let mut req = self.request(method, path, auth);
        if let Some(p) = position {
            req = req.header("X-Portcullis-Position", p);
        }
        let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        if !body.is_empty() {
            req = req.header("Content-Type", "application/json");
        }
        self.send(req, body)
    }

    /// A form POST (the OAuth endpoints).
    pub fn form(&self, path: &str, fields: &[(&str, &str)], auth: Auth) -> Result<Answer, String> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let req = self
            .request("POST", path, auth)
            .header("Content-Type", "application/x-www-form-urlencoded");
        self.send(req, body.into_bytes())
    }

    /// A request as a browser sends it: no credentials but `cookie`, the form (if any) as its
    /// body; redirects are answered, not followed.
    pub fn page(
        &self,
        method: &str,
        path: &str,
        form: Option<&[(&str, &str)]>,
        cookie: &str,
    ) -> Result<Page, String> {
        let mut req = self.request(method, path, Auth::None);
        if !cookie.is_empty() {
            req = req.header("Cookie", cookie);
        }
        let body = match form {
            Some(fields) => {
                req = req.header("Content-Type", "application/x-www-form-urlencoded");
                form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(fields)
                    .finish()
                    .into_bytes()
            }
            None => Vec::new(),
        };
        let req = req.body(body).map_err(|e| format!("request: {e}"))?;
        let mut res = self.agent.run(req).map_err(|_| "transport".to_string())?;
        let header = |name: &str| {
            res.headers()
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok().map(str::to_string))
                .collect::<Vec<_>>()
        };
        let location = header("location").pop();
        let set_cookies = header("set-cookie");
        let body = res
            .body_mut()
            .read_to_string()
            .map_err(|_| "transport".to_string())?;
        Ok(Page {
            status: res.status().as_u16(),
            location,
            set_cookies,
            body,
        })
    }

    fn request(&self, method: &str, path: &str, auth: Auth) -> ureq::http::request::Builder {
        let mut req = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(h) = &self.host {
            req = req.header("Host", h);
        }
        let authorization = match auth {
            Auth::None => return req,
            Auth::Pat => format!("Bearer {}", self.pat),
            Auth::Bearer(token) => format!("Bearer {token}"),
            Auth::Basic(id, secret) => format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!(
                    "{}:{}",
                    encode(id),
                    encode(secret)
                ))
            ),
        };
        req.header("Authorization", authorization)
    }

    /// A GET whose body the caller parses itself (into a typed view, cheaper than a `Value`
    /// for large pages): the status and the body's text.
    pub fn get_text(&self, path: &str, auth: Auth) -> Result<(u16, String), String> {
        self.send_text(self.request("GET", path, auth), Vec::new())
    }

    fn send(&self, req: ureq::http::request::Builder, body: Vec<u8>) -> Result<Answer, String> {
        let (status, text) = self.send_text(req, body)?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Answer { status, body })
    }

    fn send_text(
        &self,
        req: ureq::http::request::Builder,
        body: Vec<u8>,
    ) -> Result<(u16, String), String> {
        let req = req.body(body).map_err(|e| format!("request: {e}"))?;
        // Failures before an answer count under one code, whatever their text.
        let mut res = self.agent.run(req).map_err(|_| "transport".to_string())?;
        let status = res.status().as_u16();
        let text = res
            .body_mut()
            .read_to_string()
            .map_err(|_| "transport".to_string())?;
        Ok((status, text))
    }
}

/// `application/x-www-form-urlencoded` escaping (also what RFC 6749 wants in Basic auth).
fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
