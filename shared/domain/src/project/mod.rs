//! The Project aggregate: a project of an org, its roles, its OIDC applications (entities of
//! the project) and its project-level (PROJECT_*) members.

use std::collections::BTreeMap;

use authz::{Level, Permission, Place, Requirement, Target};
use serde::{Deserialize, Serialize};

use crate::aggregate::{Access, Aggregate, AggregateKey, Ctx, EventType};
use crate::app::{oidc_config, AuthMethod, OidcConfig, Signing};
use crate::error::{Code, Error, Result};
use crate::lifecycle::Lifecycle;
use crate::machine_keys::{self, MachineKey, MachineKeys, PublicJwk};
use crate::members::{decide_member, MemberChange, MemberCommand, MemberMap};
use crate::saml::{saml_config, SamlConfig};
use crate::validate;

mod grants;
pub use grants::GrantCommand;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectRole {
    pub display_name: String,
    pub group: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct App {
    pub client_id: String,
    pub config: OidcConfig,
    /// Hash of the client secret (never the secret); None for clients without one.
    pub secret_hash: Option<String>,
    pub signing: Signing,
    /// The client secret sealed with the master key, for `client_secret_jwt` only: the
    /// server must know the secret to check the assertion's HMAC.
    #[serde(default)]
    pub sealed_secret: Option<String>,
    /// A `private_key_jwt` app's public keys, by key id.
    #[serde(default)]
    pub keys: MachineKeys,
}

/// A grant of some of the project's roles to another org, with its own (PROJECT_GRANT_*)
/// members.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub granted_org: String,
    pub roles: Vec<String>,
    pub members: MemberMap,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub lifecycle: Lifecycle,
    pub org: String,
    pub name: String,
    /// Whether tokens carry the user's roles of this project.
    pub assert_roles: bool,
    pub roles: BTreeMap<String, ProjectRole>,
    pub apps: BTreeMap<String, App>,
    /// SAML service providers, by app id.
    #[serde(default)]
    pub saml_apps: BTreeMap<String, SamlConfig>,
    pub members: MemberMap,
    pub grants: BTreeMap<String, Grant>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ProjectCommand {
    Create {
        org_id: String,
        name: String,
        assert_roles: bool,
    },
    Update {
        name: Option<String>,
        assert_roles: Option<bool>,
    },
    AddRole {
        key: String,
        display_name: String,
        group: Option<String>,
    },
    RemoveRole {
        key: String,
    },
    /// The ids and the secret's hash are made by the service layer.
    AddApp {
        app_id: String,
        client_id: String,
        config: OidcConfig,
        secret_hash: Option<String>,
        /// The secret sealed, for `client_secret_jwt`.
        #[serde(default)]
        sealed_secret: Option<String>,
    },
    UpdateApp {
        app_id: String,
        config: OidcConfig,
    },
    RotateAppSecret {
        app_id: String,
        secret_hash: String,
        #[serde(default)]
        sealed_secret: Option<String>,
    },
    /// A public key of a `private_key_jwt` app.
    AddAppKey {
        app_id: String,
        key_id: String,
        jwk: PublicJwk,
        expires_at: Option<i64>,
    },
    RemoveAppKey {
        app_id: String,
        key_id: String,
    },
    /// Removes an OIDC or a SAML app.
    RemoveApp {
        app_id: String,
    },
    /// A SAML app: an SP whose entity id the service layer claimed in the instance.
    AddSamlApp {
        app_id: String,
        config: SamlConfig,
    },
    /// New metadata of a SAML app (the same entity id).
    UpdateSamlApp {
        app_id: String,
        config: SamlConfig,
    },
    /// Which keys sign the app's tokens.
    SetAppSigning {
        app_id: String,
        signing: Signing,
    },
    /// Project-level (PROJECT_*) memberships.
    Member(MemberCommand),
    Remove,
    /// Grants of the project to other orgs.
    Grant(GrantCommand),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProjectEvent {
    Added {
        org_id: String,
        name: String,
        assert_roles: bool,
    },
    Changed {
        name: String,
        assert_roles: bool,
    },
    RoleAdded {
        key: String,
        display_name: String,
        group: Option<String>,
    },
    RoleRemoved {
        key: String,
    },
    AppAdded {
        app_id: String,
        client_id: String,
        config: OidcConfig,
        secret_hash: Option<String>,
        /// The secret sealed with the master key (`client_secret_jwt` only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sealed_secret: Option<String>,
    },
    AppChanged {
        app_id: String,
        config: OidcConfig,
    },
    AppSecretRotated {
        app_id: String,
        secret_hash: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sealed_secret: Option<String>,
    },
    AppRemoved {
        app_id: String,
        client_id: String,
    },
    MemberSet {
        user_id: String,
        roles: Vec<String>,
    },
    MemberRemoved {
        user_id: String,
    },
    Removed {
        name: String,
    },
    // Release 0.1's payloads name variants by index: keep the order of those it knew.
    GrantAdded {
        grant_id: String,
        granted_org_id: String,
        roles: Vec<String>,
    },
    GrantChanged {
        grant_id: String,
        roles: Vec<String>,
    },
    GrantRemoved {
        grant_id: String,
    },
    GrantMemberSet {
        grant_id: String,
        user_id: String,
        roles: Vec<String>,
    },
    GrantMemberRemoved {
        grant_id: String,
        user_id: String,
    },
    AppSigningSet {
        app_id: String,
        signing: Signing,
    },
    /// A `private_key_jwt` app's public key, added at `at` (unix milliseconds).
    AppKeyAdded {
        app_id: String,
        key_id: String,
        jwk: PublicJwk,
        expires_at: Option<i64>,
        at: i64,
    },
    AppKeyRemoved {
        app_id: String,
        key_id: String,
    },
    SamlAppAdded {
        app_id: String,
        config: SamlConfig,
    },
    SamlAppChanged {
        app_id: String,
        config: SamlConfig,
    },
}

impl EventType for ProjectEvent {
    fn event_type(&self) -> &'static str {
        match self {
            ProjectEvent::Added { .. } => "project.added",
            ProjectEvent::Changed { .. } => "project.changed",
            ProjectEvent::RoleAdded { .. } => "project.role.added",
            ProjectEvent::RoleRemoved { .. } => "project.role.removed",
            ProjectEvent::AppAdded { .. } => "project.app.oidc.added",
            ProjectEvent::AppChanged { .. } => "project.app.changed",
            ProjectEvent::AppSecretRotated { .. } => "project.app.secret.rotated",
            ProjectEvent::AppRemoved { .. } => "project.app.removed",
            ProjectEvent::MemberSet { .. } => "project.member.set",
            ProjectEvent::MemberRemoved { .. } => "project.member.removed",
            ProjectEvent::Removed { .. } => "project.removed",
            ProjectEvent::GrantAdded { .. } => "project.grant.added",
            ProjectEvent::GrantChanged { .. } => "project.grant.changed",
            ProjectEvent::GrantRemoved { .. } => "project.grant.removed",
            ProjectEvent::GrantMemberSet { .. } => "project.grant.member.set",
            ProjectEvent::GrantMemberRemoved { .. } => "project.grant.member.removed",
            ProjectEvent::AppSigningSet { .. } => "project.app.signing.set",
            ProjectEvent::AppKeyAdded { .. } => "project.app.key.added",
            ProjectEvent::AppKeyRemoved { .. } => "project.app.key.removed",
            ProjectEvent::SamlAppAdded { .. } => "project.app.saml.added",
            ProjectEvent::SamlAppChanged { .. } => "project.app.saml.changed",
        }
    }
}

/// A role key: 1 to 200 letters, digits, `.`, `_`, `-` or `:`.
pub fn role_key(key: &str) -> Result<String> {
    let ok = !key.is_empty()
        && key.chars().count() <= validate::MAX_NAME
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | ':'));
    if !ok {
        return Err(Error::new(
            Code::InvalidRoleKey,
            format!("{key:?} is not a role key: 1 to 200 letters, digits, '.', '_', '-' or ':'"),
        )
        .with("field", "key"));
    }
    Ok(key.to_string())
}

fn project_name(name: &str) -> Result<String> {
    validate::name(name, Code::InvalidProjectName, "name")
}

impl Project {
    /// A SAML app of the project (`APP-0001` if there is none).
    pub fn saml_app(&self, app_id: &str) -> Result<&SamlConfig> {
        self.saml_apps.get(app_id).ok_or_else(|| {
            Error::new(
                Code::AppNotFound,
                format!("the project has no SAML app {app_id}"),
            )
            .with("app_id", app_id)
        })
    }

    fn app(&self, app_id: &str) -> Result<&App> {
        self.apps.get(app_id).ok_or_else(|| {
            Error::new(
                Code::AppNotFound,
                format!("the project has no app {app_id}"),
            )
            .with("app_id", app_id)
        })
    }
}

fn secret_matches_method(
    config: &OidcConfig,
    secret_hash: &Option<String>,
    sealed_secret: &Option<String>,
) -> Result<()> {
    if config.auth_method.uses_secret() != secret_hash.is_some()
        || config.auth_method.keeps_secret() != sealed_secret.is_some()
    {
        return Err(Error::internal(
            "a client secret is made exactly for the secret-based auth methods",
        ));
    }
    Ok(())
}

impl Aggregate for Project {
    const KIND: &'static str = "project";
    type Command = ProjectCommand;
    type Event = ProjectEvent;

    fn owners(&self) -> Vec<String> {
        vec![self.org.clone()]
    }

    fn event_owners(event: &ProjectEvent) -> Vec<String> {
        match event {
            ProjectEvent::MemberSet { user_id, .. }
            | ProjectEvent::GrantMemberSet { user_id, .. } => {
                vec![user_id.clone()]
            }
            ProjectEvent::Added { .. }
            | ProjectEvent::Changed { .. }
            | ProjectEvent::RoleAdded { .. }
            | ProjectEvent::RoleRemoved { .. }
            | ProjectEvent::AppAdded { .. }
            | ProjectEvent::AppChanged { .. }
            | ProjectEvent::AppSecretRotated { .. }
            | ProjectEvent::AppRemoved { .. }
            | ProjectEvent::MemberRemoved { .. }
            | ProjectEvent::Removed { .. }
            | ProjectEvent::GrantAdded { .. }
            | ProjectEvent::GrantChanged { .. }
            | ProjectEvent::GrantRemoved { .. }
            | ProjectEvent::GrantMemberRemoved { .. }
            | ProjectEvent::AppSigningSet { .. }
            | ProjectEvent::AppKeyAdded { .. }
            | ProjectEvent::AppKeyRemoved { .. }
            | ProjectEvent::SamlAppAdded { .. }
            | ProjectEvent::SamlAppChanged { .. } => Vec::new(),
        }
    }

    fn exists(&self) -> bool {
        self.lifecycle == Lifecycle::Active
    }

    fn access<'a>(&'a self, key: &'a AggregateKey, cmd: &'a ProjectCommand) -> Access<'a> {
        use ProjectCommand as C;
        let project = Target::Project {
            instance: &key.instance,
            org: &self.org,
            project: &key.id,
        };
        match cmd {
            C::Member(m) => {
                let place = Place::Project {
                    org: self.org.clone(),
                    project: key.id.clone(),
                };
                return m.access(&authz::MemberPermissions::PROJECT, project, place);
            }
            C::Grant(GrantCommand::Member { grant_id, cmd: m }) => {
                let target = Target::ProjectGrant {
                    instance: &key.instance,
                    org: &self.org,
                    project: &key.id,
                    grant: grant_id,
                };
                let place = Place::ProjectGrant {
                    org: self.org.clone(),
                    project: key.id.clone(),
                    grant: grant_id.clone(),
                    granted_org: self
                        .grants
                        .get(grant_id)
                        .map(|g| g.granted_org.clone())
                        .unwrap_or_default(),
                };
                return m.access(&authz::MemberPermissions::PROJECT_GRANT, target, place);
            }
            _ => {}
        }
        let (perm, target) = match cmd {
            C::Create { org_id, .. } => (
                Permission::PROJECT_CREATE,
                Target::Org {
                    instance: &key.instance,
                    org: org_id,
                },
            ),
            C::Update { .. } => (Permission::PROJECT_WRITE, project),
            C::AddRole { .. } => (Permission::PROJECT_ROLE_WRITE, project),
            C::RemoveRole { .. } => (Permission::PROJECT_ROLE_DELETE, project),
            C::AddApp { .. }
            | C::UpdateApp { .. }
            | C::RotateAppSecret { .. }
            | C::SetAppSigning { .. }
            | C::AddAppKey { .. }
            | C::RemoveAppKey { .. }
            | C::AddSamlApp { .. }
            | C::UpdateSamlApp { .. } => (Permission::PROJECT_APP_WRITE, project),
            C::RemoveApp { .. } => (Permission::PROJECT_APP_DELETE, project),
            C::Member(_) => unreachable!("handled above"),
            C::Remove => (Permission::PROJECT_DELETE, project),
            C::Grant(g) => (g.permission(), project),
        };
        Access::Check(Requirement::plain(perm), target)
    }

    fn decide(&self, cmd: &ProjectCommand, ctx: Ctx<'_>) -> Result<Vec<ProjectEvent>> {
        use ProjectCommand as C;
        use ProjectEvent as E;
        if let C::Create {
            org_id,
            name,
            assert_roles,
        } = cmd
        {
            if self.lifecycle != Lifecycle::New {
                return Err(Error::internal("the project id is in use already"));
            }
            return Ok(vec![E::Added {
                org_id: org_id.clone(),
                name: project_name(name)?,
                assert_roles: *assert_roles,
            }]);
        }
        if !self.exists() {
            return Err(Error::new(
                Code::ProjectNotFound,
                "the project does not exist",
            ));
        }
        Ok(match cmd {
            C::Create { .. } => unreachable!("handled above"),
            C::Update { name, assert_roles } => {
                let name = match name {
                    Some(n) => project_name(n)?,
                    None => self.name.clone(),
                };
                let assert_roles = assert_roles.unwrap_or(self.assert_roles);
                if name == self.name && assert_roles == self.assert_roles {
                    vec![]
                } else {
                    vec![E::Changed { name, assert_roles }]
                }
            }
            C::AddRole {
                key,
                display_name,
                group,
            } => {
                let key = role_key(key)?;
                if self.roles.contains_key(&key) {
                    return Err(Error::new(
                        Code::RoleKeyTaken,
                        format!("the project has a role {key} already"),
                    )
                    .with("key", key));
                }
                let display_name = if display_name.trim().is_empty() {
                    key.clone()
                } else {
                    validate::name(display_name, Code::InvalidRoleKey, "display_name")?
                };
                let group = match group.as_deref().map(str::trim) {
                    Some(g) if !g.is_empty() => {
                        Some(validate::name(g, Code::InvalidRoleKey, "group")?)
                    }
                    _ => None,
                };
                vec![E::RoleAdded {
                    key,
                    display_name,
                    group,
                }]
            }
            C::RemoveRole { key } => {
                if !self.roles.contains_key(key) {
                    return Err(Error::new(
                        Code::ProjectRoleNotFound,
                        format!("the project has no role {key}"),
                    )
                    .with("key", key.as_str()));
                }
                // The role leaves every grant that holds it, in the same step.
                let mut events = vec![E::RoleRemoved { key: key.clone() }];
                for (grant_id, g) in &self.grants {
                    if g.roles.contains(key) {
                        events.push(E::GrantChanged {
                            grant_id: grant_id.clone(),
                            roles: g.roles.iter().filter(|r| *r != key).cloned().collect(),
                        });
                    }
                }
                events
            }
            C::AddApp {
                app_id,
                client_id,
                config,
                secret_hash,
                sealed_secret,
            } => {
                let config = oidc_config(config)?;
                secret_matches_method(&config, secret_hash, sealed_secret)?;
                vec![E::AppAdded {
                    app_id: app_id.clone(),
                    client_id: client_id.clone(),
                    config,
                    secret_hash: secret_hash.clone(),
                    sealed_secret: sealed_secret.clone(),
                }]
            }
            C::UpdateApp { app_id, config } => {
                let app = self.app(app_id)?;
                let config = oidc_config(config)?;
                if config.auth_method.uses_secret() != app.config.auth_method.uses_secret() {
                    return Err(Error::new(
                        Code::InvalidAppConfig,
                        "auth_method cannot change between secret and non-secret methods; create a new app",
                    )
                    .with("field", "auth_method"));
                }
                if config == app.config {
                    vec![]
                } else {
                    vec![E::AppChanged {
                        app_id: app_id.clone(),
                        config,
                    }]
                }
            }
            C::RotateAppSecret {
                app_id,
                secret_hash,
                sealed_secret,
            } => {
                let app = self.app(app_id)?;
                if !app.config.auth_method.uses_secret() {
                    return Err(Error::new(
                        Code::AppHasNoSecret,
                        "this app's auth method uses no client secret",
                    )
                    .with("app_id", app_id.as_str()));
                }
                secret_matches_method(&app.config, &Some(secret_hash.clone()), sealed_secret)?;
                vec![E::AppSecretRotated {
                    app_id: app_id.clone(),
                    secret_hash: secret_hash.clone(),
                    sealed_secret: sealed_secret.clone(),
                }]
            }
            C::AddAppKey {
                app_id,
                key_id,
                jwk,
                expires_at,
            } => {
                let app = self.app(app_id)?;
                if app.config.auth_method != AuthMethod::PrivateKeyJwt {
                    return Err(Error::new(
                        Code::KeysNotUsed,
                        "only apps with auth_method private_key_jwt have keys",
                    )
                    .with("app_id", app_id.as_str()));
                }
                machine_keys::check_new(&app.keys, key_id, *expires_at, ctx.now)?;
                vec![E::AppKeyAdded {
                    app_id: app_id.clone(),
                    key_id: key_id.clone(),
                    jwk: jwk.clone(),
                    expires_at: *expires_at,
                    at: ctx.now,
                }]
            }
            C::RemoveAppKey { app_id, key_id } => {
                machine_keys::existing(&self.app(app_id)?.keys, key_id)?;
                vec![E::AppKeyRemoved {
                    app_id: app_id.clone(),
                    key_id: key_id.clone(),
                }]
            }
            C::SetAppSigning { app_id, signing } => {
                let app = self.app(app_id)?;
                let signing = crate::app::signing(signing)?;
                if signing == app.signing {
                    vec![]
                } else {
                    vec![E::AppSigningSet {
                        app_id: app_id.clone(),
                        signing,
                    }]
                }
            }
            C::RemoveApp { app_id } => {
                let client_id = match self.saml_apps.get(app_id) {
                    Some(saml) => saml.entity_id.clone(),
                    None => self.app(app_id)?.client_id.clone(),
                };
                vec![E::AppRemoved {
                    app_id: app_id.clone(),
                    client_id,
                }]
            }
            C::AddSamlApp { app_id, config } => {
                if self.apps.contains_key(app_id) || self.saml_apps.contains_key(app_id) {
                    return Err(Error::internal("the app id is in use already"));
                }
                vec![E::SamlAppAdded {
                    app_id: app_id.clone(),
                    config: saml_config(config)?,
                }]
            }
            C::UpdateSamlApp { app_id, config } => {
                let old = self.saml_app(app_id)?;
                let config = saml_config(config)?;
                if config.entity_id != old.entity_id {
                    return Err(Error::new(
                        Code::InvalidSamlConfig,
                        "the entity id of a SAML app cannot change; create a new app",
                    )
                    .with("field", "entity_id"));
                }
                match config == *old {
                    true => vec![],
                    false => vec![E::SamlAppChanged {
                        app_id: app_id.clone(),
                        config,
                    }],
                }
            }
            C::Member(m) => match decide_member(&self.members, Level::Project, m)? {
                None => vec![],
                Some(MemberChange::Set { user_id, roles }) => vec![E::MemberSet { user_id, roles }],
                Some(MemberChange::Removed { user_id }) => vec![E::MemberRemoved { user_id }],
            },
            C::Remove => vec![E::Removed {
                name: self.name.clone(),
            }],
            C::Grant(g) => self.decide_grant(g)?,
        })
    }

    fn apply(&mut self, event: &ProjectEvent) {
        use ProjectEvent as E;
        match event {
            E::Added {
                org_id,
                name,
                assert_roles,
            } => {
                self.lifecycle = Lifecycle::Active;
                self.org = org_id.clone();
                self.name = name.clone();
                self.assert_roles = *assert_roles;
            }
            E::Changed { name, assert_roles } => {
                self.name = name.clone();
                self.assert_roles = *assert_roles;
            }
            E::RoleAdded {
                key,
                display_name,
                group,
            } => {
                self.roles.insert(
                    key.clone(),
                    ProjectRole {
                        display_name: display_name.clone(),
                        group: group.clone(),
                    },
                );
            }
            E::RoleRemoved { key } => {
                self.roles.remove(key);
            }
            E::AppAdded {
                app_id,
                client_id,
                config,
                secret_hash,
                sealed_secret,
            } => {
                self.apps.insert(
                    app_id.clone(),
                    App {
                        client_id: client_id.clone(),
                        config: config.clone(),
                        secret_hash: secret_hash.clone(),
                        signing: Signing::default(),
                        sealed_secret: sealed_secret.clone(),
                        keys: MachineKeys::new(),
                    },
                );
            }
            E::AppChanged { app_id, config } => {
                if let Some(app) = self.apps.get_mut(app_id) {
                    app.config = config.clone();
                    // Another method than client_secret_jwt: the secret is known by its
                    // hash only from here on; another than private_key_jwt: no keys.
                    if !config.auth_method.keeps_secret() {
                        app.sealed_secret = None;
                    }
                    if config.auth_method != AuthMethod::PrivateKeyJwt {
                        app.keys.clear();
                    }
                }
            }
            E::AppSecretRotated {
                app_id,
                secret_hash,
                sealed_secret,
            } => {
                if let Some(app) = self.apps.get_mut(app_id) {
                    app.secret_hash = Some(secret_hash.clone());
                    app.sealed_secret = sealed_secret.clone();
                }
            }
            E::AppKeyAdded {
                app_id,
                key_id,
                jwk,
                expires_at,
                at,
            } => {
                if let Some(app) = self.apps.get_mut(app_id) {
                    machine_keys::drop_expired(&mut app.keys, *at);
                    app.keys.insert(
                        key_id.clone(),
                        MachineKey {
                            jwk: jwk.clone(),
                            expires_at: *expires_at,
                            added_at: *at,
                        },
                    );
                }
            }
            E::AppKeyRemoved { app_id, key_id } => {
                if let Some(app) = self.apps.get_mut(app_id) {
                    app.keys.remove(key_id);
                }
            }
            E::AppRemoved { app_id, .. } => {
                self.apps.remove(app_id);
                self.saml_apps.remove(app_id);
            }
            E::SamlAppAdded { app_id, config } | E::SamlAppChanged { app_id, config } => {
                self.saml_apps.insert(app_id.clone(), config.clone());
            }
            E::MemberSet { user_id, roles } => {
                self.members.insert(user_id.clone(), roles.clone());
            }
            E::MemberRemoved { user_id } => {
                self.members.remove(user_id);
            }
            E::Removed { .. } => self.lifecycle = Lifecycle::Removed,
            E::GrantAdded {
                grant_id,
                granted_org_id,
                roles,
            } => {
                self.grants.insert(
                    grant_id.clone(),
                    Grant {
                        granted_org: granted_org_id.clone(),
                        roles: roles.clone(),
                        members: MemberMap::new(),
                    },
                );
            }
            E::GrantChanged { grant_id, roles } => {
                if let Some(g) = self.grants.get_mut(grant_id) {
                    g.roles = roles.clone();
                }
            }
            E::GrantRemoved { grant_id } => {
                self.grants.remove(grant_id);
            }
            E::GrantMemberSet {
                grant_id,
                user_id,
                roles,
            } => {
                if let Some(g) = self.grants.get_mut(grant_id) {
                    g.members.insert(user_id.clone(), roles.clone());
                }
            }
            E::AppSigningSet { app_id, signing } => {
                if let Some(app) = self.apps.get_mut(app_id) {
                    app.signing = signing.clone();
                }
            }
            E::GrantMemberRemoved { grant_id, user_id } => {
                if let Some(g) = self.grants.get_mut(grant_id) {
                    g.members.remove(user_id);
                }
            }
        }
    }
}
