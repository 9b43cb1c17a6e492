//! Scenarios 5 and 6: durable writes read back at their position, and permission-filtered lists.

use serde_json::{json, Value};

use super::{id, org, run_prefix, settle, Scenario};
use crate::seed;
use crate::target::{Auth, Target};

/// Scenario 5: durable writes: a human user is created, then read back at the write's position.
pub struct CreateUser {
    target: Target,
    org: String,
    prefix: String,
}

impl CreateUser {
    pub fn setup(target: &Target) -> Result<Self, String> {
        let prefix = run_prefix();
        let org = org(target, &format!("{prefix}-users"))?;
        Ok(CreateUser {
            target: target.clone(),
            org,
            prefix,
        })
    }
}

impl Scenario for CreateUser {
    fn name(&self) -> &'static str {
        "create-user"
    }

    fn request(&self, i: u64) -> Result<(), String> {
        let username = format!("{}-u{i}", self.prefix);
        let created = self
            .target
            .json(
                "POST",
                &format!("/v1/orgs/{}/users/human", self.org),
                Some(&json!({
                    "username": username,
                    "profile": {"given_name": "Load", "family_name": "Test"},
                    "email": {"address": format!("{username}@example.com")},
                })),
                Auth::Pat,
                None,
            )?
            .expect(201)?;
        let read = self
            .target
            .json(
                "GET",
                &format!("/v1/users/{}", id(&created)?),
                None,
                Auth::Pat,
                created["position"].as_str(),
            )?
            .expect(200)?;
        if read["username"] == username.as_str() {
            Ok(())
        } else {
            Err("read back another user".into())
        }
    }
}

/// Scenario 6, paged lists filtered by permission: an org's user manager lists the users of
/// its org, on an instance where as many users again are in another org it may not read.
pub struct ListUsers {
    target: Target,
    org: String,
    manager_token: String,
    /// The users of the manager's first page, for reads of one user.
    ids: Vec<String>,
}

impl ListUsers {
    pub fn setup(target: &Target, users: usize) -> Result<Self, String> {
        let prefix = run_prefix();
        // Half of the users in the manager's org, half in another.
        let seeded = seed::seed(
            target,
            &prefix,
            seed::Plan {
                orgs: 2,
                users,
                projects: 0,
                apps: 0,
                workers: 32,
            },
        )?;
        let ours = seeded.orgs[0].clone();
        let manager = target
            .json(
                "POST",
                &format!("/v1/orgs/{ours}/users/machine"),
                Some(&json!({"username": format!("{prefix}-manager"), "name": "manager"})),
                Auth::Pat,
                None,
            )?
            .expect(201)?;
        let position = manager["position"].as_str();
        let manager = id(&manager)?;
        target
            .json(
                "POST",
                &format!("/v1/orgs/{ours}/members"),
                Some(&json!({"user_id": manager, "roles": ["ORG_USER_MANAGER"]})),
                Auth::Pat,
                position,
            )?
            .expect(201)?;
        let pat = target
            .json(
                "POST",
                &format!("/v1/users/{manager}/pats"),
                Some(&json!({})),
                Auth::Pat,
                position,
            )?
            .expect(201)?;
        settle(target, &pat)?;
        let mut listed = ListUsers {
            target: target.clone(),
            org: ours,
            manager_token: pat["token"].as_str().unwrap_or_default().to_string(),
            ids: Vec::new(),
        };
        listed.ids = listed
            .first_page()?
            .iter()
            .filter_map(|u| u["id"].as_str().map(str::to_string))
            .collect();
        Ok(listed)
    }
}

impl Scenario for ListUsers {
    fn name(&self) -> &'static str {
        "list-users"
    }

    fn request(&self, _: u64) -> Result<(), String> {
        let (status, text) = self
            .target
            .get_text("/v1/users?limit=100", Auth::Bearer(&self.manager_token))?;
        if status != 200 {
            return Err(status.to_string());
        }
        // Only what the check needs, borrowed from the text: the generator must not be what
        // limits the figure.
        let page: Page = serde_json::from_str(&text).map_err(|_| "not a page".to_string())?;
        if page.items.is_empty() {
            return Err("empty page".into());
        }
        if page.items.iter().any(|u| u.org_id != self.org) {
            return Err("a user of another org listed".into());
        }
        Ok(())
    }
}

#[derive(serde::Deserialize)]
struct Page<'a> {
    #[serde(borrow)]
    items: Vec<Listed<'a>>,
}

#[derive(serde::Deserialize)]
struct Listed<'a> {
    #[serde(borrow)]
    org_id: std::borrow::Cow<'a, str>,
}

impl ListUsers {
    /// The manager's first page of up to 100 users.
    pub fn first_page(&self) -> Result<Vec<Value>, String> {
        let page = self
            .target
            .json(
                "GET",
                "/v1/users?limit=100",
                None,
                Auth::Bearer(&self.manager_token),
                None,
            )?
            .expect(200)?;
        page["items"]
            .as_array()
            .cloned()
            .ok_or_else(|| format!("no items in {page}"))
    }

    /// The manager reads one of its org's users (the `i`th of its first page, in turn).
    pub fn read_one(&self, i: u64) -> Result<(), String> {
        let wanted = self
            .ids
            .get(i as usize % self.ids.len().max(1))
            .ok_or("no user to read")?;
        let user = self
            .target
            .json(
                "GET",
                &format!("/v1/users/{wanted}"),
                None,
                Auth::Bearer(&self.manager_token),
                None,
            )?
            .expect(200)?;
        if user["id"] == wanted.as_str() && user["org_id"] == self.org.as_str() {
            Ok(())
        } else {
            Err("read another user".into())
        }
    }
}
