//! Second factors: setting them up and removing them (the user themself, or a manager with
//! `user.write` who holds what the user holds), and checking them at a login. The secrets are
//! made and read here (a TOTP secret sealed with the master key, login and recovery codes
//! hashed); the user's actor decides, so a TOTP step, a login code and a recovery code are
//! each good once, and wrong codes count against the lockout's `max_otp_attempts`.

use authz::Caller;
use crypto::sealing::Purpose;
use crypto::secrets::{code_hash, new_code};
use crypto::totp;
use domain::instance::Instance;
use domain::oidc::SessionCommand;
use domain::settings::LoginSettings;
use domain::user::{
    otp_factor, wrong_code, Channel, Factor, FactorProof, User, UserChange, UserCommand,
    RECOVERY_CODES,
};
use domain::{Aggregate, Code, Error};

use crate::actor::now_ms;
use crate::bus::CommandBus;
use crate::codes::{seal, unseal, CodeRequest, Delivery};
use crate::oidc::login_flow;
use crate::sagas::key;
use crate::Written;

/// An authenticator app's key: its secret in base 32 and the `otpauth://` URI apps scan.
pub struct TotpKey {
    pub secret: String,
    pub uri: String,
}

/// A new authenticator app, waiting for its first code.
pub struct NewTotp {
    pub written: Written,
    pub key: TotpKey,
}

/// The factors of a user a login may ask for under the login settings in force.
pub fn usable_factors(user: &User, login: &LoginSettings) -> Vec<Factor> {
    user.factors
        .usable()
        .into_iter()
        .filter(|f| login.allows(*f))
        .collect()
}

/// Recovery codes as they are shown: three groups of four of the code alphabet.
fn recovery_code() -> (String, String) {
    let (a, _) = new_code();
    let (b, _) = new_code();
    let plain = format!("{}{}", a, &b[..4]);
    let shown = format!("{}-{}-{}", &plain[..4], &plain[4..8], &plain[8..]);
    let hash = code_hash(&shown);
    (shown, hash)
}

impl CommandBus {
    /// Refuses a factor the login settings of the user's org do not allow (`MFA-0003`).
    async fn factor_allowed(
        &self,
        instance: &str,
        user: &User,
        factor: Factor,
    ) -> Result<(), Error> {
        if self.login_settings(instance, user).await?.allows(factor) {
            return Ok(());
        }
        Err(Error::new(
            Code::FactorNotAllowed,
            format!(
                "the login settings do not allow {} as a second factor",
                factor.name()
            ),
        )
        .with("factor", factor.name()))
    }

    /// Starts setting up an authenticator app: a new secret, sealed in the user's events; the
    /// app is a factor once its first code is verified.
    pub async fn add_totp(
        &self,
        caller: &Caller,
        instance: &str,
        user_id: &str,
    ) -> Result<NewTotp, Error> {
        let user = self.user(instance, user_id).await?;
        self.factor_allowed(instance, &user, Factor::Totp).await?;
        let secret = totp::new_secret();
        let sealed_secret = seal(self.master_key()?, Purpose::TotpSecret, instance, &secret);
        let written = self
            .change_user(
                caller,
                instance,
                user_id,
                UserChange::AddTotp { sealed_secret },
                None,
            )
            .await?;
        let key = self.totp_key(instance, &user, secret).await?;
        Ok(NewTotp { written, key })
    }

    /// The key of a user's app, labelled with the instance's name and the username.
    async fn totp_key(
        &self,
        instance: &str,
        user: &User,
        secret: String,
    ) -> Result<TotpKey, Error> {
        let (issuer, _) = self
            .state::<Instance>(&key(instance, Instance::KIND, instance))
            .await?;
        let uri = totp::uri(&issuer.name, &user.username, &secret);
        Ok(TotpKey { secret, uri })
    }

    /// Refuses a login's set-up for a user who has a usable factor (`MFA-0002`): a password
    /// alone never adds a factor to an account that has one.
    async fn no_factor_yet(&self, instance: &str, user: &User) -> Result<(), Error> {
        let login = self.login_settings(instance, user).await?;
        if usable_factors(user, &login).is_empty() {
            return Ok(());
        }
        Err(Error::new(
            Code::FactorExists,
            "the user has a second factor: log in with it",
        ))
    }

    /// The step a TOTP code is the code of, for the user's app (set up or pending), if any.
    fn totp_step(&self, instance: &str, user: &User, code: &str) -> Result<Option<u64>, Error> {
        let Some(t) = &user.factors.totp else {
            return Ok(None);
        };
        let secret = unseal(
            self.master_key()?,
            Purpose::TotpSecret,
            instance,
            &t.sealed_secret,
        )?;
        Ok(totp::matching_step(&secret, code, now_ms()))
    }

    /// Verifies a new authenticator app with its first code.
    pub async fn verify_totp(
        &self,
        caller: &Caller,
        instance: &str,
        user_id: &str,
        code: &str,
    ) -> Result<Written, Error> {
        let user = self.user(instance, user_id).await?;
        let step = self.totp_step(instance, &user, code)?;
        self.change_user(
            caller,
            instance,
            user_id,
            UserChange::VerifyTotp { step },
            None,
        )
        .await
    }

    /// Turns login codes by email or SMS on, where the login settings allow them.
    pub async fn add_otp(
        &self,
        caller: &Caller,
        instance: &str,
        user_id: &str,
        channel: Channel,
    ) -> Result<Written, Error> {
        let user = self.user(instance, user_id).await?;
        self.factor_allowed(instance, &user, otp_factor(channel))
            .await?;
        self.change_user(
            caller,
            instance,
            user_id,
            UserChange::AddOtp { channel },
            None,
        )
        .await
    }

    /// Ten new recovery codes, replacing the old: shown once, kept only as hashes.
    pub async fn new_recovery_codes(
        &self,
        caller: &Caller,
        instance: &str,
        user_id: &str,
    ) -> Result<(Written, Vec<String>), Error> {
        let (codes, code_hashes): (Vec<String>, Vec<String>) =
            (0..RECOVERY_CODES).map(|_| recovery_code()).unzip();
        let change = UserChange::SetRecoveryCodes { code_hashes };
        let written = self
            .change_user(caller, instance, user_id, change, None)
            .await?;
        Ok((written, codes))
    }

    /// Sends a login code by email or SMS to the user of a session (through the outbox; the
    /// message has no link: the code is typed where the login waits).
    pub async fn send_login_code(
        &self,
        instance: &str,
        user_id: &str,
        channel: Channel,
    ) -> Result<(), Error> {
        let request = CodeRequest {
            kind: domain::user::otp_kind(channel),
            delivery: match channel {
                Channel::Email => Delivery::Email,
                Channel::Sms => Delivery::Sms,
            },
            base_url: String::new(),
        };
        self.add_code(&login_flow(instance), instance, user_id, request)
            .await?;
        Ok(())
    }

    /// Checks a second factor of the user of a session and records it in the session. Any
    /// failure (a wrong, used or replayed code, a factor the user does not have or the
    /// settings do not allow, a lockout) is `USER-0017`, and a wrong code counts against the
    /// lockout's `max_otp_attempts`.
    pub async fn check_factor(
        &self,
        instance: &str,
        session_id: &str,
        user_id: &str,
        factor: Factor,
        code: &str,
    ) -> Result<(), Error> {
        let user = self.user(instance, user_id).await?;
        let login = self.login_settings(instance, &user).await?;
        let proof = match factor {
            _ if !usable_factors(&user, &login).contains(&factor) => None,
            Factor::Totp => self
                .totp_step(instance, &user, code)?
                .map(|step| FactorProof::Totp { step }),
            Factor::OtpEmail | Factor::OtpSms => factor.channel().map(|channel| FactorProof::Otp {
                channel,
                code_hash: code_hash(code),
            }),
            Factor::RecoveryCode => Some(FactorProof::RecoveryCode {
                code_hash: code_hash(code),
            }),
            // A key signs a challenge: see `check_key`.
            Factor::U2f | Factor::Passkey => None,
        };
        self.record_factor(instance, session_id, &user, user_id, Some(factor), proof)
            .await
    }

    /// The authenticator app a login sets up for a user who has no usable second factor while
    /// one is required: the one waiting for its first code, else a new one.
    pub async fn totp_at_login(&self, instance: &str, user_id: &str) -> Result<TotpKey, Error> {
        let user = self.user(instance, user_id).await?;
        self.no_factor_yet(instance, &user).await?;
        match &user.factors.totp {
            Some(t) if !t.verified => {
                let secret = unseal(
                    self.master_key()?,
                    Purpose::TotpSecret,
                    instance,
                    &t.sealed_secret,
                )?;
                self.totp_key(instance, &user, secret).await
            }
            _ => Ok(self
                .add_totp(&login_flow(instance), instance, user_id)
                .await?
                .key),
        }
    }

    /// Verifies the authenticator app a login set up with its first code, and records the
    /// check in the login's session (`USER-0017` for a wrong code).
    pub async fn verify_totp_at_login(
        &self,
        instance: &str,
        session_id: &str,
        user_id: &str,
        code: &str,
    ) -> Result<(), Error> {
        let user = self.user(instance, user_id).await?;
        self.no_factor_yet(instance, &user).await?;
        self.verify_totp(&login_flow(instance), instance, user_id, code)
            .await?;
        let factor = Factor::Totp;
        self.change_session(instance, session_id, SessionCommand::CheckFactor { factor })
            .await
    }

    /// Records a second factor's outcome: right (the user's actor agrees: a key's counter
    /// moved on) and in the session, or wrong and counted against the lockout.
    pub(crate) async fn record_factor(
        &self,
        instance: &str,
        session_id: &str,
        user: &User,
        user_id: &str,
        factor: Option<Factor>,
        proof: Option<FactorProof>,
    ) -> Result<(), Error> {
        let (Some(factor), Some(proof)) = (factor, proof) else {
            return self.judge_factor(instance, user, user_id, None).await;
        };
        self.judge_factor(instance, user, user_id, Some(proof))
            .await?;
        self.change_session(instance, session_id, SessionCommand::CheckFactor { factor })
            .await
    }

    /// Puts a second factor's proof (`None`: none verified) to the user's actor: right, or
    /// wrong (`USER-0017`) and counted against the lockout's `max_otp_attempts`.
    pub(crate) async fn judge_factor(
        &self,
        instance: &str,
        user: &User,
        user_id: &str,
        proof: Option<FactorProof>,
    ) -> Result<(), Error> {
        let k = key(instance, User::KIND, user_id);
        let flow = login_flow(instance);
        let at = now_ms();
        let right = match proof {
            Some(proof) => {
                let change = UserChange::FactorRight { proof, at };
                self.execute::<User>(&k, &flow, UserCommand::Change(change), None)
                    .await
            }
            None => Err(wrong_code()),
        };
        match right {
            Ok(_) => Ok(()),
            Err(e) if e.code == Code::InvalidCode => {
                let lockout = self.lockout_settings(instance, user).await?;
                let change = UserChange::FactorWrong { lockout, at };
                self.execute::<User>(&k, &flow, UserCommand::Change(change), None)
                    .await?;
                Err(wrong_code())
            }
            Err(e) => Err(e),
        }
    }
}

/// Whether a login code sent by `channel` to the user waits, fresh, at `now`: a page opened
/// again does not send another.
pub fn login_code_waits(user: &User, channel: Channel, now: i64) -> bool {
    user.codes
        .get(&domain::user::otp_kind(channel))
        .is_some_and(|c| c.expires_at > now)
}
