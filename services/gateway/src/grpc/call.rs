//! What every gRPC method does around its operation: reads the credentials off the call's
//! metadata, authenticates as REST does, runs the operation on the gateway's actix arbiter,
//! and maps the answer or the error.

use std::future::Future;
use std::sync::Arc;

use actix_rt::{Arbiter, ArbiterHandle};
use domain::{Code, Error};
use tonic::{Request, Response, Status};

use super::status::status;
use crate::action_hooks::grpc::Around;
use crate::auth::{authenticate, authenticate_system, Authenticated, Credentials, SystemCaller};
use crate::views::ListParams;
use crate::Gateway;

/// One unary method: `rpc!(instance name(Request) -> Response, |gw, auth, r| operation)` runs
/// the operation for a caller of the instance's API (`system`: of the system API) through
/// [`Api::call`]. It writes out the signature `#[tonic::async_trait]` would make of an
/// `async fn`.
macro_rules! rpc {
    ($kind:ident $name:ident($req:ty) -> $resp:ty, |$gw:ident, $who:ident, $r:pat_param| $op:expr) => {
        fn $name<'life0, 'async_trait>(
            &'life0 self,
            req: tonic::Request<$req>,
        ) -> std::pin::Pin<
            Box<
                dyn std::future::Future<Output = Result<tonic::Response<$resp>, tonic::Status>>
                    + Send
                    + 'async_trait,
            >,
        >
        where
            'life0: 'async_trait,
            Self: 'async_trait,
        {
            Box::pin(self.call::<rpc!(@caller $kind), _, _, _, _, _>(
                req,
                |$gw, $who, $r| async move { $op },
            ))
        }
    };
    (@caller instance) => { $crate::auth::Authenticated };
    (@caller system) => { $crate::auth::SystemCaller };
}

/// `From<PageView<View>>` for a list's response message: its items and next cursor.
macro_rules! page {
    ($view:ty => $response:ty) => {
        impl From<crate::views::PageView<$view>> for $response {
            fn from(p: crate::views::PageView<$view>) -> Self {
                Self {
                    items: p.items.into_iter().map(Into::into).collect(),
                    next_cursor: p.next_cursor.unwrap_or_default(),
                }
            }
        }
    };
}

/// The host a call was sent to (HTTP/2's `:authority`), kept for the instance lookup, and the
/// call's path (what a DPoP proof names).
#[derive(Clone)]
struct Authority {
    host: String,
    path: String,
}

/// Keeps the `:authority` of a call (gRPC's metadata leaves it out), or its `host` header.
pub fn keep_authority<B>(mut req: http::Request<B>) -> http::Request<B> {
    let host = req
        .uri()
        .authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| {
            req.headers()
                .get("host")
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_default();
    let path = req.uri().path().to_string();
    req.extensions_mut().insert(Authority { host, path });
    req
}

/// The credentials a call carries, owned (they cross to the arbiter).
#[derive(Clone)]
struct Carried {
    host: String,
    authorization: Option<String>,
    position: Option<String>,
    if_match: Option<String>,
    client_ip: Option<std::net::IpAddr>,
    path: String,
    dpop: Option<String>,
}

impl Carried {
    fn of<T>(req: &Request<T>) -> Carried {
        // A value that is not text is kept as an empty one, which every check refuses.
        let value = |name: &str| {
            req.metadata()
                .get(name)
                .map(|v| v.to_str().unwrap_or("").to_string())
        };
        let authority = req.extensions().get::<Authority>();
        Carried {
            host: authority.map(|a| a.host.clone()).unwrap_or_default(),
            path: authority.map(|a| a.path.clone()).unwrap_or_default(),
            dpop: value("dpop"),
            authorization: value("authorization"),
            position: value("x-portcullis-position"),
            if_match: value("if-match"),
            client_ip: req.remote_addr().map(|a| a.ip()),
        }
    }

    fn credentials(&self, gw: &Gateway) -> Credentials<'_> {
        // A call is an HTTP/2 POST to its method's path, at the authority it names.
        let scheme = if gw.edge.secure() { "https" } else { "http" };
        Credentials {
            host: &self.host,
            authorization: self.authorization.as_deref(),
            position: self.position.as_deref(),
            if_match: self.if_match.as_deref(),
            client_ip: self.client_ip,
            resource: crate::oidc::dpop::Resource {
                method: "POST",
                url: format!("{scheme}://{}{}", self.host, self.path),
                proof: self.dpop.as_deref(),
            },
        }
    }
}

/// The gRPC services' state: the gateway, and the actix arbiter its operations run on. The
/// command bus's futures are not `Send` (a cluster forwards commands with actix's HTTP
/// client), so each call hands its operation to the arbiter and awaits the answer.
#[derive(Clone)]
pub struct Api {
    pub(super) gw: Arc<Gateway>,
    arbiter: ArbiterHandle,
}

impl Api {
    /// Runs on the current actix arbiter.
    pub fn new(gw: Arc<Gateway>) -> Api {
        Api {
            gw,
            arbiter: Arbiter::current(),
        }
    }

    /// Runs `op` on the arbiter and awaits its answer.
    pub(super) async fn local<T, F, Fut>(&self, op: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Gateway>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, Error>> + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let gw = self.gw.clone();
        let sent = self.arbiter.spawn_fn(move || {
            actix_web::rt::spawn(async move {
                let _ = tx.send(op(gw).await);
            });
        });
        if !sent {
            return Err(Error::new(Code::NotReady, "the gateway is stopping"));
        }
        rx.await
            .map_err(|_| Error::internal("the operation ended without an answer"))?
    }

    /// A call: its caller authenticated as REST's are (`Authenticated` for an instance's API,
    /// `SystemCaller` for the system API), then `op`, on the arbiter; its answer or its error
    /// as a status. The `rpc!` methods call it.
    pub(super) async fn call<W, M, T, R, F, Fut>(
        &self,
        req: Request<M>,
        op: F,
    ) -> Result<Response<R>, Status>
    where
        W: Caller,
        M: prost::Message + Default + Send + 'static,
        T: Send + 'static,
        R: From<T> + prost::Message + Default + Send + 'static,
        F: FnOnce(Arc<Gateway>, W, M) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, Error>> + 'static,
    {
        let carried = Carried::of(&req);
        // The call's path is its method: `/portcullis.v1.UserService/GetUser`.
        let method = carried.path.strip_prefix('/').map(str::to_string);
        let message = req.into_inner();
        self.local(move |gw| async move {
            let who = W::authenticate(&gw, &carried.credentials(&gw)).await?;
            // The actions around the call, for a caller of an instance's API.
            let mut around = match (who.acting(), method) {
                (Some((instance, user)), Some(method)) => {
                    Around::of(&gw, instance, user, method).await?
                }
                _ => None,
            };
            let message = match &mut around {
                Some(a) => a.request(&gw, message).await?,
                None => message,
            };
            let answer = R::from(op(gw.clone(), who, message).await?);
            match &around {
                Some(a) => a.response(&gw, answer).await,
                None => Ok(answer),
            }
        })
        .await
        .map(Response::new)
        .map_err(status)
    }

    /// Authenticates a call of an instance's API (for streams, which run on their own), and
    /// what authenticates it again while the stream lasts.
    pub(super) async fn authenticated<M>(
        &self,
        req: &Request<M>,
    ) -> Result<(Authenticated, Reauthenticate), Error> {
        let carried = Carried::of(req);
        let first = carried.clone();
        let now = self
            .local(move |gw| async move { authenticate(&gw, &first.credentials(&gw)).await })
            .await?;
        // Later checks do not wait for the position again: it was reached at the start.
        let again = Reauthenticate {
            api: self.clone(),
            carried: Carried {
                position: None,
                ..carried
            },
        };
        Ok((now, again))
    }
}

/// A stream's caller, authenticated again before each answer: a token revoked or a user
/// deactivated while the stream is open ends it.
pub(super) struct Reauthenticate {
    api: Api,
    carried: Carried,
}

impl Reauthenticate {
    pub(super) async fn now(&self) -> Result<Authenticated, Error> {
        let carried = self.carried.clone();
        self.api
            .local(move |gw| async move { authenticate(&gw, &carried.credentials(&gw)).await })
            .await
    }
}

/// Who calls: what a call's credentials authenticate as.
pub(super) trait Caller: Sized + 'static {
    fn authenticate(gw: &Gateway, c: &Credentials<'_>)
        -> impl Future<Output = Result<Self, Error>>;

    /// The instance and user a call acts as, when actions run around it.
    fn acting(&self) -> Option<(String, String)> {
        None
    }
}

impl Caller for Authenticated {
    fn authenticate(
        gw: &Gateway,
        c: &Credentials<'_>,
    ) -> impl Future<Output = Result<Self, Error>> {
        authenticate(gw, c)
    }

    fn acting(&self) -> Option<(String, String)> {
        Some((self.instance.clone(), self.principal.user.clone()))
    }
}

impl Caller for SystemCaller {
    fn authenticate(
        gw: &Gateway,
        c: &Credentials<'_>,
    ) -> impl Future<Output = Result<Self, Error>> {
        authenticate_system(gw, c)
    }
}

/// A list's `limit` and `cursor` (0 and empty mean unset).
pub fn list_params(limit: u32, cursor: String) -> ListParams {
    ListParams {
        limit: page_size(limit),
        cursor: some(cursor),
    }
}

/// A list's `limit`: 0 means unset (the default).
pub fn page_size(limit: u32) -> Option<usize> {
    (limit != 0).then_some(limit as usize)
}

/// An optional string field of proto3: empty means unset.
pub fn some(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// A message field the call cannot do without.
pub fn required<T>(field: Option<T>, name: &str) -> Result<T, Error> {
    field.ok_or_else(|| {
        Error::new(Code::MalformedBody, format!("{name} is required")).with("field", name)
    })
}
