//! The first start (API.md "Starting it"): the default instance on `localhost` and
//! `127.0.0.1`, its org `Default`, the human `admin` and the machine `admin-bot` (both
//! IAM_OWNER), and a system user with SYSTEM_OWNER, in one durable step.
//!
//! Order of the step: the secrets are written to their files first (durably), then all events
//! are appended atomically. A crash before the append leaves an empty log, so the next start
//! redoes the whole setup with new secrets; after it, the setup is complete. A later start
//! changes nothing.
//!
//! In a cluster the gateways do it, through the partitions' owners, with ids derived from the
//! master key: every gateway makes the same plan. The setup's marker (a claim of
//! `setup/first-start`) lives in the instance's partition (the instance id is drawn until it
//! does), and that partition's share is appended last and atomically: the setup is done
//! exactly when the marker exists. The other shares (domain claims, the org, the users) go
//! first; a share found written (by a gateway starting at the same time, or by a start that
//! died midway) is taken as written, so concurrent and repeated first starts converge.

use std::time::{SystemTime, UNIX_EPOCH};

use authz::{Caller, InternalFlow};
use command::plan::Plan;
use command::setup::{NewAdmin, NewBot, NewInstance};
use command::CommandBus;
use crypto::secrets;
use domain::unique::{unique_id, Unique};
use domain::{Aggregate, AggregateKey, Code};
use eventlog::position::partition_for;

use crate::config::StartOptions;
use crate::private_file::write_private;

pub const DEFAULT_DOMAINS: [&str; 2] = ["localhost", "127.0.0.1"];

/// What the first start made, for the log line.
pub struct Setup {
    pub instance_id: String,
    /// Where the setup's events are in the log (a read model has the setup once there): a
    /// cluster's gateways wait for it.
    #[cfg_attr(not(feature = "cluster"), allow(dead_code))]
    pub positions: eventlog::position::Positions,
}

/// Where the first start's ids come from (`Derived` only in a cluster).
#[cfg_attr(not(feature = "cluster"), allow(dead_code))]
pub enum Ids<'a> {
    /// New ids: one process makes the setup in one atomic append.
    Fresh,
    /// Ids derived from the cluster's master key, the same on every gateway: gateways starting
    /// at once, or one starting again after a crash midway, make the same plan, and a share
    /// of it already written is taken as written.
    Derived(&'a crypto::sealing::MasterKey),
}

impl Ids<'_> {
    fn id(&self, label: &str) -> String {
        match self {
            Ids::Fresh => uuid::Uuid::now_v7().to_string(),
            Ids::Derived(key) => {
                let bytes = key.derive_bytes(&format!("portcullis first start {label}"));
                let mut id = [0u8; 16];
                id.copy_from_slice(&bytes[..16]);
                uuid::Uuid::from_bytes(id).to_string()
            }
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

const MARKER: (&str, &str) = ("setup", "first-start");

/// A token the operator chose (and its hash), or a new one.
fn chosen_token(flag: &str, chosen: Option<&str>) -> Result<(String, String), String> {
    match chosen {
        None => Ok(secrets::new_token()),
        Some(t)
            if t.len() >= 32
                && t
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Ok((t.to_string(), secrets::token_hash(t)))
        }
        Some(_) => Err(format!(
            "{flag} must be at least 32 characters of A-Z a-z 0-9 - _ (e.g. `openssl rand -base64 32 | tr +/ -_ | tr -d =`)"
        )),
    }
}

fn marker_id() -> String {
    unique_id(MARKER.0, MARKER.1)
}

/// Whether a first start has completed (a cluster's gateways ask this; the embedded start
/// asks whether the log is empty).
#[cfg(feature = "cluster")]
pub async fn done(bus: &CommandBus) -> Result<bool, String> {
    let key = AggregateKey {
        instance: String::new(),
        kind: Unique::KIND,
        id: marker_id(),
    };
    let (marker, _) = bus
        .state::<Unique>(&key)
        .await
        .map_err(|e| format!("cannot tell whether the first start was made: {e}"))?;
    Ok(marker.exists())
}

/// Moves the system users that an earlier release kept in the default instance into the
/// system scope (by events; idempotent). A failure is logged and the move is tried again at the
/// next start: until then the system user works where it is.
pub async fn move_system_principals(bus: &CommandBus) {
    let key = AggregateKey {
        instance: String::new(),
        kind: Unique::KIND,
        id: marker_id(),
    };
    let moved = match bus.state::<Unique>(&key).await {
        Ok((marker, _)) => match marker.owner {
            Some(instance) => bus.move_system_principals(&instance, now_ms()).await,
            None => Ok(0),
        },
        Err(e) => Err(e),
    };
    match moved {
        Ok(0) => {}
        Ok(n) => tracing::info!(users = n, "system users moved into the system scope"),
        Err(e) => tracing::warn!(
            error = %e,
            "the system users were not all moved into the system scope yet; the next start goes on"
        ),
    }
}

/// Runs the first-start setup unless it was `done`; returns what it made, or None.
pub async fn first_start(
    bus: &CommandBus,
    done: bool,
    ids: Ids<'_>,
    opts: &StartOptions,
) -> Result<Option<Setup>, String> {
    let data_dir = opts.data_dir.as_path();
    if done {
        return Ok(None);
    }
    let partitions = bus.partitions();
    let home = partition_for(&marker_id(), partitions);
    let instance_id = (0u64..)
        .map(|n| ids.id(&format!("instance {n}")))
        .find(|i| partition_for(i, partitions) == home)
        .expect("ids without end");
    let password = opts
        .admin_password
        .clone()
        .unwrap_or_else(secrets::new_password);
    let password_hash =
        secrets::hash_password(&password, opts.password_params()).map_err(|e| e.to_string())?;
    let (bot_pat, bot_pat_hash) = chosen_token("--admin-pat", opts.admin_pat.as_deref())?;
    let (system_pat, system_pat_hash) = chosen_token("--system-pat", opts.system_pat.as_deref())?;
    let setup = NewInstance {
        instance_id: instance_id.clone(),
        name: "Default".into(),
        domains: DEFAULT_DOMAINS.iter().map(|d| d.to_string()).collect(),
        org_id: ids.id("org"),
        admin: Some(NewAdmin {
            user_id: ids.id("admin"),
            username: "admin".into(),
            password_hash,
        }),
        bot: NewBot {
            user_id: ids.id("admin-bot"),
            username: "admin-bot".into(),
            name: "Admin bot".into(),
            pat_id: ids.id("admin-bot pat"),
            pat_hash: bot_pat_hash,
        },
        system_user: Some(NewBot {
            user_id: ids.id("system"),
            username: "system".into(),
            name: "System owner".into(),
            pat_id: ids.id("system pat"),
            pat_hash: system_pat_hash,
        }),
    };
    let caller = Caller::Internal {
        flow: InternalFlow::Setup,
        instance: instance_id.clone(),
    };
    let mut plan = Plan::new(caller, now_ms());
    // The instance first: the plan's first aggregate's partition is appended last.
    let build = |plan: &mut Plan| -> domain::Result<()> {
        setup.add_to(plan)?;
        for d in &setup.domains {
            plan.claim("", "domain", d, &instance_id, Code::DomainTaken)?;
        }
        plan.claim("", MARKER.0, MARKER.1, &instance_id, Code::DomainTaken)
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
    let may_exist = matches!(ids, Ids::Derived(_));
    let done = bus
        .append_plan(plan.appends, may_exist, None)
        .await
        .map_err(|e| format!("first-start setup was not stored ({e}); start again to redo it"))?;
    if done.found > 0 {
        tracing::info!(
            shares = done.found,
            "parts of the first start were made already (another gateway, or an earlier start)"
        );
        // Generated secrets of this start are not the cluster's if another start wrote
        // those parts: keep no file that could mislead.
        for (file, chosen) in [
            ("admin.password", opts.admin_password.is_some()),
            ("admin.pat", opts.admin_pat.is_some()),
            ("system.pat", opts.system_pat.is_some()),
        ] {
            if !chosen {
                let _ = std::fs::remove_file(data_dir.join(file));
                tracing::warn!(%file, "not kept: another start made the setup with its own; set the first start's secrets in the configuration so that every gateway has them");
            }
        }
    }
    Ok(Some(Setup {
        instance_id,
        positions: done.written.position,
    }))
}
