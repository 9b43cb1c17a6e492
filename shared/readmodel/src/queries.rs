//! The queries the gateway runs. Lists filter by the caller's readable scope in SQL, never row
//! by row.

use authz::{Memberships, ReadScope, Resource, Role, RoleMap, RoleSet};
use domain::Error;
use rusqlite::{params, params_from_iter, OptionalExtension};

use crate::model::UserQueries;
use crate::store::SqliteReadModel;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRow {
    pub id: String,
    pub org_id: String,
    pub username: String,
    /// `human` or `machine`.
    pub kind: String,
    /// `active`, `inactive` or `locked`.
    pub state: String,
    pub display_name: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub preferred_language: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
    pub phone: Option<String>,
    pub phone_verified: bool,
    pub description: Option<String>,
    /// Whether a machine user has a client secret.
    pub has_secret: bool,
}

const USER_COLUMNS: &str = "id, org_id, username, kind, state, display_name, given_name, family_name,
    preferred_language, email, email_verified, phone, phone_verified, description, secret_hash IS NOT NULL";

/// Narrows a user list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserFilter {
    pub org_id: Option<String>,
    /// Exact login name, without regard to case.
    pub username: Option<String>,
    /// Login names that start with this, without regard to case: the list is then ordered by
    /// login name (its cursor the last one given).
    pub username_prefix: Option<String>,
}

/// The range of lower-case login names that start with `prefix`: from it, up to (not
/// including) it followed by the highest character.
pub(crate) fn login_range(prefix: &str) -> (String, String) {
    let from = domain::validate::normalized_username(prefix);
    let to = format!("{from}\u{10FFFF}");
    (from, to)
}

/// A page of a list and the cursor of the next one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn empty() -> Page<T> {
        Page {
            items: Vec::new(),
            next_cursor: None,
        }
    }
}

impl UserQueries for SqliteReadModel {
    /// The owner of a personal access token, by the token's hash: (instance, user id, expiry).
    fn pat_owner(&self, token_hash: &str) -> Result<Option<(String, String, Option<i64>)>, Error> {
        self.read(|c| {
            c.query_row(
                "SELECT instance, user_id, expires_at FROM pats WHERE token_hash = ?1",
                params![token_hash],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
        })
    }

    /// A user's memberships in the form the permission check takes.
    fn memberships(
        &self,
        instance: &str,
        user_id: &str,
        map: &RoleMap,
    ) -> Result<Memberships, Error> {
        let rows: Vec<(String, String, String)> = self.read(|c| {
            let mut st = c.prepare_cached("SELECT level, resource_id, roles FROM memberships WHERE instance = ?1 AND user_id = ?2")?;
            let rows = st.query_map(params![instance, user_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect()
        })?;
        let rows = rows.into_iter().map(|(level, id, roles)| {
            let roles: Vec<String> = roles.split(',').map(str::to_string).collect();
            (level, id, roles)
        });
        Ok(memberships_from(rows, map))
    }

    fn user(&self, instance: &str, id: &str) -> Result<Option<UserRow>, Error> {
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE instance = ?1 AND id = ?2"
            ))?
            .query_row(params![instance, id], user_row)
            .optional()
        })
    }

    /// Users of the instance inside `scope` matching `filter`, ordered by id, after
    /// `cursor` (the last id of the previous page).
    fn list_users(
        &self,
        instance: &str,
        scope: &ReadScope,
        filter: &UserFilter,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<UserRow>, Error> {
        if let Some(prefix) = &filter.username_prefix {
            return self.users_by_login_prefix(instance, scope, filter, prefix, limit, cursor);
        }
        let mut sql = format!("SELECT {USER_COLUMNS} FROM users WHERE instance = ? AND id > ?");
        let mut args: Vec<String> = vec![instance.to_string(), cursor.unwrap_or("").to_string()];
        if let Some(org) = &filter.org_id {
            sql.push_str(" AND org_id = ?");
            args.push(org.clone());
        }
        if let Some(name) = &filter.username {
            sql.push_str(" AND username_lower = ?");
            args.push(domain::validate::normalized_username(name));
        }
        let seeks = seeks(scope, |l| {
            vec![
                ("org_id", l.orgs.iter().cloned().collect()),
                ("id", l.own_user.iter().cloned().collect()),
            ]
        });
        self.id_page(&sql, &args, seeks, limit, user_row, |u| u.id.clone())
    }

    /// A user by login name (without regard to case), with a machine user's secret hash.
    fn user_by_login(
        &self,
        instance: &str,
        username: &str,
    ) -> Result<Option<(UserRow, Option<String>)>, Error> {
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {USER_COLUMNS}, secret_hash FROM users WHERE instance = ?1 AND username_lower = ?2"
            ))?
            .query_row(
                params![instance, domain::validate::normalized_username(username)],
                |r| Ok((user_row(r)?, r.get(15)?)),
            )
            .optional()
        })
    }

    fn users_with_verified_email(
        &self,
        instance: &str,
        org_id: &str,
        email: &str,
    ) -> Result<Vec<String>, Error> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id FROM users WHERE instance = ?1 AND lower(email) = ?2 AND org_id = ?3
                 AND email_verified = 1 ORDER BY id",
            )?;
            let rows = st.query_map(params![instance, email.to_lowercase(), org_id], |r| {
                r.get(0)
            })?;
            rows.collect()
        })
    }

    /// A user's metadata, by key.
    fn metadata(&self, instance: &str, user_id: &str) -> Result<Vec<(String, Vec<u8>)>, Error> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT key, value FROM user_metadata WHERE instance = ?1 AND user_id = ?2 ORDER BY key",
            )?;
            let rows = st.query_map(params![instance, user_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
    }

    /// A user's personal access tokens: (id, expiry), never the hashes.
    fn pats(&self, instance: &str, user_id: &str) -> Result<Vec<(String, Option<i64>)>, Error> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT pat_id, expires_at FROM pats WHERE instance = ?1 AND user_id = ?2 ORDER BY pat_id",
            )?;
            let rows = st.query_map(params![instance, user_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
    }
}

/// Memberships as the permission check takes them, from stored (level, resource, roles) rows.
pub(crate) fn memberships_from(
    rows: impl IntoIterator<Item = (String, String, Vec<String>)>,
    map: &RoleMap,
) -> Memberships {
    let grants = rows.into_iter().filter_map(|(level, id, roles)| {
        let resource = match level.as_str() {
            "system" => Resource::System,
            "instance" => Resource::Instance,
            "org" => Resource::Org(id),
            "project" => Resource::Project(id),
            "project_grant" => Resource::ProjectGrant(id),
            _ => return None,
        };
        let roles: RoleSet = roles.iter().filter_map(|r| Role::from_name(r)).collect();
        Some((resource, roles))
    });
    Memberships::from_grants(grants, map)
}

/// The SQL of a limited readable scope: rows whose `column` is in one of the given sets, as
/// ` AND (a IN (?, ..) OR b IN (?, ..))` with its arguments pushed onto `args`; None when the
/// scope reads nothing here.
pub(crate) fn scope_sql(sets: &[(&str, Vec<String>)], args: &mut Vec<String>) -> Option<String> {
    let mut alternatives = Vec::new();
    for (column, ids) in sets.iter().filter(|(_, ids)| !ids.is_empty()) {
        alternatives.push(format!("{column} IN ({})", vec!["?"; ids.len()].join(",")));
        args.extend(ids.iter().cloned());
    }
    (!alternatives.is_empty()).then(|| format!(" AND ({})", alternatives.join(" OR ")))
}

/// The rows a limited scope reads, as (column, values) pairs from `of`; None when the scope
/// reads every row.
pub(crate) fn seeks(
    scope: &ReadScope,
    of: impl FnOnce(&authz::Limited) -> Vec<(&'static str, Vec<String>)>,
) -> Option<Vec<(&'static str, Vec<String>)>> {
    match scope {
        ReadScope::Limited(l) => Some(of(l)),
        _ => None,
    }
}

/// Up to this many scope alternatives a list reads as a union of index seeks; beyond, as one
/// filtered scan (SQLite caps compound selects at 500 terms).
const MAX_SEEKS: usize = 64;

impl SqliteReadModel {
    /// Users whose login name starts with `prefix`, inside `scope` and `filter`'s org, ordered
    /// by login name after `cursor` (the last login name of the previous page, in lower case):
    /// a range of the login-name index.
    fn users_by_login_prefix(
        &self,
        instance: &str,
        scope: &ReadScope,
        filter: &UserFilter,
        prefix: &str,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<UserRow>, Error> {
        let (from, to) = login_range(prefix);
        let mut sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE instance = ? AND username_lower >= ? \
             AND username_lower < ? AND username_lower > ?"
        );
        let mut args = vec![
            instance.to_string(),
            from,
            to,
            cursor.unwrap_or("").to_string(),
        ];
        if let Some(org) = &filter.org_id {
            sql.push_str(" AND org_id = ?");
            args.push(org.clone());
        }
        if let Some(sets) = seeks(scope, |l| {
            vec![
                ("org_id", l.orgs.iter().cloned().collect()),
                ("id", l.own_user.iter().cloned().collect()),
            ]
        }) {
            match scope_sql(&sets, &mut args) {
                Some(clause) => sql.push_str(&clause),
                None => return Ok(Page::empty()),
            }
        }
        sql.push_str(&format!(" ORDER BY username_lower LIMIT {}", limit + 1));
        let items = self.read(|c| {
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map(params_from_iter(args.iter()), user_row)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        Ok(page(items, limit, |u: &UserRow| {
            domain::validate::normalized_username(&u.username)
        }))
    }

    /// Runs a list query ordered by id (`sql` ends before `ORDER BY`) and cuts its page. With a
    /// limited `scope` (rows whose column is one of the given values), each value is its own
    /// index seek of at most a page, merged by id: the cost is a page per value, however many
    /// rows outside the scope sort before the ones inside it.
    pub(crate) fn id_page<T>(
        &self,
        sql: &str,
        args: &[String],
        scope: Option<Vec<(&'static str, Vec<String>)>>,
        limit: usize,
        row: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
        id: fn(&T) -> String,
    ) -> Result<Page<T>, Error> {
        let n = limit + 1;
        let (sql, args) = match scope {
            None => (format!("{sql} ORDER BY id LIMIT {n}"), args.to_vec()),
            Some(sets) => {
                let seeks: Vec<(&str, &String)> = sets
                    .iter()
                    .flat_map(|(column, values)| values.iter().map(move |v| (*column, v)))
                    .collect();
                if seeks.is_empty() {
                    return Ok(Page::empty());
                }
                if seeks.len() > MAX_SEEKS {
                    let mut all = args.to_vec();
                    let clause = scope_sql(&sets, &mut all).unwrap_or_default();
                    (format!("{sql}{clause} ORDER BY id LIMIT {n}"), all)
                } else {
                    let mut all = Vec::with_capacity(seeks.len() * (args.len() + 1));
                    let parts: Vec<String> = seeks
                        .iter()
                        .map(|(column, value)| {
                            all.extend(args.iter().cloned());
                            all.push((*value).clone());
                            format!("SELECT * FROM ({sql} AND {column} = ? ORDER BY id LIMIT {n})")
                        })
                        .collect();
                    (
                        format!("{} ORDER BY id LIMIT {n}", parts.join(" UNION ")),
                        all,
                    )
                }
            }
        };
        let items = self.read(|c| {
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map(params_from_iter(args.iter()), row)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        Ok(page(items, limit, id))
    }
}

/// Cuts a list read with `limit + 1` rows into a page and the cursor of the next one.
pub(crate) fn page<T>(mut items: Vec<T>, limit: usize, cursor: impl Fn(&T) -> String) -> Page<T> {
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(cursor)
    } else {
        None
    };
    Page { items, next_cursor }
}

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: r.get(0)?,
        org_id: r.get(1)?,
        username: r.get(2)?,
        kind: r.get(3)?,
        state: r.get(4)?,
        display_name: r.get(5)?,
        given_name: r.get(6)?,
        family_name: r.get(7)?,
        preferred_language: r.get(8)?,
        email: r.get(9)?,
        email_verified: r.get::<_, Option<bool>>(10)?.unwrap_or(false),
        phone: r.get(11)?,
        phone_verified: r.get::<_, Option<bool>>(12)?.unwrap_or(false),
        description: r.get(13)?,
        has_secret: r.get(14)?,
    })
}
