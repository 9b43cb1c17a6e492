//! `loadgen seed`: fills an instance quickly through the API, so every fixture is events in the
//! log: orgs, then users spread over them by many writers at once (no read-back per write),
//! then projects and their OIDC apps. It reports its progress and waits, at the end, until the
//! read models hold the last write.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{self, Load, Mode};
use crate::scenarios::{id, settle, Scenario};
use crate::target::{Auth, Target};

/// How much to create.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub orgs: usize,
    pub users: usize,
    pub projects: usize,
    pub apps: usize,
    /// Writes in flight while creating users.
    pub workers: usize,
}

/// What was created.
#[derive(Debug, Default)]
pub struct Seeded {
    pub orgs: Vec<String>,
    pub users: u64,
    pub projects: Vec<String>,
    pub apps: usize,
    /// Users created a second.
    pub user_rate: f64,
}

/// Creates what `plan` asks for under names starting with `prefix`.
pub fn seed(target: &Target, prefix: &str, plan: Plan) -> Result<Seeded, String> {
    let mut seeded = Seeded::default();
    let mut last: Option<Value> = None;
    for k in 0..plan.orgs.max(1) {
        let org = create(
            target,
            "/v1/orgs",
            json!({"name": format!("{prefix}-org{k}")}),
            None,
        )?;
        seeded.orgs.push(id(&org)?);
        last = Some(org);
    }
    // Writers create users until the count is reached; each request is one user.
    let writer = Users {
        target,
        prefix,
        orgs: &seeded.orgs,
        started: Instant::now(),
        total: plan.users as u64,
        last: Mutex::new(None),
    };
    if plan.users > 0 {
        // Orgs must be readable before users are created in them.
        if let Some(org) = &last {
            settle(target, org)?;
        }
        let report = harness::run(
            &writer,
            &Load {
                mode: Mode::Closed {
                    workers: plan.workers.max(1),
                },
                warmup: Duration::ZERO,
                duration: Duration::from_secs(24 * 3600),
                max_requests: plan.users as u64,
            },
        );
        if !report.errors.is_empty() {
            return Err(format!("creating users failed: {:?}", report.errors));
        }
        seeded.users = report.ok;
        seeded.user_rate = report.throughput;
        last = writer.last.into_inner().expect("last write").or(last);
    }
    for k in 0..plan.projects {
        let org = &seeded.orgs[k % seeded.orgs.len()];
        let project = create(
            target,
            &format!("/v1/orgs/{org}/projects"),
            json!({"name": format!("{prefix}-project{k}")}),
            None,
        )?;
        seeded.projects.push(id(&project)?);
        last = Some(project);
    }
    for k in 0..plan.apps {
        let Some(project) = seeded.projects.get(k % plan.projects.max(1)) else {
            return Err("apps need at least one project (--projects)".into());
        };
        last = Some(create(
            target,
            &format!("/v1/projects/{project}/apps/oidc"),
            json!({
                "name": format!("{prefix}-app{k}"), "redirect_uris": ["https://app.example/cb"],
                "grant_types": ["authorization_code", "refresh_token"],
                "auth_method": "client_secret_basic", "access_token_type": "jwt",
            }),
            last.as_ref().and_then(|w| w["position"].as_str()),
        )?);
        seeded.apps += 1;
    }
    if let Some(written) = &last {
        settle(target, written)?;
    }
    Ok(seeded)
}

/// Writes users, one a request, round-robin over the orgs, and shows progress.
struct Users<'a> {
    target: &'a Target,
    prefix: &'a str,
    orgs: &'a [String],
    started: Instant,
    total: u64,
    /// The latest answered write, to wait for at the end.
    last: Mutex<Option<Value>>,
}

impl Scenario for Users<'_> {
    fn name(&self) -> &'static str {
        "seed-users"
    }

    fn request(&self, i: u64) -> Result<(), String> {
        let username = format!("{}-u{i}", self.prefix);
        let org = &self.orgs[i as usize % self.orgs.len()];
        let created = create(
            self.target,
            &format!("/v1/orgs/{org}/users/human"),
            json!({
                "username": username,
                "profile": {"given_name": "Seeded", "family_name": format!("User {i}")},
                "email": {"address": format!("{username}@example.com")},
            }),
            None,
        )?;
        let done = i + 1;
        if done.is_multiple_of(10_000) || done == self.total {
            let seconds = self.started.elapsed().as_secs_f64();
            eprintln!(
                "loadgen seed: {done}/{} users ({:.0}/s)",
                self.total,
                done as f64 / seconds
            );
        }
        *self.last.lock().expect("last write") = Some(created);
        Ok(())
    }
}

fn create(target: &Target, path: &str, body: Value, after: Option<&str>) -> Result<Value, String> {
    target
        .json("POST", path, Some(&body), Auth::Pat, after)?
        .expect(201)
}
