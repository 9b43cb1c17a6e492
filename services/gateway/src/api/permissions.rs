//! What a user may do: their memberships, and the decision of a check with its reason.

use authz::{Because, Caller, Decision, Permission, Requirement, Target, UserOp};
use domain::{Code, Error};

use super::require;
use super::users::authorized_user;
use crate::auth::{load_principal, Authenticated};
use crate::reads::read;
use crate::views::{CheckView, ListParams, MembershipView, PageView};
use crate::Gateway;

/// A user's memberships (manager roles) at every level. `user.membership.read` on the user's
/// org; a user may read their own.
pub async fn memberships(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    q: ListParams,
) -> Result<PageView<MembershipView>, Error> {
    authorized_user(gw, auth, id, UserOp::ReadMemberships).await?;
    let (instance, user) = (auth.instance.clone(), id.to_string());
    let rows = read(gw, move |m| m.memberships_of(&instance, &user)).await?;
    PageView::paged(
        rows.into_iter()
            .map(|r| MembershipView {
                level: r.level,
                resource_id: r.resource_id,
                roles: r.roles,
            })
            .collect(),
        &q,
        |m| format!("{}/{}", m.level, m.resource_id),
    )
}

/// What a check asks: may this user do this on this resource?
pub struct CheckQuery {
    pub user_id: String,
    /// A permission name such as `user.write`.
    pub permission: String,
    /// `instance`, `org`, `user` or `project`.
    pub kind: String,
    /// The resource's id (ignored for `instance`).
    pub id: String,
}

fn unknown_resource(kind: &str) -> Error {
    Error::new(
        Code::UnknownResource,
        format!("{kind:?} is not a resource type: use instance, org, user or project"),
    )
    .with("type", kind)
}

fn explain(decision: &Decision) -> String {
    match decision {
        Decision::Allow { because } => match because {
            Because::Membership {
                resource,
                role,
                permission,
            } => format!("role {role} on {resource} grants {permission}"),
            Because::SelfManagement { permission } => {
                format!("a user may do this to themself without {permission}")
            }
            Because::InternalFlow { flow, permission } => {
                format!("the {} flow holds {permission}", flow.name())
            }
        },
        Decision::Deny { missing, or: None } => format!("missing permission {missing}"),
        Decision::Deny {
            missing,
            or: Some(or),
        } => format!("missing permission {missing} (or {or})"),
    }
}

/// Would this user be allowed this permission on this resource? The decision with its reason.
/// `iam.read` on the instance.
pub async fn check(gw: &Gateway, auth: &Authenticated, b: CheckQuery) -> Result<CheckView, Error> {
    let instance_target = Target::Instance {
        instance: &auth.instance,
    };
    require(gw, auth, Permission::IAM_READ, instance_target)?;
    let permission = Permission::from_name(&b.permission).ok_or_else(|| {
        Error::new(
            Code::UnknownPermission,
            format!("{:?} is not a permission", b.permission),
        )
        .with("field", "permission")
    })?;
    let (instance, map) = (auth.instance.clone(), gw.authz.role_map().clone());
    let (user_id, kind, id) = (b.user_id.clone(), b.kind.clone(), b.id.clone());
    // The user's principal, and the owner of the resource (the org of a user or a project).
    let (principal, owner) = read(gw, move |m| {
        let principal = load_principal(m, &instance, &user_id, &map)?.map(|(p, _)| p);
        let owner = match kind.as_str() {
            "instance" => Some(String::new()),
            "org" => m.org(&instance, &id)?.map(|o| o.id),
            "user" => m.user(&instance, &id)?.map(|u| u.org_id),
            "project" => m.project_org(&instance, &id)?,
            _ => None,
        };
        Ok((principal, owner))
    })
    .await?;
    let principal = principal.ok_or_else(|| {
        Error::new(Code::UserNotFound, format!("no user {}", b.user_id))
            .with("user_id", b.user_id.as_str())
    })?;
    let (kind, id) = (b.kind.as_str(), b.id.as_str());
    if !["instance", "org", "user", "project"].contains(&kind) {
        return Err(unknown_resource(kind));
    }
    // A resource that is not in this instance (of another one, or of none) is refused alike,
    // so that the answer tells nothing about other instances.
    let elsewhere = kind == "instance" && !id.is_empty() && id != auth.instance;
    let Some(owner) = owner.filter(|_| !elsewhere) else {
        return Ok(CheckView {
            allowed: false,
            because: format!("no {kind} {id:?} in this instance"),
        });
    };
    let i = auth.instance.as_str();
    let target = match kind {
        "instance" => Target::Instance { instance: i },
        "org" => Target::Org {
            instance: i,
            org: &owner,
        },
        "user" => Target::User {
            instance: i,
            org: &owner,
            user: id,
        },
        "project" => Target::Project {
            instance: i,
            org: &owner,
            project: id,
        },
        _ => return Err(unknown_resource(kind)),
    };
    let decision = gw.authz.check(
        &Caller::Principal(std::sync::Arc::new(principal)),
        Requirement::plain(permission),
        &target,
    );
    Ok(CheckView {
        allowed: decision.is_allowed(),
        because: explain(&decision),
    })
}
