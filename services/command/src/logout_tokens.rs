//! OpenID Connect Back-Channel Logout: when a session ends (a logout, the Sessions API, the
//! user ending their sessions, a lock, a deactivation, a new password), every app that logged
//! in through it and registered a `backchannel_logout_uri` is sent a logout token: a JWT
//! (`typ` `logout+jwt`) signed like the app's ID tokens, naming the user (`sub`), the session
//! (`sid`) and the logout event, good for two minutes. The tokens are signed while the session
//! ends and posted right after, each tried up to five times within about a minute and a half;
//! an app that answers 4xx refused it and is not asked again.

use std::time::Duration;

use crypto::jws::Signer;
use crypto::sealing::Purpose;
use domain::oidc::RefreshFamily;
use domain::project::Project;
use domain::signing_keys::SigningKeys;
use domain::{Aggregate, Error};
use serde_json::json;

use crate::actor::now_ms;
use crate::bus::CommandBus;
use crate::sagas::key;

/// The event a logout token carries (Back-Channel Logout 1.0, section 2.4).
const LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// How long a logout token is good (seconds).
const LOGOUT_TOKEN_TTL: i64 = 120;
/// The waits before each attempt (the first at once).
const ATTEMPTS: [u64; 5] = [0, 1, 4, 16, 60];

/// A login at an app that ends with its session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EndedLogin {
    client_id: String,
    user_id: String,
    session_id: Option<String>,
    issuer: String,
}

/// A logout token on its way to an app.
struct Notice {
    uri: String,
    client_id: String,
    token: String,
}

impl CommandBus {
    /// The login a live refresh family records, if an app may be told when it ends (it has
    /// a session and names its issuer).
    pub(crate) async fn login_of_family(
        &self,
        instance: &str,
        family_id: &str,
    ) -> Result<Option<EndedLogin>, Error> {
        let (family, _) = self
            .state::<RefreshFamily>(&key(instance, RefreshFamily::KIND, family_id))
            .await?;
        if !family.exists() || family.grant.session_id.is_none() {
            return Ok(None);
        }
        let g = family.grant;
        Ok(g.issuer.map(|issuer| EndedLogin {
            client_id: g.client_id,
            user_id: g.user_id,
            session_id: g.session_id,
            issuer,
        }))
    }

    /// Signs a logout token for each app of `logins` that takes them (once per app and
    /// session) and posts them in the background. A token that cannot be made is logged and
    /// skipped: the session has ended either way.
    pub(crate) async fn tell_apps(&self, instance: &str, mut logins: Vec<EndedLogin>) {
        logins.sort_by(|a, b| (&a.client_id, &a.session_id).cmp(&(&b.client_id, &b.session_id)));
        logins.dedup_by(|a, b| a.client_id == b.client_id && a.session_id == b.session_id);
        let mut notices = Vec::new();
        for login in logins {
            match self.logout_notice(instance, &login).await {
                Ok(Some(notice)) => notices.push(notice),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(instance, client_id = %login.client_id, error = %e, "a logout token could not be made; the app is not told of the logout")
                }
            }
        }
        if notices.is_empty() {
            return;
        }
        let private_hosts = self.allow_private_hosts;
        let instance = instance.to_string();
        tokio::spawn(async move {
            for notice in notices {
                deliver(&instance, &notice, private_hosts).await;
            }
        });
    }

    /// The logout token for `login`'s app, if the app takes them.
    async fn logout_notice(
        &self,
        instance: &str,
        login: &EndedLogin,
    ) -> Result<Option<Notice>, Error> {
        let Some((_, project_id)) = login.client_id.split_once('@') else {
            return Ok(None);
        };
        let (project, _) = self
            .state::<Project>(&key(instance, Project::KIND, project_id))
            .await?;
        let Some(app) = project
            .apps
            .values()
            .find(|a| a.client_id == login.client_id)
        else {
            return Ok(None);
        };
        let Some(uri) = app.config.backchannel_logout_uri.clone() else {
            return Ok(None);
        };
        let signer = self.signer(instance, &app.signing.id_token_alg).await?;
        let now = now_ms() / 1000;
        let mut claims = json!({
            "iss": login.issuer, "aud": login.client_id, "sub": login.user_id,
            "iat": now, "exp": now + LOGOUT_TOKEN_TTL,
            "jti": uuid::Uuid::now_v7().to_string(),
            "events": { LOGOUT_EVENT: {} },
        });
        if let Some(sid) = &login.session_id {
            claims["sid"] = json!(sid);
        }
        Ok(Some(Notice {
            uri,
            client_id: login.client_id.clone(),
            token: signer.sign("logout+jwt", &claims)?,
        }))
    }

    /// The instance's active signing key of `alg`, opened with the master key.
    async fn signer(&self, instance: &str, alg: &str) -> Result<Signer, Error> {
        let (keys, _) = self
            .state::<SigningKeys>(&key(instance, SigningKeys::KIND, instance))
            .await?;
        let (kid, k) = keys
            .active(alg)
            .ok_or_else(|| Error::internal(format!("the instance has no active {alg} key")))?;
        let der = self
            .master_key()?
            .unseal_for(Purpose::SigningKey, instance, &k.sealed)?;
        Signer::new(kid, alg, &der)
    }
}

/// Posts a logout token to its app, trying again after a failure that may pass.
async fn deliver(instance: &str, notice: &Notice, private_hosts: bool) {
    let fields = [("logout_token", notice.token.as_str())];
    for (attempt, wait) in ATTEMPTS.iter().enumerate() {
        tokio::time::sleep(Duration::from_secs(*wait)).await;
        let answer =
            notify::web::post_form(&notice.uri, &fields, private_hosts, "logout endpoints").await;
        let client_id = notice.client_id.as_str();
        match answer {
            Ok(a) if (200..300).contains(&a.status) => {
                tracing::info!(instance, client_id, "the app was told of a logout");
                return;
            }
            Ok(a) if (400..500).contains(&a.status) && a.status != 408 && a.status != 429 => {
                tracing::warn!(instance, client_id, status = a.status, answer = %a.body, "the app refused a logout token");
                return;
            }
            Ok(a) => {
                tracing::warn!(
                    instance,
                    client_id,
                    attempt,
                    status = a.status,
                    "an app's logout endpoint failed; it is tried again"
                )
            }
            Err(e) => {
                tracing::warn!(instance, client_id, attempt, error = %e, "an app's logout endpoint could not be reached; it is tried again")
            }
        }
    }
    tracing::warn!(instance, client_id = %notice.client_id, "an app was not told of a logout: its endpoint failed every attempt");
}
