//! What the token, introspection and userinfo endpoints look up on every request: the calling
//! client (an app or a machine user, with its secret's hash) and the token's subject. Rows are
//! kept for one client generation of the read model, which every event that changes a
//! client's credentials or a user's state or claims moves. Users and machine users not found
//! are read again each time, so new users need no change; apps not found are kept too (a
//! machine user's client id is looked up as an app first), so a new app moves the generation.
//! A hit reads no table and leaves the async worker.

use std::collections::HashMap;

use domain::Error;
use readmodel::{AppRow, UserRow};

use crate::generational::{Entries, Generational};
use crate::reads::read;
use crate::Gateway;

/// An app with its secret's hash; a user with a machine user's secret hash.
type AppWithSecret = (AppRow, Option<String>);
type UserWithSecret = (UserRow, Option<String>);

/// Rows by (instance, key), for one client generation.
pub type ClientCache = Generational<Clients>;

#[derive(Default)]
pub struct Clients {
    /// By client id; `None`: no such app.
    apps: HashMap<(String, String), Option<AppWithSecret>>,
    /// Machine users by normalized login name.
    logins: HashMap<(String, String), UserWithSecret>,
    /// Users by id.
    users: HashMap<(String, String), UserRow>,
}

impl Entries for Clients {
    fn entries(&self) -> usize {
        self.apps.len() + self.logins.len() + self.users.len()
    }
}

/// Reads through the cache: `get` looks up (`Some(None)`: known to be missing), `fetch` reads
/// the table otherwise, `put` keeps what was read, stamped with the generation seen before the
/// read (an event projected meanwhile makes it stale at once).
async fn cached<T: Clone + Send + 'static>(
    gw: &Gateway,
    get: impl FnOnce(&Clients) -> Option<Option<T>>,
    fetch: impl FnOnce(&dyn readmodel::ReadModel) -> Result<Option<T>, Error> + Send + 'static,
    put: impl FnOnce(&mut Clients, Option<T>),
) -> Result<Option<T>, Error> {
    let generation = gw.model.progress().client_generation();
    if let Some(hit) = gw.clients.with(generation, |c| get(c)) {
        return Ok(hit);
    }
    let found = read(gw, fetch).await?;
    gw.clients.with(generation, |c| put(c, found.clone()));
    Ok(found)
}

/// An app by client id, with its secret's hash.
pub async fn app(
    gw: &Gateway,
    instance: &str,
    client_id: &str,
) -> Result<Option<AppWithSecret>, Error> {
    let key = (instance.to_string(), client_id.to_string());
    let (i, c) = key.clone();
    cached(
        gw,
        {
            let key = key.clone();
            move |cache| cache.apps.get(&key).cloned()
        },
        move |m| m.app_by_client_id(&i, &c),
        |cache, row| {
            cache.apps.insert(key, row);
        },
    )
    .await
}

/// A user by login name, with a machine user's secret hash.
pub async fn by_login(
    gw: &Gateway,
    instance: &str,
    login: &str,
) -> Result<Option<UserWithSecret>, Error> {
    let key = (
        instance.to_string(),
        domain::validate::normalized_username(login),
    );
    let (i, l) = (instance.to_string(), login.to_string());
    cached(
        gw,
        {
            let key = key.clone();
            move |cache| cache.logins.get(&key).cloned().map(Some)
        },
        move |m| m.user_by_login(&i, &l),
        |cache, row| {
            if let Some(row) = row {
                cache.logins.insert(key, row);
            }
        },
    )
    .await
}

/// A user by id.
pub async fn user(gw: &Gateway, instance: &str, id: &str) -> Result<Option<UserRow>, Error> {
    let key = (instance.to_string(), id.to_string());
    let (i, u) = key.clone();
    cached(
        gw,
        {
            let key = key.clone();
            move |cache| cache.users.get(&key).cloned().map(Some)
        },
        move |m| m.user(&i, &u),
        |cache, row| {
            if let Some(row) = row {
                cache.users.insert(key, row);
            }
        },
    )
    .await
}
