//! The first start (API.md "Starting it"): the default instance on `localhost` and
//! `127.0.0.1`, its org `Default`, the human `admin` and the machine `admin-bot` (both
//! IAM_OWNER), and a system user with SYSTEM_OWNER, in one durable step.
//!
//! Order of the step: the secrets are written to their files first (durably), then all events
//! are appended atomically. A crash before the append leaves an empty log, so the next start
//! redoes the whole setup with new secrets; after it, the setup is complete. A later start
//! changes nothing.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use authz::{Caller, InternalFlow};
use command::plan::Plan;
use domain::instance::{Instance, InstanceCommand};
use domain::org::{Org, OrgCommand};
use domain::unique::{unique_id, Unique, UniqueCommand};
use domain::user::{Email, NewHuman, Profile, User, UserCommand};
use domain::validate::normalized_username;
use domain::Code;
use eventlog::EventLog;

use crate::secrets;

pub const DEFAULT_DOMAINS: [&str; 2] = ["localhost", "127.0.0.1"];

/// What the first start made, for the log line.
pub struct Setup {
    pub instance_id: String,
}

fn id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn claim(
    plan: &mut Plan,
    instance: &str,
    namespace: &str,
    value: &str,
    owner: &str,
    taken: Code,
) -> domain::Result<()> {
    plan.new_aggregate::<Unique>(
        instance,
        &unique_id(namespace, value),
        vec![UniqueCommand::Claim {
            owner: owner.into(),
            taken,
        }],
    )
}

/// Runs the first-start setup if the log is empty; returns what it made, or None.
pub async fn first_start(
    log: &dyn EventLog,
    data_dir: &Path,
    admin_password: Option<String>,
) -> Result<Option<Setup>, String> {
    if *log.head().borrow() > 0 {
        return Ok(None);
    }
    let (instance_id, org_id, admin_id, bot_id, system_id) = (id(), id(), id(), id(), id());
    let password = admin_password.unwrap_or_else(secrets::new_password);
    let password_hash = secrets::hash_password(&password)?;
    let (bot_pat, bot_pat_hash) = secrets::new_token();
    let (system_pat, system_pat_hash) = secrets::new_token();

    let caller = Caller::Internal {
        flow: InternalFlow::Setup,
        instance: instance_id.clone(),
    };
    let mut plan = Plan::new(caller, now_ms());
    let domains: Vec<String> = DEFAULT_DOMAINS.iter().map(|d| d.to_string()).collect();
    let build = |plan: &mut Plan| -> domain::Result<()> {
        for d in &domains {
            claim(plan, "", "domain", d, &instance_id, Code::DomainTaken)?;
        }
        plan.new_aggregate::<Instance>(
            &instance_id,
            &instance_id,
            vec![
                InstanceCommand::Create {
                    name: "Default".into(),
                    domains: domains.clone(),
                },
                InstanceCommand::SetMember {
                    user_id: admin_id.clone(),
                    roles: vec!["IAM_OWNER".into()],
                },
                InstanceCommand::SetMember {
                    user_id: bot_id.clone(),
                    roles: vec!["IAM_OWNER".into()],
                },
                InstanceCommand::SetSystemMember {
                    user_id: system_id.clone(),
                    roles: vec!["SYSTEM_OWNER".into()],
                },
            ],
        )?;
        claim(
            plan,
            &instance_id,
            "org",
            "default",
            &org_id,
            Code::OrgNameTaken,
        )?;
        plan.new_aggregate::<Org>(
            &instance_id,
            &org_id,
            vec![OrgCommand::Create {
                name: "Default".into(),
            }],
        )?;
        for (user_id, username) in [
            (&admin_id, "admin"),
            (&bot_id, "admin-bot"),
            (&system_id, "system"),
        ] {
            claim(
                plan,
                &instance_id,
                "login",
                &normalized_username(username),
                user_id,
                Code::UsernameTaken,
            )?;
        }
        plan.new_aggregate::<User>(
            &instance_id,
            &admin_id,
            vec![UserCommand::AddHuman(NewHuman {
                org_id: org_id.clone(),
                username: "admin".into(),
                profile: Profile {
                    given_name: "Instance".into(),
                    family_name: "Admin".into(),
                    display_name: String::new(),
                    preferred_language: None,
                },
                email: Email {
                    address: "admin@localhost.localdomain".into(),
                    verified: true,
                },
                phone: None,
                password_hash: Some(password_hash.clone()),
            })],
        )?;
        for (user_id, username, name, pat_hash) in [
            (&bot_id, "admin-bot", "Admin bot", &bot_pat_hash),
            (&system_id, "system", "System owner", &system_pat_hash),
        ] {
            plan.new_aggregate::<User>(
                &instance_id,
                user_id,
                vec![
                    UserCommand::AddMachine {
                        org_id: org_id.clone(),
                        username: username.into(),
                        name: name.into(),
                        description: String::new(),
                    },
                    UserCommand::AddPat {
                        pat_id: id(),
                        token_hash: pat_hash.clone(),
                        expires_at: None,
                    },
                ],
            )?;
        }
        Ok(())
    };
    build(&mut plan).map_err(|e| format!("first-start setup is invalid: {e}"))?;

    std::fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    for (file, secret) in [
        ("admin.password", &password),
        ("admin.pat", &bot_pat),
        ("system.pat", &system_pat),
    ] {
        let path = data_dir.join(file);
        secrets::write_private(&path, secret)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    log.append_atomic(plan.appends)
        .await
        .map_err(|e| format!("first-start setup was not stored ({e}); start again to redo it"))?;
    Ok(Some(Setup { instance_id }))
}
