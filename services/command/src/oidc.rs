//! The command side of OpenID Connect: authorization requests and their single-use codes,
//! browser sessions, password checks with lockout, and rotating refresh token families. Codes,
//! session cookies and refresh tokens are `<aggregate id>.<256-bit secret>`; only the secret's
//! hash is stored, and the id finds the aggregate without any lookup.

use authz::{Caller, InternalFlow};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::oidc::{
    AuthParams, AuthRequest, AuthRequestCommand, Grant, Login, PendingAuthRequest, RefreshCommand,
    RefreshFamily, Session, SessionCommand, TokenRevocationCommand, TokenRevocations,
};
use domain::user::{User, UserChange, UserCommand, UserState};
use domain::{Aggregate, Code, Error};

use crate::actor::now_ms;
use crate::bus::CommandBus;
use crate::sagas::key;
use crypto::sealing::Purpose;
use crypto::secrets::{new_token, token_hash};

pub(crate) fn login_flow(instance: &str) -> Caller {
    Caller::Internal {
        flow: InternalFlow::Login,
        instance: instance.into(),
    }
}

/// The prefix of a pending authorization request's handle.
const PENDING_PREFIX: &str = "ar1.";

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Splits `<id>.<secret>` into the id and the secret's hash.
pub fn split_token(token: &str) -> Option<(&str, String)> {
    let (id, secret) = token.split_once('.')?;
    (!id.is_empty() && !secret.is_empty()).then(|| (id, token_hash(secret)))
}

pub(crate) fn joined(id: &str) -> (String, String) {
    let (secret, hash) = new_token();
    (format!("{id}.{secret}"), hash)
}

/// What a password check at the login found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordCheck {
    /// The user's password, and the user may log in.
    Right,
    /// Not the password, or no user that may log in by it.
    Wrong,
    /// Wrong passwords have locked the user out for now: nothing was checked.
    LockedOut,
}

/// A session cookie's value, and the session it opens.
pub struct NewSession {
    pub session_id: String,
    pub cookie: String,
    /// When the user authenticated, as the session records it (unix milliseconds): what its
    /// tokens' `auth_time` says, now and when the session answers a later request.
    pub auth_time: i64,
}

impl CommandBus {
    /// An authorization request waiting for its login, as the handle the browser carries to
    /// the hosted login: sealed for this instance, so that it is neither readable nor
    /// changeable on its way. Nothing is written until a login completes it.
    pub fn start_auth_request(
        &self,
        instance: &str,
        params: AuthParams,
        issuer: &str,
        ui_locales: Vec<String>,
    ) -> Result<String, Error> {
        let pending = PendingAuthRequest {
            id: new_id(),
            params,
            started_at: now_ms(),
            issuer: issuer.into(),
            ui_locales,
        };
        let plain = serde_json::to_vec(&pending)
            .map_err(|e| Error::internal(format!("cannot encode an auth request: {e}")))?;
        let sealed = self
            .master_key()?
            .seal_for(Purpose::AuthRequest, instance, &plain);
        Ok(format!(
            "{PENDING_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(sealed)
        ))
    }

    /// The pending authorization request a handle carries, if it is one of this instance's
    /// and still live; anything else (made up, altered, expired) is `OIDC-0002`.
    pub fn auth_request(&self, instance: &str, handle: &str) -> Result<PendingAuthRequest, Error> {
        let gone = || {
            Error::new(
                Code::AuthRequestExpired,
                "this login is not known or has expired: start again from the application",
            )
        };
        let sealed = handle
            .strip_prefix(PENDING_PREFIX)
            .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok())
            .ok_or_else(gone)?;
        let plain = self
            .master_key()?
            .unseal_for(Purpose::AuthRequest, instance, &sealed)
            .map_err(|_| gone())?;
        let pending: PendingAuthRequest = serde_json::from_slice(&plain).map_err(|_| gone())?;
        if !pending.live_at(now_ms()) {
            return Err(gone());
        }
        Ok(pending)
    }

    /// Completes a pending authorization request for a logged-in user, once: only now is it
    /// recorded. Returns the code.
    pub async fn issue_code(
        &self,
        instance: &str,
        handle: &str,
        login: Login,
    ) -> Result<String, Error> {
        let pending = self.auth_request(instance, handle)?;
        let (code, code_hash) = joined(&pending.id);
        let k = key(instance, AuthRequest::KIND, &pending.id);
        let cmd = AuthRequestCommand::Complete {
            pending: Box::new(pending),
            login,
            code_hash,
        };
        self.execute::<AuthRequest>(&k, &login_flow(instance), cmd, None)
            .await?;
        Ok(code)
    }

    /// Exchanges a code once. A second use revokes what the first one issued and fails.
    pub async fn exchange_code(
        &self,
        instance: &str,
        code: &str,
    ) -> Result<(AuthRequest, String), Error> {
        let bad = || Error::new(Code::InvalidGrant, "the code is not valid");
        let (id, code_hash) = split_token(code).ok_or_else(bad)?;
        let k = key(instance, AuthRequest::KIND, id);
        let family_id = new_id();
        let cmd = AuthRequestCommand::Exchange {
            code_hash,
            family_id: family_id.clone(),
        };
        self.execute::<AuthRequest>(&k, &login_flow(instance), cmd, None)
            .await?;
        let (request, _) = self.state::<AuthRequest>(&k).await?;
        if request.family_id.as_deref() != Some(family_id.as_str()) {
            // The code had been used: its first exchange's tokens are revoked.
            if let Some(first) = &request.family_id {
                self.revoke_refresh_family(instance, first).await?;
            }
            return Err(Error::new(
                Code::InvalidGrant,
                "the code was used already; what it issued is revoked",
            ));
        }
        Ok((request, family_id))
    }

    /// Checks a password at the login, off the async runtime, and records the outcome (wrong
    /// ones count towards the lockout settings in force). Unknown, inactive and locked users
    /// are `Wrong`; a locked-out user is `LockedOut`, and no check is made. The caller answers
    /// all three the same way: each takes the time of a real check.
    pub async fn check_password(
        &self,
        instance: &str,
        user_id: &str,
        password: String,
    ) -> Result<PasswordCheck, Error> {
        let k = key(instance, User::KIND, user_id);
        let (user, _) = self.state::<User>(&k).await?;
        let at = now_ms();
        let locked_out = user.locked_out_at(at);
        let hash = user
            .password_hash
            .clone()
            .filter(|_| user.exists() && !locked_out);
        let Some(hash) = hash else {
            // Spend the same time as a real check, so that timing says nothing either.
            let _ = self.passwords.hash(password).await?;
            return Ok(match locked_out {
                true => PasswordCheck::LockedOut,
                false => PasswordCheck::Wrong,
            });
        };
        let password_for_rehash = password.clone();
        let ok = self.passwords.verify(password, hash.clone()).await?;
        // The lockout settings matter only to a wrong password: a right one reads none.
        let change = match ok {
            true => UserChange::PasswordRight { at },
            false => UserChange::PasswordWrong {
                lockout: self.lockout_settings(instance, &user).await?,
                at,
            },
        };
        self.execute::<User>(&k, &login_flow(instance), UserCommand::Change(change), None)
            .await?;
        if ok && self.passwords.needs_rehash(&hash) {
            self.rehash(instance, user_id, password_for_rehash).await;
        }
        Ok(match ok && user.state == UserState::Active {
            true => PasswordCheck::Right,
            false => PasswordCheck::Wrong,
        })
    }

    /// Replaces a right password's hash by one of the service's parameters (a hash brought
    /// along from elsewhere, or of older parameters). A failure is logged: the login goes on,
    /// and the next one tries again.
    async fn rehash(&self, instance: &str, user_id: &str, password: String) {
        let hashed = match self.passwords.hash(password).await {
            Ok(hash) => hash,
            Err(e) => {
                tracing::info!(instance, user_id, error = %e, "a password was not hashed anew");
                return;
            }
        };
        let change = UserChange::Rehash {
            password_hash: hashed,
        };
        let k = key(instance, User::KIND, user_id);
        let cmd = UserCommand::Change(change);
        if let Err(e) = self
            .execute::<User>(&k, &login_flow(instance), cmd, None)
            .await
        {
            tracing::warn!(instance, user_id, error = %e, "a password's new hash was not recorded");
        }
    }

    /// The session a cookie opens, if any (over its lifetimes or not: a logout ends it).
    pub async fn session(
        &self,
        instance: &str,
        cookie: &str,
    ) -> Result<Option<(String, Session)>, Error> {
        let Some((id, hash)) = split_token(cookie) else {
            return Ok(None);
        };
        let (session, _) = self
            .state::<Session>(&key(instance, Session::KIND, id))
            .await?;
        let valid = session.exists() && domain::validate::same_secret(&session.secret_hash, &hash);
        Ok(valid.then(|| (id.to_string(), session)))
    }

    pub async fn change_session(
        &self,
        instance: &str,
        id: &str,
        cmd: SessionCommand,
    ) -> Result<(), Error> {
        let k = key(instance, Session::KIND, id);
        self.execute::<Session>(&k, &login_flow(instance), cmd, None)
            .await?;
        Ok(())
    }

    /// Starts the family of a code's tokens: every access token of the exchange names it, so
    /// that revoking it (a reused code, `/revoke`) ends them all. With `refresh`, returns the
    /// first refresh token; without, the family holds none.
    pub async fn issue_refresh(
        &self,
        instance: &str,
        family_id: &str,
        grant: Grant,
        refresh: bool,
    ) -> Result<Option<String>, Error> {
        let (token, token_hash) = match refresh {
            true => {
                let (token, hash) = joined(family_id);
                (Some(token), hash)
            }
            false => (None, String::new()),
        };
        let k = key(instance, RefreshFamily::KIND, family_id);
        self.execute::<RefreshFamily>(
            &k,
            &login_flow(instance),
            RefreshCommand::Issue { grant, token_hash },
            None,
        )
        .await?;
        Ok(token)
    }

    /// Revokes the family of a whole refresh token (id and secret); a token that is not one
    /// of the family's revokes nothing.
    pub async fn revoke_refresh_token(&self, instance: &str, token: &str) -> Result<(), Error> {
        let Some((family_id, presented)) = split_token(token) else {
            return Ok(());
        };
        let k = key(instance, RefreshFamily::KIND, family_id);
        let cmd = RefreshCommand::RevokeToken { presented };
        self.execute::<RefreshFamily>(&k, &login_flow(instance), cmd, None)
            .await?;
        Ok(())
    }

    /// Uses a refresh token: returns what it grants and its successor. A rotated token used
    /// again revokes the family and fails.
    pub async fn rotate_refresh(
        &self,
        instance: &str,
        token: &str,
        jkt: Option<&str>,
    ) -> Result<(String, Grant, String), Error> {
        let bad = || Error::new(Code::InvalidGrant, "the refresh token is not valid");
        let (family_id, presented) = split_token(token).ok_or_else(bad)?;
        let k = key(instance, RefreshFamily::KIND, family_id);
        let (family, _) = self.state::<RefreshFamily>(&k).await?;
        if !family.exists() {
            return Err(Error::new(
                Code::InvalidGrant,
                "the refresh token was revoked",
            ));
        }
        let lifetimes = self
            .session_lifetimes(instance, &family.grant.user_id)
            .await?;
        let (next, next_hash) = joined(family_id);
        let cmd = RefreshCommand::Rotate {
            presented,
            next: next_hash.clone(),
            lifetimes,
            jkt: jkt.map(str::to_string),
        };
        self.execute::<RefreshFamily>(&k, &login_flow(instance), cmd, None)
            .await?;
        let (family, _) = self.state::<RefreshFamily>(&k).await?;
        if !family.exists() || family.token_hash != next_hash {
            return Err(Error::new(
                Code::InvalidGrant,
                "the refresh token was used already; its family is revoked",
            ));
        }
        Ok((family_id.to_string(), family.grant, next))
    }

    /// The grant of a live refresh family (access tokens name theirs).
    pub async fn refresh_family(
        &self,
        instance: &str,
        family_id: &str,
    ) -> Result<Option<Grant>, Error> {
        let (family, _) = self
            .state::<RefreshFamily>(&key(instance, RefreshFamily::KIND, family_id))
            .await?;
        Ok(family.exists().then_some(family.grant))
    }

    /// Ends a user's browser sessions and revokes their refresh token families: all of them
    /// (a password change, a lock, a deactivation, a removal), or those of one session (its
    /// logout). Found through the streams that name the user, or the session, as their owner.
    /// The apps that logged in through them and take logout tokens are told.
    pub async fn end_sessions_of(
        &self,
        instance: &str,
        user_id: &str,
        only: Option<&str>,
    ) -> Result<(), Error> {
        let owner = only.unwrap_or(user_id);
        let mut ended = Vec::new();
        for id in self
            .owned_streams(instance, owner, RefreshFamily::KIND)
            .await?
        {
            ended.extend(self.login_of_family(instance, &id).await?);
            // A family revoked already stays as it is: no event.
            self.revoke_refresh_family(instance, &id).await?;
        }
        let sessions = match only {
            Some(session) => vec![session.to_string()],
            None => self.owned_streams(instance, user_id, Session::KIND).await?,
        };
        for id in sessions {
            let k = key(instance, Session::KIND, &id);
            if self.state::<Session>(&k).await?.0.exists() {
                self.change_session(instance, &id, SessionCommand::End)
                    .await?;
            }
        }
        self.tell_apps(instance, ended).await;
        Ok(())
    }

    pub async fn revoke_refresh_family(
        &self,
        instance: &str,
        family_id: &str,
    ) -> Result<(), Error> {
        let k = key(instance, RefreshFamily::KIND, family_id);
        self.execute::<RefreshFamily>(&k, &login_flow(instance), RefreshCommand::Revoke, None)
            .await?;
        Ok(())
    }

    /// Revokes one access token outside any refresh family (client credentials) of
    /// `subject`, until it expires at `expires_at` (unix seconds).
    pub async fn revoke_access_token(
        &self,
        instance: &str,
        subject: &str,
        jti: &str,
        expires_at: i64,
    ) -> Result<(), Error> {
        let k = key(instance, TokenRevocations::KIND, subject);
        let cmd = TokenRevocationCommand::Revoke {
            jti: jti.into(),
            expires_at,
        };
        self.execute::<TokenRevocations>(&k, &login_flow(instance), cmd, None)
            .await?;
        Ok(())
    }

    /// The access tokens of `subject` revoked on their own (outside any refresh family).
    pub async fn token_revocations(
        &self,
        instance: &str,
        subject: &str,
    ) -> Result<TokenRevocations, Error> {
        let k = key(instance, TokenRevocations::KIND, subject);
        Ok(self.state::<TokenRevocations>(&k).await?.0)
    }
}
