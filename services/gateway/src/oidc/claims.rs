//! Claims by scope: `profile`, `email`, `phone` from the user as the read model knows it, and
//! the project roles (`urn:portcullis:project:roles`) from the user's grants.

use std::collections::BTreeMap;

use readmodel::UserRow;
use serde_json::{json, Map, Value};

use crate::reads::read;
use crate::Gateway;

pub const ROLES_CLAIM: &str = "urn:portcullis:project:roles";

pub fn user_claims(user: &UserRow, scope: &[String], claims: &mut Map<String, Value>) {
    let has = |s: &str| scope.iter().any(|x| x == s);
    claims.insert("sub".into(), json!(user.id));
    if has("profile") {
        claims.insert("name".into(), json!(user.display_name));
        claims.insert("preferred_username".into(), json!(user.username));
        if let Some(g) = &user.given_name {
            claims.insert("given_name".into(), json!(g));
        }
        if let Some(f) = &user.family_name {
            claims.insert("family_name".into(), json!(f));
        }
        if let Some(l) = &user.preferred_language {
            claims.insert("locale".into(), json!(l));
        }
    }
    if has("email") {
        if let Some(e) = &user.email {
            claims.insert("email".into(), json!(e));
            claims.insert("email_verified".into(), json!(user.email_verified));
        }
    }
    if has("phone") {
        if let Some(p) = &user.phone {
            claims.insert("phone_number".into(), json!(p));
            claims.insert("phone_number_verified".into(), json!(user.phone_verified));
        }
    }
}

/// `{role: {org_id: org_name}}` of the user's grants on `project_id`.
pub async fn project_roles(
    gw: &Gateway,
    instance: &str,
    user_id: &str,
    project_id: &str,
) -> Result<Value, domain::Error> {
    let (i, u, p) = (
        instance.to_string(),
        user_id.to_string(),
        project_id.to_string(),
    );
    let grants = read(gw, move |m| {
        let grants = m.user_grants(&i, &u, &authz::ReadScope::Instance)?;
        let mut out = Vec::new();
        for g in grants.into_iter().filter(|g| g.project_id == p) {
            let org = g.granted_org.clone().unwrap_or(g.project_org.clone());
            let name = m.org(&i, &org)?.map(|o| o.name).unwrap_or_default();
            out.push((g.roles, org, name));
        }
        Ok(out)
    })
    .await?;
    let mut roles: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for (keys, org, name) in grants {
        for k in keys {
            roles.entry(k).or_default().insert(org.clone(), json!(name));
        }
    }
    Ok(json!(roles))
}

/// The roles claim when the scope asks for it or the project asserts roles.
pub async fn roles_if_asked(
    gw: &Gateway,
    instance: &str,
    user_id: &str,
    project_id: &str,
    scope: &[String],
) -> Result<Option<Value>, domain::Error> {
    let asked = scope.iter().any(|s| s == ROLES_CLAIM);
    let (i, p) = (instance.to_string(), project_id.to_string());
    let asserts = read(gw, move |m| {
        Ok(m.project(&i, &p)?.is_some_and(|p| p.assert_roles))
    })
    .await?;
    if !(asked || asserts) {
        return Ok(None);
    }
    Ok(Some(
        project_roles(gw, instance, user_id, project_id).await?,
    ))
}
