//! A new instance as one plan: the instance with its domains, its first org `Default`, the
//! admin human (when a password is given), the admin machine user with its token, both
//! IAM_OWNER, and on the first start the system user (in the system scope, outside every
//! instance). The first start and the system API
//! (`POST /v1/system/instances`) build it the same way.

use domain::instance::{Instance, InstanceCommand, SYSTEM_ORG, SYSTEM_SCOPE};
use domain::members::MemberCommand;
use domain::org::{Org, OrgCommand};
use domain::unique::{unique_id, Unique, UniqueCommand};
use domain::user::{Email, NewHuman, Profile, User, UserCommand};
use domain::validate::normalized_username;
use domain::Code;

use crate::plan::Plan;

/// A human admin: its id, login name and argon2id password hash.
pub struct NewAdmin {
    pub user_id: String,
    pub username: String,
    pub password_hash: String,
}

/// A machine user with one personal access token (only its hash).
pub struct NewBot {
    pub user_id: String,
    pub username: String,
    pub name: String,
    pub pat_id: String,
    pub pat_hash: String,
}

pub struct NewInstance {
    pub instance_id: String,
    pub name: String,
    pub domains: Vec<String>,
    pub org_id: String,
    pub admin: Option<NewAdmin>,
    pub bot: NewBot,
    /// The system user (SYSTEM_OWNER), in the system scope: the first start only.
    pub system_user: Option<NewBot>,
}

impl Plan {
    /// Claims a unique value for `owner` (a new claim stream).
    pub fn claim(
        &mut self,
        instance: &str,
        namespace: &str,
        value: &str,
        owner: &str,
        taken: Code,
    ) -> domain::Result<()> {
        self.new_aggregate::<Unique>(
            instance,
            &unique_id(namespace, value),
            vec![UniqueCommand::Claim {
                owner: owner.into(),
                taken,
            }],
        )
    }
}

/// An email for the generated admin: at the instance's first domain.
fn admin_email(username: &str, domains: &[String]) -> String {
    let domain = domains.first().map_or("localhost", String::as_str);
    if domain.contains('.') && domain.parse::<std::net::Ipv4Addr>().is_err() {
        format!("{username}@{domain}")
    } else {
        format!("{username}@{domain}.localdomain")
    }
}

impl NewInstance {
    /// Adds the instance's aggregates to `plan`. Domain claims are not part of it: the caller
    /// claims them (through the actors, or in the plan on the first start).
    pub fn add_to(&self, plan: &mut Plan) -> domain::Result<()> {
        let i = &self.instance_id;
        let mut instance_cmds = vec![InstanceCommand::Create {
            name: self.name.clone(),
            domains: self.domains.clone(),
        }];
        let owners = self
            .admin
            .iter()
            .map(|a| &a.user_id)
            .chain([&self.bot.user_id]);
        for user_id in owners {
            instance_cmds.push(InstanceCommand::Member(MemberCommand::Set {
                user_id: user_id.clone(),
                roles: vec!["IAM_OWNER".into()],
            }));
        }
        plan.new_aggregate::<Instance>(i, i, instance_cmds)?;
        plan.claim(i, "org", "default", &self.org_id, Code::OrgNameTaken)?;
        plan.new_aggregate::<Org>(
            i,
            &self.org_id,
            vec![OrgCommand::Create {
                name: "Default".into(),
            }],
        )?;
        if let Some(admin) = &self.admin {
            plan.claim(
                i,
                "login",
                &normalized_username(&admin.username),
                &admin.user_id,
                Code::UsernameTaken,
            )?;
            plan.new_aggregate::<User>(
                i,
                &admin.user_id,
                vec![UserCommand::AddHuman(NewHuman {
                    org_id: self.org_id.clone(),
                    username: admin.username.clone(),
                    profile: Profile {
                        given_name: "Instance".into(),
                        family_name: "Admin".into(),
                        display_name: String::new(),
                        preferred_language: None,
                    },
                    email: Email {
                        address: admin_email(&admin.username, &self.domains),
                        verified: true,
                    },
                    phone: None,
                    password_hash: Some(admin.password_hash.clone()),
                    password_change_required: false,
                    then: vec![],
                })],
            )?;
        }
        self.bot.add_to(plan, i, &self.org_id)?;
        if let Some(system) = &self.system_user {
            // The system user lives in the system scope, outside every instance.
            system.add_to(plan, SYSTEM_SCOPE, SYSTEM_ORG)?;
            plan.new_aggregate::<Instance>(
                SYSTEM_SCOPE,
                SYSTEM_SCOPE,
                vec![InstanceCommand::SetSystemMember {
                    user_id: system.user_id.clone(),
                    roles: vec!["SYSTEM_OWNER".into()],
                }],
            )?;
        }
        Ok(())
    }
}

impl NewBot {
    /// Adds the machine user with its token to `plan`, in `org` of `instance`.
    fn add_to(&self, plan: &mut Plan, instance: &str, org: &str) -> domain::Result<()> {
        plan.claim(
            instance,
            "login",
            &normalized_username(&self.username),
            &self.user_id,
            Code::UsernameTaken,
        )?;
        plan.new_aggregate::<User>(
            instance,
            &self.user_id,
            vec![
                UserCommand::AddMachine {
                    org_id: org.to_string(),
                    username: self.username.clone(),
                    name: self.name.clone(),
                    description: String::new(),
                },
                UserCommand::AddPat {
                    pat_id: self.pat_id.clone(),
                    token_hash: self.pat_hash.clone(),
                    expires_at: None,
                },
            ],
        )
    }
}
