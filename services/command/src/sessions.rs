//! A user's browser sessions as the API shows them, their ends, and the lifetimes that apply
//! to them and to refresh tokens (the `session` settings in force for the user's org).

use authz::Caller;
use domain::oidc::Session;
use domain::settings::SessionSettings;
use domain::user::{User, UserChange};
use domain::{Aggregate, Code, Error};

use crate::actor::now_ms;
use crate::bus::CommandBus;
use crate::sagas::key;
use crate::Written;

/// A live session of a user (times in unix milliseconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveSession {
    pub id: String,
    pub started_at: i64,
    pub auth_time: i64,
    pub last_used: i64,
    /// When it ends unless used again.
    pub expires_at: i64,
}

impl CommandBus {
    /// The session lifetimes in force for a user: their org's, else their instance's, else
    /// the defaults.
    pub async fn session_lifetimes(
        &self,
        instance: &str,
        user_id: &str,
    ) -> Result<SessionSettings, Error> {
        let (user, _) = self
            .state::<User>(&key(instance, User::KIND, user_id))
            .await?;
        let (org, own) = self.settings_of_user(instance, &user).await?;
        Ok(domain::settings::session(org.as_ref(), &own))
    }

    /// A user's live sessions, by id (ids are time-ordered: oldest first).
    pub async fn sessions_of(
        &self,
        instance: &str,
        user_id: &str,
    ) -> Result<Vec<LiveSession>, Error> {
        let lifetimes = self.session_lifetimes(instance, user_id).await?;
        let now = now_ms();
        let mut out = Vec::new();
        for id in self.owned_streams(instance, user_id, Session::KIND).await? {
            let (s, _) = self
                .state::<Session>(&key(instance, Session::KIND, &id))
                .await?;
            if s.user_id != user_id || !s.alive(&lifetimes, now) {
                continue;
            }
            out.push(LiveSession {
                id,
                started_at: s.started_at,
                auth_time: s.auth_time,
                last_used: s.last_used,
                expires_at: s.ends_at(&lifetimes),
            });
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// Ends one session of a user (`only`), or all, with their refresh tokens. The user's
    /// event records who did it; a session that is not the user's is not found.
    pub async fn end_sessions(
        &self,
        caller: &Caller,
        instance: &str,
        user_id: &str,
        only: Option<&str>,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        if let Some(id) = only {
            let (s, _) = self
                .state::<Session>(&key(instance, Session::KIND, id))
                .await?;
            if !s.exists() || s.user_id != user_id {
                return Err(Error::new(
                    Code::SessionNotFound,
                    "the user has no such session",
                ));
            }
        }
        let change = UserChange::EndSessions {
            only: only.map(String::from),
        };
        self.change_user(caller, instance, user_id, change, if_match)
            .await
    }
}
