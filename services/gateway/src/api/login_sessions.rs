//! The Sessions API, for login UIs (`session.write` / `session.read`, e.g. the
//! `IAM_LOGIN_CLIENT` role): a session is created with checks (the user, the password), takes
//! more checks, and finalizes an authorization request. The hosted login makes its sessions
//! with these same checks. Password checks count against the rate limits per client address
//! and per account, and against the lockout settings; every way a check fails (a wrong
//! password, an unknown, inactive or locked user, a lockout) answers `SESSION-0002` alike.

use std::net::IpAddr;

use authz::{Permission, Target};
use command::oidc::PasswordCheck;
use command::PublicKeyCredential;
use domain::oidc::SessionCommand;
use domain::settings::LONGEST_PASSWORD;
use domain::user::{Channel, Factor};
use domain::validate::normalized_username;
use domain::{Aggregate, Code, Error};

use super::orgs::org_target;
use super::require;
use crate::auth::Authenticated;
use crate::limits::Subject;
use crate::reads::read;
use crate::views::{
    CallbackView, ChallengesView, CreatedSessionView, IdpIntentStartView, LoginSessionView,
};
use crate::Gateway;

/// Who a session is for: a login name, or a user id.
pub enum UserCheck {
    LoginName(String),
    UserId(String),
}

/// A second factor to check.
pub enum SecondCheck {
    /// A factor's code (an app's, a login code, a recovery code).
    Code(Factor, String),
    /// A WebAuthn key's answer to the session's challenge.
    Key(Box<PublicKeyCredential>),
}

/// What a request asks to be sent for a later check.
#[derive(Default)]
pub struct Challenges {
    /// Login codes (by email, by SMS).
    pub codes: Vec<Channel>,
    /// A WebAuthn challenge for the user's keys of a factor (`u2f`, `passkey`; `None`: the
    /// kind they have), to sign for an origin (the login UI's).
    pub key: Option<(Option<Factor>, String)>,
}

/// The factor of a WebAuthn challenge's `kind`: `u2f`, `passkey`, or absent.
pub fn key_kind(kind: Option<&str>) -> Result<Option<Factor>, Error> {
    match kind.map(|k| (k, Factor::parse(k))) {
        None => Ok(None),
        Some((_, Some(f))) if f.key_kind().is_some() => Ok(Some(f)),
        Some(_) => Err(Error::new(
            Code::MalformedBody,
            "challenges.webauthn.kind is u2f or passkey",
        )
        .with("field", "challenges.webauthn.kind")),
    }
}

/// The checks a request adds to a session.
pub struct Checks {
    user: Option<UserCheck>,
    password: Option<String>,
    second: Option<SecondCheck>,
    challenges: Challenges,
    /// An IdP intent that came back (its id and token): the user logged in through an IdP.
    idp_intent: Option<(String, String)>,
}

/// The longest login name or user id worth a look.
const LONGEST_NAME: usize = 256;

/// The longest second-factor code worth a look (a recovery code with its dashes is 14).
const LONGEST_CODE: usize = 64;

impl Checks {
    /// The checks, if their values are of a size worth checking: a login name or user id
    /// longer than any is `REQ-0001`; a password longer than any may be is a wrong password,
    /// refused without a check, as is a second factor's code; more than one second factor is
    /// `REQ-0001`.
    pub fn bounded(
        user: Option<UserCheck>,
        password: Option<String>,
        seconds: Vec<SecondCheck>,
        challenges: Challenges,
    ) -> Result<Checks, Error> {
        if seconds.len() > 1 {
            return Err(
                Error::new(Code::MalformedBody, "check one second factor at a time")
                    .with("field", "checks"),
            );
        }
        let second = seconds.into_iter().next();
        let too_long = |field: &str| {
            Error::new(Code::MalformedBody, format!("{field} is too long")).with("field", field)
        };
        match &user {
            Some(UserCheck::LoginName(n)) if n.len() > LONGEST_NAME => {
                return Err(too_long("checks.user.login_name"))
            }
            Some(UserCheck::UserId(id)) if id.len() > LONGEST_NAME => {
                return Err(too_long("checks.user.user_id"))
            }
            _ => {}
        }
        if password
            .as_ref()
            .is_some_and(|p| p.chars().count() > LONGEST_PASSWORD as usize)
        {
            return Err(command::wrong_password());
        }
        if let Some(SecondCheck::Code(_, code)) = &second {
            if code.len() > LONGEST_CODE {
                return Err(domain::user::wrong_code());
            }
        }
        Ok(Checks {
            user,
            password,
            second,
            challenges,
            idp_intent: None,
        })
    }

    /// With an IdP intent's check (its id and token).
    pub fn with_idp_intent(mut self, intent: Option<(String, String)>) -> Checks {
        self.idp_intent = intent;
        self
    }
}

/// Uses an IdP intent up: the IdP and the user it was for (`SESSION-0002` if it is unknown,
/// used, expired or its token is another's).
async fn intent_user(
    gw: &Gateway,
    instance: &str,
    (id, token): &(String, String),
) -> Result<(String, String), Error> {
    if id.len() > LONGEST_NAME || token.len() > LONGEST_NAME {
        return Err(
            Error::new(Code::SessionCheckFailed, "the IdP intent is not valid")
                .with("check", "idp_intent"),
        );
    }
    let intent = gw.bus.consume_idp_intent(instance, id, token).await?;
    Ok((intent.idp_id, intent.user_id))
}

/// Starts a login at an identity provider for a login UI of one's own: where to send the
/// browser. The IdP must be one the `login` settings of `org_id` let its logins use; the
/// browser comes back to `success_url` with `id` and `token` (the session's `idp_intent`
/// check) or to `failure_url` with `error`.
pub async fn start_idp_intent(
    gw: &Gateway,
    auth: &Authenticated,
    issuer: &str,
    idp_id: &str,
    urls: crate::oidc::idp_login::IntentUrls,
) -> Result<IdpIntentStartView, Error> {
    require(gw, auth, Permission::SESSION_WRITE, instance_target(auth))?;
    for (url, field) in [
        (&urls.success_url, "success_url"),
        (&urls.failure_url, "failure_url"),
    ] {
        domain::app::web_uri(url, field)
            .map_err(|e| Error::new(Code::MalformedBody, e.message).with("field", field))?;
    }
    let auth_url =
        crate::oidc::idp_login::start_intent(gw, &auth.instance, issuer, idp_id, urls).await?;
    Ok(IdpIntentStartView { auth_url })
}

/// The id of the user a login name names (the read model's answer), if any.
pub(crate) async fn user_named(
    gw: &Gateway,
    instance: &str,
    login_name: &str,
) -> Result<Option<String>, Error> {
    let (i, name) = (instance.to_string(), login_name.to_string());
    read(gw, move |m| {
        Ok(m.user_by_login(&i, &name)?.map(|(u, _)| u.id))
    })
    .await
}

/// Checks a password for a user (`user_id` empty: no such user, which takes the time of a real
/// check too) within the rate limits of the client's address and of the account (`account`:
/// the login name given). A wrong one counts against both; one refused for a lockout only
/// against the address, so that the owner's own tries do not prolong the lock.
pub(crate) async fn check_password(
    gw: &Gateway,
    instance: &str,
    ip: Option<IpAddr>,
    account: &str,
    user_id: &str,
    password: String,
) -> Result<(), Error> {
    let account = format!("user:{}", normalized_username(account));
    let who = Subject {
        ip,
        instance,
        account: Some(&account),
    };
    gw.limits.check(&who)?;
    match gw
        .bus
        .check_session_password(instance, user_id, password)
        .await?
    {
        PasswordCheck::Right => return Ok(()),
        PasswordCheck::Wrong => gw.limits.failed(&who),
        PasswordCheck::LockedOut => gw.limits.failed(&Subject {
            account: None,
            ..who
        }),
    }
    Err(command::wrong_password())
}

fn instance_target(auth: &Authenticated) -> Target<'_> {
    Target::Instance {
        instance: &auth.instance,
    }
}

/// A new session with the checks given (the user at least). An unknown login name is
/// `USER-0001`, or `SESSION-0002` when a password came with it or the login settings say to
/// ignore unknown usernames.
pub async fn create(
    gw: &Gateway,
    auth: &Authenticated,
    mut checks: Checks,
) -> Result<CreatedSessionView, Error> {
    require(gw, auth, Permission::SESSION_WRITE, instance_target(auth))?;
    let instance = &auth.instance;
    let intent = match checks.idp_intent.take() {
        Some(i) => Some(intent_user(gw, instance, &i).await?),
        None => None,
    };
    let user = match (checks.user.take(), &intent) {
        (Some(user), _) => user,
        // The intent names its user.
        (None, Some((_, user_id))) => UserCheck::UserId(user_id.clone()),
        (None, None) => {
            return Err(Error::new(
                Code::MalformedBody,
                "checks.user (or checks.idp_intent) is required",
            )
            .with("field", "checks.user"))
        }
    };
    let (user_id, account) = match user {
        UserCheck::LoginName(name) => (user_named(gw, instance, &name).await?, name),
        UserCheck::UserId(id) => {
            let user = gw.bus.user(instance, &id).await?;
            match user.exists() {
                true => (Some(id), user.username),
                false => (None, id),
            }
        }
    };
    let password_checked = match checks.password.take() {
        Some(password) => {
            let id = user_id.as_deref().unwrap_or("");
            check_password(gw, instance, auth.client_ip, &account, id, password).await?;
            true
        }
        None => false,
    };
    let Some(user_id) = user_id else {
        let login = gw.bus.instance_login_settings(instance).await?;
        return Err(match login.ignore_unknown_usernames {
            true => command::wrong_password(),
            false => Error::new(Code::UserNotFound, "no user has this login name"),
        });
    };
    if intent.as_ref().is_some_and(|(_, u)| *u != user_id) {
        return Err(Error::new(
            Code::SessionCheckFailed,
            "the IdP intent is for another user",
        )
        .with("check", "idp_intent"));
    }
    let created = gw
        .bus
        .create_session(instance, &user_id, password_checked)
        .await?;
    if let Some((idp_id, _)) = intent {
        gw.bus
            .change_session(
                instance,
                &created.session_id,
                SessionCommand::CheckIdp { idp_id },
            )
            .await?;
    }
    let who = SessionUser {
        session_id: &created.session_id,
        user_id: &user_id,
        account: &account,
    };
    let webauthn = second_step(gw, instance, auth.client_ip, &who, &checks).await?;
    let view = get_unchecked(gw, instance, &created.session_id).await?;
    Ok(CreatedSessionView {
        session_id: created.session_id,
        session_token: created.cookie,
        factors: view.factors,
        challenges: webauthn.map(ChallengesView::of),
    })
}

/// More checks in a session (only the password so far; the user is the session's).
pub async fn set(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    mut checks: Checks,
) -> Result<LoginSessionView, Error> {
    require(gw, auth, Permission::SESSION_WRITE, instance_target(auth))?;
    let instance = &auth.instance;
    let (session, user) = gw.bus.session_with_user(instance, id).await?;
    if let Some(other) = checks.user.take() {
        let same = match other {
            UserCheck::UserId(u) => u == session.user_id,
            UserCheck::LoginName(n) => {
                normalized_username(&n) == normalized_username(&user.username)
            }
        };
        if !same {
            return Err(Error::new(
                Code::SessionCheckFailed,
                "a session's user cannot change: create a new session",
            )
            .with("check", "user"));
        }
    }
    if let Some(password) = checks.password.take() {
        let user_id = &session.user_id;
        check_password(
            gw,
            instance,
            auth.client_ip,
            &user.username,
            user_id,
            password,
        )
        .await?;
        gw.bus.session_password_checked(instance, id).await?;
    }
    if let Some(i) = checks.idp_intent.take() {
        let (idp_id, user_id) = intent_user(gw, instance, &i).await?;
        if user_id != session.user_id {
            return Err(Error::new(
                Code::SessionCheckFailed,
                "the IdP intent is for another user than the session's",
            )
            .with("check", "idp_intent"));
        }
        gw.bus
            .change_session(instance, id, SessionCommand::CheckIdp { idp_id })
            .await?;
    }
    let who = SessionUser {
        session_id: id,
        user_id: &session.user_id,
        account: &user.username,
    };
    let webauthn = second_step(gw, instance, auth.client_ip, &who, &checks).await?;
    let mut view = get_unchecked(gw, instance, id).await?;
    view.challenges = webauthn.map(ChallengesView::of);
    Ok(view)
}

/// A session and its user, as a second step needs them.
pub(crate) struct SessionUser<'a> {
    pub session_id: &'a str,
    pub user_id: &'a str,
    /// The login name, for the rate limit of the account.
    pub account: &'a str,
}

/// A session's second step: a second factor checked, login codes sent and a WebAuthn
/// challenge made for a later check (answered: the options for `navigator.credentials.get()`).
async fn second_step(
    gw: &Gateway,
    instance: &str,
    ip: Option<IpAddr>,
    who: &SessionUser<'_>,
    checks: &Checks,
) -> Result<Option<serde_json::Value>, Error> {
    match &checks.second {
        Some(SecondCheck::Code(factor, code)) => {
            check_factor(gw, instance, ip, who, *factor, code).await?
        }
        Some(SecondCheck::Key(answer)) => {
            let checked = gw
                .bus
                .check_key(instance, who.session_id, who.user_id, answer);
            limited(gw, instance, ip, who, checked).await?
        }
        None => {}
    }
    for channel in &checks.challenges.codes {
        gw.bus
            .send_login_code(instance, who.user_id, *channel)
            .await?;
    }
    match &checks.challenges.key {
        Some((factor, origin)) => {
            let (session, user) = (who.session_id, who.user_id);
            let options = gw
                .bus
                .challenge_key(instance, session, user, *factor, origin)
                .await?;
            Ok(Some(options))
        }
        None => Ok(None),
    }
}

/// A second factor's check within the rate limits of the client's address and of the
/// account, as passwords are; a wrong one counts against both.
pub(crate) async fn limited(
    gw: &Gateway,
    instance: &str,
    ip: Option<IpAddr>,
    user: &SessionUser<'_>,
    check: impl std::future::Future<Output = Result<(), Error>>,
) -> Result<(), Error> {
    let account = format!("user:{}", normalized_username(user.account));
    let who = Subject {
        ip,
        instance,
        account: Some(&account),
    };
    gw.limits.check(&who)?;
    let checked = check.await;
    if checked.as_ref().is_err_and(|e| e.code == Code::InvalidCode) {
        gw.limits.failed(&who);
    }
    checked
}

/// Checks a second factor of a session's user within the rate limits of the client's address
/// and of the account, as passwords are; a wrong code counts against both (and against the
/// lockout's `max_otp_attempts`).
pub(crate) async fn check_factor(
    gw: &Gateway,
    instance: &str,
    ip: Option<IpAddr>,
    user: &SessionUser<'_>,
    factor: Factor,
    code: &str,
) -> Result<(), Error> {
    let (session, user_id) = (user.session_id, user.user_id);
    let checked = gw
        .bus
        .check_factor(instance, session, user_id, factor, code);
    limited(gw, instance, ip, user, checked).await
}

/// A session, its user and its checks. `session.read` on the user's org.
pub async fn get(gw: &Gateway, auth: &Authenticated, id: &str) -> Result<LoginSessionView, Error> {
    let (session, user) = gw.bus.session_with_user(&auth.instance, id).await?;
    require(
        gw,
        auth,
        Permission::SESSION_READ,
        org_target(auth, &user.org),
    )?;
    view(gw, &auth.instance, id, session, user).await
}

async fn get_unchecked(gw: &Gateway, instance: &str, id: &str) -> Result<LoginSessionView, Error> {
    let (session, user) = gw.bus.session_with_user(instance, id).await?;
    view(gw, instance, id, session, user).await
}

async fn view(
    gw: &Gateway,
    instance: &str,
    id: &str,
    session: domain::oidc::Session,
    user: domain::user::User,
) -> Result<LoginSessionView, Error> {
    let lifetimes = gw.bus.session_lifetimes(instance, &session.user_id).await?;
    Ok(LoginSessionView::of(id, &session, &user, &lifetimes))
}

/// Completes an authorization request with a session whose checks are fresh enough: answers
/// where to send the browser (the client's redirect URI with the code, `state` and `iss`, or
/// for a form_post request the page that posts them).
pub async fn finalize(
    gw: &Gateway,
    auth: &Authenticated,
    auth_request: &str,
    session_id: &str,
    session_token: &str,
) -> Result<CallbackView, Error> {
    require(gw, auth, Permission::SESSION_WRITE, instance_target(auth))?;
    let done = gw
        .bus
        .finalize(&auth.instance, auth_request, session_id, session_token)
        .await?;
    Ok(CallbackView {
        callback_url: crate::oidc::form_post::callback_url(gw, &auth.instance, &done)?,
    })
}
