//! The SCIM operations on an org's users, shared by the single requests and Bulk. A single
//! user is read from its actor (so a client reads what it just wrote, with its version as the
//! ETag); lists come from the read model once it has every acknowledged write.

use authz::{Permission, UserOp};
use command::PasswordChange;
use domain::user::UserChange;
use domain::Error;
use readmodel::{ReadModel, UserFilter};
use serde_json::Value;

use super::error::ScimError;
use super::filter::{self, Filter};
use super::list::{self, Query};
use super::patch;
use super::resource::{self, ScimUser};
use crate::api::orgs::{self, org_target};
use crate::api::{new_id, require};
use crate::auth::Authenticated;
use crate::reads::{caught_up, read};
use crate::Gateway;

/// The org a SCIM request works on, and who asks.
pub struct Org<'a> {
    pub gw: &'a Gateway,
    pub auth: &'a Authenticated,
    pub org_id: &'a str,
    /// `.../scim/v2/{org_id}`, as the client reaches it.
    pub base: String,
}

/// The attributes the read model holds without the user's metadata.
const CORE_ATTRIBUTES: &[&str] = &[
    "id",
    "userName",
    "displayName",
    "active",
    "preferredLanguage",
    "name.givenName",
    "name.familyName",
];

fn is_core(path: &filter::AttrPath) -> bool {
    let name = match &path.sub {
        Some(sub) => format!("{}.{sub}", path.name),
        None => path.name.clone(),
    };
    path.extension.is_none()
        && CORE_ATTRIBUTES
            .iter()
            .any(|c| c.eq_ignore_ascii_case(&name))
}

fn no_user(id: &str) -> ScimError {
    ScimError::not_found(format!("USER-0001: no user {id} in this org"))
}

impl Org<'_> {
    /// The caller may read (or write) the org's users, and the org exists.
    pub async fn check(&self, write: bool) -> Result<(), ScimError> {
        let permission = if write {
            Permission::USER_WRITE
        } else {
            Permission::USER_READ
        };
        require(
            self.gw,
            self.auth,
            permission,
            org_target(self.auth, self.org_id),
        )?;
        orgs::exists(self.gw, self.auth, self.org_id).await?;
        Ok(())
    }

    /// A human user of the org as its actor holds it.
    pub async fn user(&self, id: &str) -> Result<ScimUser, ScimError> {
        let plausible = !id.is_empty()
            && id.len() <= 64
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !plausible {
            return Err(no_user(id));
        }
        let (user, version) = self.gw.bus.versioned_user(&self.auth.instance, id).await?;
        if !domain::Aggregate::exists(&user) || user.org != self.org_id {
            return Err(no_user(id));
        }
        ScimUser::of_user(id, &user, version).ok_or_else(|| no_user(id))
    }

    /// Checks `If-Match` before anything is done (the actor checks it again as it writes).
    fn precondition(current: &ScimUser, if_match: Option<u64>) -> Result<(), ScimError> {
        match (if_match, current.version) {
            (Some(wanted), Some(v)) if wanted != v => Err(ScimError {
                status: 412,
                scim_type: None,
                detail: format!(
                    "CONC-0001: the user changed since version {wanted}; it is at {}",
                    resource::etag(v)
                ),
                retry_after: None,
            }),
            _ => Ok(()),
        }
    }

    /// Creates a user of the org from a resource.
    pub async fn create(&self, body: &Value) -> Result<ScimUser, ScimError> {
        let input = resource::new_human(self.org_id, resource::desired(body)?)?;
        let id = new_id();
        self.gw
            .bus
            .create_human(&self.auth.caller, &self.auth.instance, &id, input)
            .await?;
        self.user(&id).await
    }

    /// Makes the user what `wanted` says (a PUT, or a PATCH's result).
    async fn make(
        &self,
        current: ScimUser,
        wanted: &Value,
        if_match: Option<u64>,
    ) -> Result<ScimUser, ScimError> {
        Self::precondition(&current, if_match)?;
        let desired = resource::desired(wanted)?;
        let changes = resource::changes(&current, &desired)?;
        let (caller, instance) = (&self.auth.caller, &self.auth.instance);
        if !changes.is_empty() {
            self.gw
                .bus
                .change_user(
                    caller,
                    instance,
                    &current.id,
                    UserChange::Provision(changes),
                    if_match,
                )
                .await?;
        }
        if let Some(new_password) = desired.password {
            let change = PasswordChange {
                current_password: None,
                new_password,
            };
            self.gw
                .bus
                .change_password(caller, instance, &current.id, change, None)
                .await?;
        }
        self.user(&current.id).await
    }

    pub async fn replace(
        &self,
        id: &str,
        body: &Value,
        if_match: Option<u64>,
    ) -> Result<ScimUser, ScimError> {
        let current = self.user(id).await?;
        self.make(current, body, if_match).await
    }

    pub async fn patch(
        &self,
        id: &str,
        body: &Value,
        if_match: Option<u64>,
    ) -> Result<ScimUser, ScimError> {
        let operations = body
            .get("Operations")
            .or_else(|| body.get("operations"))
            .and_then(Value::as_array)
            .ok_or_else(|| ScimError::bad("invalidSyntax", "a PatchOp has Operations"))?;
        let current = self.user(id).await?;
        let mut wanted = current.render(&self.base);
        patch::apply(&mut wanted, operations)?;
        self.make(current, &wanted, if_match).await
    }

    pub async fn delete(&self, id: &str, if_match: Option<u64>) -> Result<(), ScimError> {
        let current = self.user(id).await?;
        Self::precondition(&current, if_match)?;
        self.gw
            .bus
            .remove_user(&self.auth.caller, &self.auth.instance, id, if_match)
            .await?;
        Ok(())
    }

    /// The users a query finds, as a list response.
    pub async fn list(&self, q: Query) -> Result<Value, ScimError> {
        let find = Find {
            filter: q.filter.as_deref().map(filter::parse).transpose()?,
            sort_by: q.sort_by.as_deref().map(filter::parse_attr).transpose()?,
            descending: q.descending,
            start_index: q.start_index,
            count: q.count,
            instance: self.auth.instance.clone(),
            org_id: self.org_id.to_string(),
            scope: self.gw.authz.readable_scope(
                &self.auth.caller,
                UserOp::Read.requirement(),
                &self.auth.instance,
            ),
            base: self.base.clone(),
        };
        // What was written before the query is found by it.
        caught_up(self.gw).await?;
        let page = read(self.gw, move |m| find.run(m)).await?;
        Ok(list::response(
            page.total,
            page.start_index,
            page.items,
            &q.projection,
        ))
    }
}

/// A query on the read model.
struct Find {
    filter: Option<Filter>,
    sort_by: Option<filter::AttrPath>,
    descending: bool,
    start_index: usize,
    count: usize,
    instance: String,
    org_id: String,
    scope: authz::ReadScope,
    base: String,
}

impl Find {
    /// Whether the query reads attributes kept as metadata.
    fn needs_extras(&self) -> bool {
        let filtered = self.filter.as_ref().map(Filter::paths).unwrap_or_default();
        filtered
            .into_iter()
            .chain(self.sort_by.as_ref())
            .any(|p| !is_core(p))
    }

    /// The org's human users, each as its resource: with its metadata when `extras`.
    fn users(&self, m: &dyn ReadModel, extras: bool) -> Result<Vec<(ScimUser, Value)>, Error> {
        // `userName eq "..."` is found by the login-name index.
        let wanted = UserFilter {
            org_id: Some(self.org_id.clone()),
            username: self
                .filter
                .as_ref()
                .and_then(Filter::user_name)
                .map(str::to_string),
            username_prefix: None,
        };
        let (mut users, mut cursor) = (Vec::new(), None::<String>);
        loop {
            let page = m.list_users(
                &self.instance,
                &self.scope,
                &wanted,
                1000,
                cursor.as_deref(),
            )?;
            for row in page.items {
                let metadata = match extras {
                    true => m.metadata(&self.instance, &row.id)?,
                    false => Vec::new(),
                };
                if let Some(user) = ScimUser::of_row(row, &metadata) {
                    let shown = user.render(&self.base);
                    users.push((user, shown));
                }
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return Ok(users),
            }
        }
    }

    fn run(self, m: &dyn ReadModel) -> Result<list::Page<Value>, Error> {
        let extras = self.needs_extras();
        let found: Vec<(ScimUser, Value)> = self
            .users(m, extras)?
            .into_iter()
            .filter(|(_, shown)| self.filter.as_ref().is_none_or(|f| f.matches(shown)))
            .collect();
        let page = list::sorted_page(
            found,
            self.sort_by.as_ref(),
            self.descending,
            self.start_index,
            self.count,
        );
        // The page's users with all they hold.
        let mut items = Vec::with_capacity(page.items.len());
        for (mut user, shown) in page.items {
            if extras {
                items.push(shown);
            } else {
                let metadata = m.metadata(&self.instance, &user.id)?;
                user.extras = resource::extras_of(metadata.iter().map(|(k, v)| (k, v)));
                items.push(user.render(&self.base));
            }
        }
        Ok(list::Page {
            total: page.total,
            start_index: page.start_index,
            items,
        })
    }
}
