//! The messages' texts of the instance (`iam.policy.read` / `.write`) and of an org
//! (`policy.read` / `.write` / `.delete` on it), per template and language.

use authz::Permission;
use domain::settings::{self, MessageTemplate, MessageTexts};
use domain::Error;

use super::reply;
use super::settings::check;
use crate::auth::Authenticated;
use crate::views::WriteReply;
use crate::Gateway;

/// The texts the instance (`org` absent) or the org sets for a template in a language; fields
/// it leaves out are the built-in ones (or, for an org, the instance's).
pub async fn get(
    gw: &Gateway,
    auth: &Authenticated,
    org: Option<&str>,
    template: &str,
    language: &str,
) -> Result<MessageTexts, Error> {
    let template = MessageTemplate::parse(template)?;
    let language = settings::language(language)?;
    check(
        gw,
        auth,
        org,
        Permission::POLICY_READ,
        Permission::IAM_POLICY_READ,
    )?;
    let (own, org_texts) = gw.bus.texts_maps(&auth.instance, org).await?;
    let map = org_texts.unwrap_or(own);
    Ok(map
        .get(&settings::texts_key(template, &language))
        .cloned()
        .unwrap_or_default())
}

/// Sets the texts (`Some`) or removes them (`None`) of the instance or an org.
pub async fn set(
    gw: &Gateway,
    auth: &Authenticated,
    org: Option<&str>,
    template: &str,
    language: &str,
    texts: Option<MessageTexts>,
) -> Result<WriteReply, Error> {
    let template = MessageTemplate::parse(template)?;
    let on_org = match texts {
        Some(_) => Permission::POLICY_WRITE,
        None => Permission::POLICY_DELETE,
    };
    check(gw, auth, org, on_org, Permission::IAM_POLICY_WRITE)?;
    let w = gw
        .bus
        .set_texts(&auth.caller, &auth.instance, org, template, language, texts)
        .await?;
    Ok(reply(None, w))
}
