//! What the token, introspection and userinfo endpoints look up on every request: the calling
//! client (an app or a machine user, with its secret's hash) and the token's subject. Rows are
//! kept for one client generation of the read model, which every event that changes a
//! client's credentials or a user's state or claims moves. Only what exists is kept: a client
//! id that names nothing is read again each time (so a stream of made-up ids grows nothing),
//! and a machine user's client id is remembered as not an app once the machine user is found.
//! A hit reads no table and leaves the async worker.

use std::collections::{HashMap, HashSet};

use domain::Error;
use readmodel::{AppRow, UserRow};

use crate::generational::{weight, Generational};
use crate::reads::read;
use crate::Gateway;

/// An app with its secret's hash; a user with a machine user's secret hash.
type AppWithSecret = (AppRow, Option<String>);
type UserWithSecret = (UserRow, Option<String>);

/// Rows by (instance, key), for one client generation.
pub type ClientCache = Generational<Clients>;

#[derive(Default)]
pub struct Clients {
    /// Apps by client id.
    apps: HashMap<(String, String), AppWithSecret>,
    /// Client ids of machine users: no app has them.
    machine_ids: HashSet<(String, String)>,
    /// Machine users by normalized login name.
    logins: HashMap<(String, String), UserWithSecret>,
    /// Users by id.
    users: HashMap<(String, String), UserRow>,
}

/// What a row costs in a cache: the text it holds, as its debug form shows it.
fn row_weight(key: &(String, String), row: &impl std::fmt::Debug) -> usize {
    weight(&[&key.0, &key.1]) + format!("{row:?}").len()
}

/// Reads through the cache: `get` looks up (`Some(None)`: known not to be there), `fetch`
/// reads the table otherwise, `put` keeps what was found, stamped with the generation seen
/// before the read (an event projected meanwhile makes it stale at once).
async fn cached<T: Clone + Send + 'static>(
    gw: &Gateway,
    get: impl FnOnce(&Clients) -> Option<Option<T>>,
    fetch: impl FnOnce(&dyn readmodel::ReadModel) -> Result<Option<T>, Error> + Send + 'static,
    put: impl FnOnce(&mut Clients, T),
    weigh: impl FnOnce(&T) -> usize,
) -> Result<Option<T>, Error> {
    let generation = gw.model.progress().client_generation();
    let fetch = async move { read(gw, fetch).await };
    read_through(&gw.clients, generation, get, fetch, put, weigh).await
}

/// [`cached`] on a given cache and read: what the read does not find is not kept.
async fn read_through<T: Clone>(
    cache: &ClientCache,
    generation: u64,
    get: impl FnOnce(&Clients) -> Option<Option<T>>,
    fetch: impl std::future::Future<Output = Result<Option<T>, Error>>,
    put: impl FnOnce(&mut Clients, T),
    weigh: impl FnOnce(&T) -> usize,
) -> Result<Option<T>, Error> {
    if let Some(hit) = cache.with(generation, get) {
        return Ok(hit);
    }
    let found = fetch.await?;
    if let Some(row) = &found {
        let row = row.clone();
        cache.put(generation, weigh(&row), |c| put(c, row));
    }
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
        |cache| match cache.apps.get(&key) {
            Some(app) => Some(Some(app.clone())),
            None => cache.machine_ids.contains(&key).then_some(None),
        },
        move |m| m.app_by_client_id(&i, &c),
        |cache, row| {
            cache.apps.insert(key.clone(), row);
        },
        |row| row_weight(&key, row),
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
            if row.0.kind == "machine" {
                cache
                    .machine_ids
                    .insert((instance.to_string(), login.to_string()));
            }
            cache.logins.insert(key.clone(), row);
        },
        |row| row_weight(&key, row) + login.len(),
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
            cache.users.insert(key.clone(), row);
        },
        |row| row_weight(&key, row),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> UserRow {
        UserRow {
            id: id.into(),
            org_id: "o".into(),
            username: id.into(),
            kind: "machine".into(),
            state: "active".into(),
            display_name: id.into(),
            given_name: None,
            family_name: None,
            preferred_language: None,
            email: None,
            email_verified: false,
            phone: None,
            phone_verified: false,
            description: None,
            has_secret: true,
        }
    }

    /// A lookup of user `id` through `cache`, whose table holds `found`; whether the table
    /// was read.
    async fn lookup(
        cache: &ClientCache,
        id: &str,
        found: Option<UserRow>,
    ) -> (Option<UserRow>, bool) {
        let key = ("i".to_string(), id.to_string());
        let read = std::cell::Cell::new(false);
        let answer = read_through(
            cache,
            1,
            |c| c.users.get(&key).cloned().map(Some),
            async {
                read.set(true);
                Ok(found)
            },
            |c, row| {
                c.users.insert(key.clone(), row);
            },
            |row| row_weight(&key, row),
        )
        .await
        .unwrap();
        (answer, read.get())
    }

    #[actix_web::test]
    async fn made_up_client_ids_are_read_each_time_and_never_kept() {
        let cache = ClientCache::default();
        for i in 0..1_000 {
            let id = format!("made-up-{i}-{}", "x".repeat(150));
            let (answer, read) = lookup(&cache, &id, None).await;
            assert!(answer.is_none() && read);
        }
        assert_eq!(
            cache.bytes(),
            0,
            "nothing was kept for ids that name nothing"
        );
        // One that exists is kept, and read from the cache next time.
        let (answer, read) = lookup(&cache, "bot", Some(user("bot"))).await;
        assert!(answer.is_some() && read);
        assert!(cache.bytes() > 0);
        let (answer, read) = lookup(&cache, "bot", None).await;
        assert_eq!(answer.map(|u| u.id), Some("bot".to_string()));
        assert!(!read, "a kept row is not read again");
    }
}
