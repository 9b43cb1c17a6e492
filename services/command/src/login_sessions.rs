//! Sessions as the Sessions API and the hosted login make them: a session is created for a
//! user whose login name was checked, gathers checks (the password, verified here on the
//! password pool), and finalizes an authorization request once the `login` settings of the
//! user's org find every check it needs fresh. Its token is `<session id>.<256-bit secret>`
//! (the hosted login's cookie); only the secret's hash is stored.

use domain::oidc::{Login, Needs, PendingAuthRequest, Session, SessionCommand};
use domain::settings::LoginSettings;
use domain::user::{User, UserState};
use domain::{Aggregate, Code, Error};

use crate::actor::now_ms;
use crate::bus::CommandBus;
use crate::credentials::PasswordChange;
use crate::factors::usable_factors;
use crate::oidc::{joined, login_flow, NewSession, PasswordCheck};
use crate::sagas::key;

/// An authorization request completed by a session: the request, and its code.
pub struct Finalized {
    pub request: PendingAuthRequest,
    /// The code of an OIDC request; a SAML request is answered with a response instead, and
    /// its code (never shown) is of no use.
    pub code: String,
    /// Who logged in, and how.
    pub login: Login,
}

/// `SESSION-0002`: what a wrong password, an unknown, inactive or locked user, or a lockout
/// are answered alike.
pub fn wrong_password() -> Error {
    Error::new(
        Code::SessionCheckFailed,
        "the login name or the password is wrong",
    )
    .with("check", "password")
}

impl CommandBus {
    /// The login settings in force for a user (their org's, else the instance's).
    pub async fn login_settings(
        &self,
        instance: &str,
        user: &User,
    ) -> Result<LoginSettings, Error> {
        let (org, own) = self.settings_of_user(instance, user).await?;
        Ok(domain::settings::login(org.as_ref(), &own))
    }

    /// Checks a user's password for a session: `SESSION-0005` where the login settings allow
    /// no passwords, `SESSION-0002` for a wrong one, an unknown, inactive or locked user, or
    /// a lockout (each takes the time of a real check and counts as the lockout says).
    /// Returns what the check found, for the caller's rate limits.
    pub async fn check_session_password(
        &self,
        instance: &str,
        user_id: &str,
        password: String,
    ) -> Result<PasswordCheck, Error> {
        let (user, _) = self
            .state::<User>(&key(instance, User::KIND, user_id))
            .await?;
        if !self
            .login_settings(instance, &user)
            .await?
            .allow_username_password
        {
            return Err(Error::new(
                Code::LoginMethodNotAllowed,
                "the login settings do not allow logging in with a password here",
            ));
        }
        self.check_password(instance, user_id, password).await
    }

    /// A new session of a live user, with the password checked too when `password_checked`
    /// (after [`CommandBus::check_session_password`] found it right).
    pub async fn create_session(
        &self,
        instance: &str,
        user_id: &str,
        password_checked: bool,
    ) -> Result<NewSession, Error> {
        let (user, _) = self
            .state::<User>(&key(instance, User::KIND, user_id))
            .await?;
        if !user.exists() || user.state != UserState::Active {
            return Err(Error::new(
                Code::UserNotFound,
                "no user that may log in has this login name",
            ));
        }
        let session_id = uuid::Uuid::now_v7().to_string();
        let (token, secret_hash) = joined(&session_id);
        let cmd = SessionCommand::Create {
            user_id: user_id.into(),
            secret_hash,
            password_checked,
        };
        self.change_session(instance, &session_id, cmd).await?;
        let (session, _) = self
            .state::<Session>(&key(instance, Session::KIND, &session_id))
            .await?;
        Ok(NewSession {
            session_id,
            cookie: token,
            auth_time: session.auth_time,
        })
    }

    /// The live session an id and its token open; anything else (an unknown or ended
    /// session, another session's token, a made-up one) is `SESSION-0001`.
    pub async fn session_by_token(
        &self,
        instance: &str,
        session_id: &str,
        token: &str,
    ) -> Result<Session, Error> {
        let gone = || Error::new(Code::SessionNotFound, "no such session, or not its token");
        match self.session(instance, token).await? {
            Some((id, session)) if id == session_id => Ok(session),
            _ => Err(gone()),
        }
    }

    /// Records a right password check in a session.
    pub async fn session_password_checked(
        &self,
        instance: &str,
        session_id: &str,
    ) -> Result<Session, Error> {
        self.change_session(instance, session_id, SessionCommand::CheckPassword)
            .await?;
        let (session, _) = self
            .state::<Session>(&key(instance, Session::KIND, session_id))
            .await?;
        Ok(session)
    }

    /// Completes an authorization request (its handle) with a session, once every check the
    /// login needs is fresh: the `login` settings of the user's org, a new login when the
    /// request asked for one (`prompt=login`: checks after it began) or for a recent one
    /// (`max_age`). A password past the `password_expiry` settings is `SESSION-0004`; a user
    /// who may no longer log in, or a session over its lifetimes, `SESSION-0001`.
    pub async fn finalize(
        &self,
        instance: &str,
        handle: &str,
        session_id: &str,
        token: &str,
    ) -> Result<Finalized, Error> {
        let request = self.auth_request(instance, handle)?;
        let session = self.session_by_token(instance, session_id, token).await?;
        let (user, _) = self
            .state::<User>(&key(instance, User::KIND, &session.user_id))
            .await?;
        if !user.exists() || user.state != UserState::Active {
            return Err(Error::new(
                Code::SessionNotFound,
                "the session's user may not log in now",
            ));
        }
        let (org, own) = self.settings_of_user(instance, &user).await?;
        let login = domain::settings::login(org.as_ref(), &own);
        let now = now_ms();
        let params = &request.params;
        let usable = usable_factors(&user, &login);
        // Checks before a new login the client asked for (`prompt=login`), or older than the
        // recent one it asked for (`max_age`), do not count.
        let not_before = [
            params.prompt_login.then_some(request.started_at),
            params.max_age.map(|m| now - m.saturating_mul(1000)),
        ]
        .into_iter()
        .flatten()
        .max();
        let needs = Needs {
            second_factor: !usable.is_empty() || login.force_mfa || params.wants_mfa(),
            not_before,
        };
        if let Some(first) = session.missing_checks(&login, needs, now).first() {
            let factors: Vec<&str> = usable.iter().map(|f| f.name()).collect();
            return Err(Error::new(
                Code::SessionChecksMissing,
                format!(
                    "the login needs a fresh {} check in the session",
                    first.name()
                ),
            )
            .with("check", first.name())
            .with("factors", factors.join(" ")));
        }
        let expiry = domain::settings::password_expiry(org.as_ref(), &own);
        let expired = expiry.expired(user.password_set_at, now) || user.password_change_required;
        if user.password_hash.is_some() && expired {
            let reason = match user.password_change_required {
                true => "change_required",
                false => "expired",
            };
            return Err(Error::new(
                Code::PasswordExpired,
                "the password has expired: change it, then check the new one",
            )
            .with("reason", reason));
        }
        let lifetimes = domain::settings::session(org.as_ref(), &own);
        self.change_session(instance, session_id, SessionCommand::Use { lifetimes })
            .await?;
        let login = Login {
            user_id: session.user_id.clone(),
            session_id: session_id.into(),
            auth_time: session.auth_time,
            amr: session.amr(&login, now),
        };
        let code = self.issue_code(instance, handle, login.clone()).await?;
        Ok(Finalized {
            request,
            code,
            login,
        })
    }
}

impl CommandBus {
    /// A user as its aggregate holds it (a default, not existing, for an unknown id).
    pub async fn user(&self, instance: &str, user_id: &str) -> Result<User, Error> {
        Ok(self
            .state::<User>(&key(instance, User::KIND, user_id))
            .await?
            .0)
    }

    /// The login settings of the instance (for a login name that names nobody).
    pub async fn instance_login_settings(&self, instance: &str) -> Result<LoginSettings, Error> {
        let (own, _) = self.settings_maps(instance, None).await?;
        Ok(domain::settings::login(None, &own))
    }

    /// A live session and its user, by the session's id (`SESSION-0001` if there is none).
    pub async fn session_with_user(
        &self,
        instance: &str,
        session_id: &str,
    ) -> Result<(Session, User), Error> {
        let (session, _) = self
            .state::<Session>(&key(instance, Session::KIND, session_id))
            .await?;
        let lifetimes = self.session_lifetimes(instance, &session.user_id).await?;
        if !session.alive(&lifetimes, now_ms()) {
            return Err(Error::new(Code::SessionNotFound, "no such session"));
        }
        let (user, _) = self
            .state::<User>(&key(instance, User::KIND, &session.user_id))
            .await?;
        Ok((session, user))
    }

    /// Sets a new password for the user of a session whose password has expired: the
    /// session's fresh password check proves the current one. The new one holds to the
    /// password rules (`USER-0009`); the change ends the user's sessions, this one too.
    /// Returns the user's id.
    pub async fn change_expired_password(
        &self,
        instance: &str,
        session_id: &str,
        token: &str,
        new_password: String,
    ) -> Result<String, Error> {
        let session = self.session_by_token(instance, session_id, token).await?;
        let (user, _) = self
            .state::<User>(&key(instance, User::KIND, &session.user_id))
            .await?;
        let (org, own) = self.settings_of_user(instance, &user).await?;
        let login = domain::settings::login(org.as_ref(), &own);
        let now = now_ms();
        if !session
            .missing_checks(&login, Needs::default(), now)
            .is_empty()
        {
            return Err(Error::new(
                Code::SessionChecksMissing,
                "the session's password check is not fresh: log in again",
            )
            .with("check", "password"));
        }
        let expiry = domain::settings::password_expiry(org.as_ref(), &own);
        if !expiry.expired(user.password_set_at, now) {
            return Err(Error::new(
                Code::SessionChecksMissing,
                "the password has not expired: change it from the account instead",
            ));
        }
        let change = PasswordChange {
            current_password: None,
            new_password,
        };
        self.change_password(
            &login_flow(instance),
            instance,
            &session.user_id,
            change,
            None,
        )
        .await?;
        Ok(session.user_id)
    }
}
