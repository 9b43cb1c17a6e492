//! The first start (API.md "Starting it"): the default instance on `localhost` and
//! `127.0.0.1`, its org `Default`, the human `admin` and the machine `admin-bot` (both
//! IAM_OWNER), and a system user with SYSTEM_OWNER, in one durable step.
//!
//! Order of the step: the secrets are written to their files first (durably), then all events
//! are appended atomically. A crash before the append leaves an empty log, so the next start
//! redoes the whole setup with new secrets; after it, the setup is complete. A later start
//! changes nothing.

use std::time::{SystemTime, UNIX_EPOCH};

use authz::{Caller, InternalFlow};
use command::plan::Plan;
use command::secrets;
use command::setup::{NewAdmin, NewBot, NewInstance};
use domain::Code;
use eventlog::EventLog;

use crate::config::StartOptions;
use crate::private_file::write_private;

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

/// Runs the first-start setup if the log is empty; returns what it made, or None.
pub async fn first_start(log: &dyn EventLog, opts: &StartOptions) -> Result<Option<Setup>, String> {
    let data_dir = opts.data_dir.as_path();
    if *log.head().borrow() > 0 {
        return Ok(None);
    }
    let instance_id = id();
    let password = opts
        .admin_password
        .clone()
        .unwrap_or_else(secrets::new_password);
    let password_hash =
        secrets::hash_password(&password, opts.password_params()).map_err(|e| e.to_string())?;
    let (bot_pat, bot_pat_hash) = secrets::new_token();
    let (system_pat, system_pat_hash) = secrets::new_token();
    let setup = NewInstance {
        instance_id: instance_id.clone(),
        name: "Default".into(),
        domains: DEFAULT_DOMAINS.iter().map(|d| d.to_string()).collect(),
        org_id: id(),
        admin: Some(NewAdmin {
            user_id: id(),
            username: "admin".into(),
            password_hash,
        }),
        bot: NewBot {
            user_id: id(),
            username: "admin-bot".into(),
            name: "Admin bot".into(),
            pat_id: id(),
            pat_hash: bot_pat_hash,
        },
        system_user: Some(NewBot {
            user_id: id(),
            username: "system".into(),
            name: "System owner".into(),
            pat_id: id(),
            pat_hash: system_pat_hash,
        }),
    };
    let caller = Caller::Internal {
        flow: InternalFlow::Setup,
        instance: instance_id.clone(),
    };
    let mut plan = Plan::new(caller, now_ms());
    let build = |plan: &mut Plan| -> domain::Result<()> {
        for d in &setup.domains {
            plan.claim("", "domain", d, &instance_id, Code::DomainTaken)?;
        }
        setup.add_to(plan)
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
        write_private(&path, secret)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    log.append_atomic(plan.appends)
        .await
        .map_err(|e| format!("first-start setup was not stored ({e}); start again to redo it"))?;
    Ok(Some(Setup { instance_id }))
}
