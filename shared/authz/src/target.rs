//! What a permission is checked on: a resource with its owner chain, so that the check can tell
//! which memberships cover it without any lookup.

/// The resource a membership is held on. Instance-level memberships are on the caller's own
/// instance (a principal lives in exactly one instance).
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Resource {
    System,
    Instance,
    Org(String),
    Project(String),
    ProjectGrant(String),
}

/// How a message names the resource: "the instance", "org o1", ...
impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Resource::System => f.write_str("the system"),
            Resource::Instance => f.write_str("the instance"),
            Resource::Org(id) => write!(f, "org {id}"),
            Resource::Project(id) => write!(f, "project {id}"),
            Resource::ProjectGrant(id) => write!(f, "project grant {id}"),
        }
    }
}

impl Resource {
    pub fn level(&self) -> crate::Level {
        use crate::Level;
        match self {
            Resource::System => Level::System,
            Resource::Instance => Level::Instance,
            Resource::Org(_) => Level::Org,
            Resource::Project(_) => Level::Project,
            Resource::ProjectGrant(_) => Level::ProjectGrant,
        }
    }
}

/// The target of a check, with its owner chain. Build it from the aggregate's own state (in the
/// command actor) or from the read model (at the gateway).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target<'a> {
    /// The system API (instances): only system memberships reach it.
    System,
    Instance {
        instance: &'a str,
    },
    Org {
        instance: &'a str,
        org: &'a str,
    },
    /// A user, owned by its org.
    User {
        instance: &'a str,
        org: &'a str,
        user: &'a str,
    },
    /// A project (and what it holds: roles, apps, members, user grants on it), owned by `org`.
    Project {
        instance: &'a str,
        org: &'a str,
        project: &'a str,
    },
    /// A project grant as part of its project: what the project's owners manage (the granted
    /// roles) and the grant's own managers see (its members).
    ProjectGrant {
        instance: &'a str,
        org: &'a str,
        project: &'a str,
        grant: &'a str,
    },
    /// What is done in the granted org through a grant: user grants made through it. Owned by
    /// the granted org, reached by the grant's managers.
    GrantedProject {
        instance: &'a str,
        granted_org: &'a str,
        project: &'a str,
        grant: &'a str,
    },
}

impl<'a> Target<'a> {
    pub fn instance(&self) -> Option<&'a str> {
        match *self {
            Target::System => None,
            Target::Instance { instance }
            | Target::Org { instance, .. }
            | Target::User { instance, .. }
            | Target::Project { instance, .. }
            | Target::ProjectGrant { instance, .. }
            | Target::GrantedProject { instance, .. } => Some(instance),
        }
    }

    /// The org that owns the target, if any.
    pub fn org(&self) -> Option<&'a str> {
        match *self {
            Target::System | Target::Instance { .. } => None,
            Target::Org { org, .. }
            | Target::User { org, .. }
            | Target::Project { org, .. }
            | Target::ProjectGrant { org, .. } => Some(org),
            Target::GrantedProject { granted_org, .. } => Some(granted_org),
        }
    }

    pub fn project(&self) -> Option<&'a str> {
        match *self {
            Target::Project { project, .. } | Target::ProjectGrant { project, .. } => Some(project),
            // Through a grant, the project's own managers do not act in the granted org.
            Target::GrantedProject { .. }
            | Target::System
            | Target::Instance { .. }
            | Target::Org { .. }
            | Target::User { .. } => None,
        }
    }

    pub fn grant(&self) -> Option<&'a str> {
        match *self {
            Target::ProjectGrant { grant, .. } | Target::GrantedProject { grant, .. } => {
                Some(grant)
            }
            Target::System
            | Target::Instance { .. }
            | Target::Org { .. }
            | Target::User { .. }
            | Target::Project { .. } => None,
        }
    }

    /// The user the target is, if it is a user: where self-management applies.
    pub fn user(&self) -> Option<&'a str> {
        match *self {
            Target::User { user, .. } => Some(user),
            _ => None,
        }
    }

    /// Whether a membership on `resource` (in the same instance) reaches this target.
    pub fn covered_by(&self, resource: &Resource) -> bool {
        match resource {
            Resource::System => matches!(self, Target::System),
            Resource::Instance => !matches!(self, Target::System),
            Resource::Org(id) => self.org() == Some(id),
            Resource::Project(id) => self.project() == Some(id),
            Resource::ProjectGrant(id) => self.grant() == Some(id),
        }
    }
}
