//! Users, their tokens, metadata and memberships, from CQL.

use authz::{Memberships, ReadScope, RoleMap};
use domain::Error;
use scylla::DeserializeRow;

use super::paging::{first, Source};
use super::CqlReadModel;
use crate::model::{DirectoryQueries, UserQueries};
use crate::queries::memberships_from;
use crate::{Page, UserFilter, UserRow};

#[derive(DeserializeRow)]
struct User {
    id: String,
    org_id: Option<String>,
    username: Option<String>,
    kind: Option<String>,
    state: Option<String>,
    display_name: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    preferred_language: Option<String>,
    email: Option<String>,
    email_verified: Option<bool>,
    phone: Option<String>,
    phone_verified: Option<bool>,
    description: Option<String>,
    secret_hash: Option<String>,
}

const USER: &str = "id, org_id, username, kind, state, display_name, given_name, family_name,
    preferred_language, email, email_verified, phone, phone_verified, description, secret_hash";

impl User {
    fn row(self) -> (UserRow, Option<String>) {
        let row = UserRow {
            id: self.id,
            org_id: self.org_id.unwrap_or_default(),
            username: self.username.unwrap_or_default(),
            kind: self.kind.unwrap_or_default(),
            state: self.state.unwrap_or_default(),
            display_name: self.display_name.unwrap_or_default(),
            given_name: self.given_name,
            family_name: self.family_name,
            preferred_language: self.preferred_language,
            email: self.email,
            email_verified: self.email_verified.unwrap_or(false),
            phone: self.phone,
            phone_verified: self.phone_verified.unwrap_or(false),
            description: self.description,
            has_secret: self.secret_hash.is_some(),
        };
        (row, self.secret_hash)
    }
}

impl CqlReadModel {
    pub(super) async fn users(
        &self,
        instance: &str,
        ids: Vec<String>,
    ) -> Result<Vec<(UserRow, Option<String>)>, Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut users: Vec<_> = self
            .all::<User>(
                &format!("SELECT {USER} FROM users WHERE instance = ? AND id IN ?"),
                (instance, ids),
            )
            .await?
            .into_iter()
            .map(User::row)
            .collect();
        users.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        Ok(users)
    }

    pub(super) async fn one_user(
        &self,
        instance: &str,
        id: &str,
    ) -> Result<Option<(UserRow, Option<String>)>, Error> {
        Ok(self.users(instance, vec![id.to_string()]).await?.pop())
    }

    pub(super) async fn user_page(
        &self,
        i: String,
        scope: ReadScope,
        filter: UserFilter,
        limit: usize,
        cursor: Option<String>,
    ) -> Result<Page<UserRow>, Error> {
        let in_scope = |u: &UserRow| match &scope {
            ReadScope::Instance => true,
            ReadScope::Limited(l) => {
                l.orgs.contains(&u.org_id) || l.own_user.as_ref() == Some(&u.id)
            }
        };
        let in_filter = |u: &UserRow| filter.org_id.as_ref().is_none_or(|o| &u.org_id == o);
        if let Some(prefix) = &filter.username_prefix {
            let keep = |u: &UserRow| in_scope(u) && in_filter(u);
            return self
                .users_by_login_prefix(&i, prefix, limit, cursor, keep)
                .await;
        }
        let known = |ids: Vec<String>| Source::Known(ids.into_iter().map(|id| (id,)).collect());
        let sources = if let Some(name) = &filter.username {
            let login = domain::validate::normalized_username(name);
            let found = self
                .column(
                    "SELECT id FROM users_by_login WHERE instance = ? AND username_lower = ?",
                    (&i, login),
                )
                .await?;
            vec![known(
                self.checked(&i, found, |u| in_scope(u) && in_filter(u))
                    .await?,
            )]
        } else {
            let orgs: Vec<String> = match (&scope, &filter.org_id) {
                (ReadScope::Instance, None) => vec![],
                (ReadScope::Instance, Some(org)) => vec![org.clone()],
                (ReadScope::Limited(l), None) => l.orgs.iter().cloned().collect(),
                (ReadScope::Limited(l), Some(org)) => l
                    .orgs
                    .contains(org)
                    .then(|| org.clone())
                    .into_iter()
                    .collect(),
            };
            let by_org = "SELECT id FROM users_by_org WHERE instance = ? AND org_id = ?";
            let mut sources: Vec<Source<(String,)>> = orgs
                .into_iter()
                .map(|org| Source::partition(format!("org:{org}"), by_org, &[&i, &org]))
                .collect();
            match &scope {
                ReadScope::Instance if filter.org_id.is_none() => sources.push(Source::partition(
                    "instance",
                    "SELECT id FROM users WHERE instance = ?",
                    &[&i],
                )),
                ReadScope::Instance => {}
                ReadScope::Limited(l) => {
                    let own = l.own_user.iter().cloned().collect();
                    sources.push(known(self.checked(&i, own, |u| in_filter(u)).await?));
                }
            }
            sources
        };
        let (ids, next_cursor) = self.paged(sources, cursor.as_deref(), limit, first).await?;
        let mut items: Vec<UserRow> = self
            .users(&i, ids.into_iter().map(|(id,)| id).collect())
            .await?
            .into_iter()
            .map(|(u, _)| u)
            .collect();
        items.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Page { items, next_cursor })
    }

    /// Users whose login name starts with `prefix`, in login-name order after `cursor` (the
    /// last login name given, in lower case), that pass `keep`: ranges of one
    /// `users_by_login_prefix` partition, read until a page is full.
    async fn users_by_login_prefix(
        &self,
        i: &str,
        prefix: &str,
        limit: usize,
        cursor: Option<String>,
        keep: impl Fn(&UserRow) -> bool,
    ) -> Result<Page<UserRow>, Error> {
        const FIRST: &str = "SELECT username_lower, id FROM users_by_login_prefix \
            WHERE instance = ? AND initial = ? AND username_lower >= ? AND username_lower < ? LIMIT 200";
        const NEXT: &str = "SELECT username_lower, id FROM users_by_login_prefix \
            WHERE instance = ? AND initial = ? AND username_lower > ? AND username_lower < ? LIMIT 200";
        let (from, to) = crate::queries::login_range(prefix);
        let partition = super::user_projection::initial(&from);
        let mut after = cursor;
        let mut found: Vec<UserRow> = Vec::new();
        while found.len() <= limit {
            let rows: Vec<(String, String)> = match &after {
                Some(last) => self.all(NEXT, (i, &partition, last, &to)).await?,
                None => self.all(FIRST, (i, &partition, &from, &to)).await?,
            };
            let Some(last) = rows.last().map(|(login, _)| login.clone()) else {
                break;
            };
            let full = rows.len() == 200;
            // A row whose user has another login name now (left by a fill that raced a rename)
            // finds nobody.
            let mut users: Vec<UserRow> = self
                .users(i, rows.into_iter().map(|(_, id)| id).collect())
                .await?
                .into_iter()
                .map(|(u, _)| u)
                .filter(|u| {
                    domain::validate::normalized_username(&u.username).starts_with(&from) && keep(u)
                })
                .collect();
            users.sort_by_cached_key(|u| domain::validate::normalized_username(&u.username));
            found.extend(users);
            after = Some(last);
            if !full {
                break;
            }
        }
        Ok(crate::queries::page(found, limit, |u| {
            domain::validate::normalized_username(&u.username)
        }))
    }

    /// The ids of those users that exist and pass `keep`.
    pub(super) async fn checked(
        &self,
        i: &str,
        ids: Vec<String>,
        keep: impl Fn(&UserRow) -> bool,
    ) -> Result<Vec<String>, Error> {
        Ok(self
            .users(i, ids)
            .await?
            .into_iter()
            .filter(|(u, _)| keep(u))
            .map(|(u, _)| u.id)
            .collect())
    }
}

impl UserQueries for CqlReadModel {
    fn user(&self, instance: &str, id: &str) -> Result<Option<UserRow>, Error> {
        let (i, id) = (instance.to_string(), id.to_string());
        self.query(|m| async move { Ok(m.one_user(&i, &id).await?.map(|(u, _)| u)) })
    }

    fn list_users(
        &self,
        instance: &str,
        scope: &ReadScope,
        filter: &UserFilter,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<UserRow>, Error> {
        let args = (
            instance.to_string(),
            scope.clone(),
            filter.clone(),
            cursor.map(str::to_string),
        );
        self.query(|m| async move {
            let (i, scope, filter, cursor) = args;
            m.user_page(i, scope, filter, limit, cursor).await
        })
    }

    fn user_by_login(
        &self,
        instance: &str,
        username: &str,
    ) -> Result<Option<(UserRow, Option<String>)>, Error> {
        let (i, login) = (
            instance.to_string(),
            domain::validate::normalized_username(username),
        );
        self.query(|m| async move {
            let ids = m
                .column(
                    "SELECT id FROM users_by_login WHERE instance = ? AND username_lower = ?",
                    (&i, &login),
                )
                .await?;
            Ok(m.users(&i, ids).await?.pop())
        })
    }

    fn users_with_verified_email(
        &self,
        instance: &str,
        org_id: &str,
        email: &str,
    ) -> Result<Vec<String>, Error> {
        let (i, org, email) = (
            instance.to_string(),
            org_id.to_string(),
            email.to_lowercase(),
        );
        self.query(|m| async move {
            let ids = m
                .column(
                    "SELECT id FROM users_by_email WHERE instance = ? AND email_lower = ?",
                    (&i, &email),
                )
                .await?;
            // The index may lag the rows: the rows decide.
            Ok(m.users(&i, ids)
                .await?
                .into_iter()
                .map(|(u, _)| u)
                .filter(|u| {
                    u.org_id == org
                        && u.email_verified
                        && u.email.as_deref().map(str::to_lowercase).as_deref() == Some(&email)
                })
                .map(|u| u.id)
                .collect())
        })
    }

    fn metadata(&self, instance: &str, user_id: &str) -> Result<Vec<(String, Vec<u8>)>, Error> {
        let (i, u) = (instance.to_string(), user_id.to_string());
        self.query(|m| async move {
            m.all::<(String, Vec<u8>)>(
                "SELECT key, value FROM user_metadata WHERE instance = ? AND user_id = ?",
                (&i, &u),
            )
            .await
        })
    }

    fn pats(&self, instance: &str, user_id: &str) -> Result<Vec<(String, Option<i64>)>, Error> {
        let (i, u) = (instance.to_string(), user_id.to_string());
        self.query(|m| async move {
            m.all::<(String, Option<i64>)>(
                "SELECT pat_id, expires_at FROM pats_by_user WHERE instance = ? AND user_id = ?",
                (&i, &u),
            )
            .await
        })
    }

    fn pat_owner(&self, token_hash: &str) -> Result<Option<(String, String, Option<i64>)>, Error> {
        let hash = token_hash.to_string();
        self.query(|m| async move {
            Ok(m.all::<(String, String, Option<i64>)>(
                "SELECT instance, user_id, expires_at FROM pats_by_hash WHERE token_hash = ?",
                (&hash,),
            )
            .await?
            .pop())
        })
    }

    fn memberships(
        &self,
        instance: &str,
        user_id: &str,
        map: &RoleMap,
    ) -> Result<Memberships, Error> {
        let rows = self.memberships_of(instance, user_id)?;
        Ok(memberships_from(
            rows.into_iter().map(|r| (r.level, r.resource_id, r.roles)),
            map,
        ))
    }
}
