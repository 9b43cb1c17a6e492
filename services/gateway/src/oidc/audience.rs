//! Project audiences (`urn:portcullis:project:id:{id}:aud`): a client may put a project into
//! its tokens' `aud` only when the project is its own org's or was granted to its org, so that
//! no app of one org gets tokens another org's resource servers would accept (RFC 9700 2.3).

use domain::Error;

use super::OAuthError;
use crate::reads::read;
use crate::Gateway;

/// The scope that asks for the instance's API in `aud`: the token then reaches the REST and
/// gRPC APIs for its subject (API.md "Authentication").
pub const API_SCOPE: &str = "urn:portcullis:api:aud";

/// The projects a scope asks to be in `aud`.
pub fn requested(scope: &[String]) -> impl Iterator<Item = &str> {
    scope.iter().filter_map(|s| {
        s.strip_prefix("urn:portcullis:project:id:")
            .and_then(|rest| rest.strip_suffix(":aud"))
    })
}

/// `invalid_scope` naming the first project audience a client of `org` may not ask for.
pub async fn check(
    gw: &Gateway,
    instance: &str,
    org: &str,
    scope: &[String],
) -> Result<(), OAuthError> {
    let projects: Vec<String> = requested(scope).map(String::from).collect();
    if projects.is_empty() {
        return Ok(());
    }
    let (i, o) = (instance.to_string(), org.to_string());
    let refused = read(gw, move |m| {
        for p in projects {
            let own = m.project_org(&i, &p)?.is_some_and(|owner| owner == o);
            if !own
                && !m
                    .project_grants(&i, &p)?
                    .iter()
                    .any(|g| g.granted_org_id == o)
            {
                return Ok(Some(p));
            }
        }
        Ok::<_, Error>(None)
    })
    .await?;
    match refused {
        None => Ok(()),
        Some(p) => Err(OAuthError::new(
            "invalid_scope",
            format!("project {p} is neither the client's org's nor granted to it"),
        )),
    }
}

/// The org of an app's project.
pub async fn org_of_project(gw: &Gateway, instance: &str, project: &str) -> Result<String, Error> {
    let (i, p) = (instance.to_string(), project.to_string());
    Ok(read(gw, move |m| m.project_org(&i, &p))
        .await?
        .unwrap_or_default())
}
