//! The system API's instance sagas: a new instance claims its domains (unique across the
//! system) through their actors, then appends the whole instance in one atomic step, and
//! releases the claims if that fails. Removing an instance frees its domains.

use authz::Caller;
use domain::instance::{domains, Instance, InstanceCommand};
use domain::unique::{unique_id, Unique};
use domain::{authorize, validate, Aggregate, AggregateKey, Code, Error};

use crate::actor::{now_ms, Written};
use crate::bus::CommandBus;
use crate::outcomes::{open, ATTEMPTS, PAUSE};
use crate::plan::Plan;
use crate::setup::{NewAdmin, NewBot, NewInstance};
use crypto::secrets::new_token;
use eventlog::position::Positions;

/// `POST /v1/system/instances`.
pub struct CreateInstance {
    pub name: String,
    pub domains: Vec<String>,
    pub admin_username: String,
    /// With a password the human admin is created too; the machine admin always is.
    pub admin_password: Option<String>,
}

pub struct CreatedInstance {
    pub written: Written,
    pub instance_id: String,
    /// The human admin if one was made, else the machine admin.
    pub admin_user_id: String,
    pub bot_user_id: String,
    /// The machine admin's personal access token (shown once).
    pub admin_pat: String,
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn domain_claim(domain: &str) -> AggregateKey {
    AggregateKey {
        instance: String::new(),
        kind: Unique::KIND,
        id: unique_id("domain", domain),
    }
}

fn instance_key(id: &str) -> AggregateKey {
    AggregateKey {
        instance: id.into(),
        kind: Instance::KIND,
        id: id.into(),
    }
}

impl CommandBus {
    /// Appends a new instance's plan before `not_after` (the act window of its domain
    /// claims). A plan whose outcome is open is sent again with the same deadline (the shares
    /// already written are found, not written twice); after an open outcome only "done" is
    /// certain (an earlier send may still land before its deadline), so the outcome is read
    /// off the instance, and an instance not found then is `SYS-0003`: its claims stay, and
    /// are taken over once stale if it never came to be.
    async fn append_settled(
        &self,
        instance: &AggregateKey,
        appends: Vec<eventlog::Append>,
        not_after: i64,
    ) -> Result<Written, Error> {
        let mut answer = self
            .append_plan(appends.clone(), false, Some(not_after))
            .await;
        let mut was_open = false;
        let mut pause = PAUSE;
        for _ in 2..=ATTEMPTS {
            match &answer {
                Err(e) if open(e) => {
                    was_open = true;
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                    answer = self
                        .append_plan(appends.clone(), true, Some(not_after))
                        .await;
                }
                _ => break,
            }
        }
        match answer {
            Ok(w) if w.found == 0 => return Ok(w.written),
            Err(e) if !(open(&e) || was_open) => return Err(e),
            Ok(_) | Err(_) => {}
        }
        match self.settle::<Instance>(instance).await {
            Some((state, version, position)) if state.exists() => Ok(Written {
                sequence: version,
                position: Positions::at(position),
            }),
            _ => Err(Error::new(
                Code::StorageUnavailable,
                "the instance was sent again after an outage and whether it was made is not known yet: read it back",
            )),
        }
    }

    pub async fn create_instance(
        &self,
        caller: &Caller,
        req: CreateInstance,
    ) -> Result<CreatedInstance, Error> {
        let instance_id = new_id();
        let key = instance_key(&instance_id);
        let create = InstanceCommand::Create {
            name: req.name.clone(),
            domains: req.domains.clone(),
        };
        authorize(
            &self.deps.authz,
            caller,
            Instance::default().access(&key, &create),
        )?;
        let domains = domains(&req.domains)?;
        validate::name(&req.name, Code::InvalidInstanceName, "name")?;
        let username = validate::username(&req.admin_username)?;
        let bot_username = validate::username(&format!("{username}-bot"))?;
        let password_hash = match req.admin_password {
            Some(p) => Some(self.passwords.hash(validate::password(&p)?).await?),
            None => None,
        };
        let (admin_pat, pat_hash) = new_token();
        let setup = NewInstance {
            instance_id: instance_id.clone(),
            name: req.name,
            domains: domains.clone(),
            org_id: new_id(),
            admin: password_hash.map(|password_hash| NewAdmin {
                user_id: new_id(),
                username,
                password_hash,
            }),
            bot: NewBot {
                user_id: new_id(),
                username: bot_username,
                name: "Instance admin bot".into(),
                pat_id: new_id(),
                pat_hash,
            },
            system_user: None,
        };
        let mut plan = Plan::new(caller.clone(), now_ms());
        setup.add_to(&mut plan)?;

        // The plan's deadline counts from before the claims (see `act_window_ms`).
        let not_after = now_ms() + self.act_window_ms();
        let mut claimed = Vec::new();
        for d in &domains {
            let claim = domain_claim(d);
            match self
                .claim(&claim, &instance_id, Code::DomainTaken, caller)
                .await
            {
                Ok(()) => claimed.push(claim),
                Err(e) => {
                    self.release_all(&claimed, &instance_id, caller).await;
                    return Err(e.with("domain", d.as_str()));
                }
            }
        }
        let written = match self.append_settled(&key, plan.appends, not_after).await {
            Ok(w) => w,
            Err(e) if open(&e) => return Err(e),
            Err(e) => {
                self.release_all(&claimed, &instance_id, caller).await;
                return Err(e);
            }
        };
        Ok(CreatedInstance {
            written,
            admin_user_id: setup
                .admin
                .as_ref()
                .map_or(setup.bot.user_id.clone(), |a| a.user_id.clone()),
            bot_user_id: setup.bot.user_id,
            instance_id,
            admin_pat,
        })
    }

    /// Removes an instance (`system.instance.delete`) and frees its domains.
    pub async fn remove_instance(&self, caller: &Caller, id: &str) -> Result<Written, Error> {
        let key = instance_key(id);
        let (state, _) = self.state::<Instance>(&key).await?;
        let written = self
            .execute::<Instance>(&key, caller, InstanceCommand::Remove, None)
            .await?;
        let claims: Vec<_> = state.domains.iter().map(|d| domain_claim(d)).collect();
        self.release_all(&claims, id, caller).await;
        Ok(written)
    }
}
