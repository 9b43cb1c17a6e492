//! `ProjectService`: projects, roles, members, OIDC and SAML apps, grants and grant members (REST
//! `/v1/projects...` and `/v1/orgs/{org_id}/projects`).

use domain::members::MemberCommand;

use super::call::{list_params, required, some, Api};
use super::machine_keys::key_input;
use super::pb;
use crate::api::apps::{self, AppSettings};
use crate::api::machine_keys;
use crate::api::members::{self, project, project_at};
use crate::api::saml_apps::{self, SamlAppSettings};
use crate::api::{project_grants, projects};
use crate::views::saml_apps::{CreatedSamlAppView, SamlAppView, SamlEndpointView};
use crate::views::{AppView, CreatedAppView, GrantView, MemberView, ProjectView, RoleView};

impl From<ProjectView> for pb::Project {
    fn from(p: ProjectView) -> Self {
        pb::Project {
            id: p.id,
            org_id: p.org_id,
            name: p.name,
            assert_roles: p.assert_roles,
        }
    }
}

impl From<RoleView> for pb::Role {
    fn from(r: RoleView) -> Self {
        pb::Role {
            key: r.key,
            display_name: r.display_name,
            group: r.group,
        }
    }
}

impl From<pb::Role> for RoleView {
    fn from(r: pb::Role) -> Self {
        RoleView {
            key: r.key,
            display_name: r.display_name,
            group: r.group,
        }
    }
}

impl From<AppView> for pb::App {
    fn from(a: AppView) -> Self {
        pb::App {
            id: a.id,
            client_id: a.client_id,
            name: a.name,
            redirect_uris: a.redirect_uris,
            post_logout_redirect_uris: a.post_logout_redirect_uris,
            grant_types: a.grant_types,
            response_types: a.response_types,
            auth_method: a.auth_method,
            access_token_type: a.access_token_type,
            id_token_signing_alg: a.id_token_signing_alg,
            access_token_signing_alg: a.access_token_signing_alg,
            has_secret: a.has_secret,
            require_pushed_authorization_requests: a.require_pushed_authorization_requests,
            jwks_uri: a.jwks_uri,
            backchannel_logout_uri: a.backchannel_logout_uri,
            backchannel_logout_session_required: a.backchannel_logout_session_required,
        }
    }
}

impl From<CreatedAppView> for pb::CreateOidcAppResponse {
    fn from(a: CreatedAppView) -> Self {
        pb::CreateOidcAppResponse {
            id: a.id,
            client_id: a.client_id,
            client_secret: a.client_secret,
            sequence: a.sequence,
            position: a.position,
        }
    }
}

impl From<CreatedAppView> for pb::RotateAppSecretResponse {
    fn from(a: CreatedAppView) -> Self {
        pb::RotateAppSecretResponse {
            id: a.id,
            client_id: a.client_id,
            client_secret: a.client_secret,
            sequence: a.sequence,
            position: a.position,
        }
    }
}

impl From<GrantView> for pb::Grant {
    fn from(g: GrantView) -> Self {
        pb::Grant {
            id: g.id,
            project_id: g.project_id,
            granted_org_id: g.granted_org_id,
            role_keys: g.role_keys,
        }
    }
}

page!(ProjectView => pb::ListProjectsResponse);
page!(RoleView => pb::ListRolesResponse);
page!(AppView => pb::ListAppsResponse);
page!(SamlAppView => pb::ListSamlAppsResponse);
page!(GrantView => pb::ListGrantsResponse);
page!(MemberView => pb::ListProjectMembersResponse);
page!(MemberView => pb::ListGrantMembersResponse);

impl From<SamlEndpointView> for pb::SamlEndpoint {
    fn from(e: SamlEndpointView) -> Self {
        pb::SamlEndpoint {
            binding: e.binding,
            location: e.location,
            index: e.index.map(u32::from),
            is_default: e.is_default,
        }
    }
}

impl From<SamlAppView> for pb::SamlApp {
    fn from(a: SamlAppView) -> Self {
        pb::SamlApp {
            id: a.id,
            name: a.name,
            entity_id: a.entity_id,
            assertion_consumer_services: a
                .assertion_consumer_services
                .into_iter()
                .map(Into::into)
                .collect(),
            single_logout_services: a
                .single_logout_services
                .into_iter()
                .map(Into::into)
                .collect(),
            name_id_format: a.name_id_format,
            requests_signed: a.requests_signed,
            certificates: u32::try_from(a.certificates).unwrap_or(u32::MAX),
            idp_initiated: a.idp_initiated,
            encrypt_assertions: a.encrypt_assertions,
            metadata_url: a.metadata_url,
        }
    }
}

impl From<CreatedSamlAppView> for pb::CreateSamlAppResponse {
    fn from(c: CreatedSamlAppView) -> Self {
        pb::CreateSamlAppResponse {
            id: c.id,
            entity_id: c.entity_id,
            sequence: c.sequence,
            position: c.position,
        }
    }
}

/// A SAML app's settings (required).
fn saml_settings(s: Option<pb::SamlAppSettings>) -> Result<SamlAppSettings, domain::Error> {
    let s = required(s, "settings")?;
    Ok(SamlAppSettings {
        name: s.name,
        metadata_xml: s.metadata_xml,
        metadata_url: s.metadata_url,
        idp_initiated: s.idp_initiated,
        encrypt_assertions: s.encrypt_assertions,
        name_id_format: s.name_id_format,
    })
}

/// An app's settings; empty lists take the defaults, as absent ones do in REST.
fn settings(s: Option<pb::AppSettings>) -> Result<AppSettings, domain::Error> {
    let s = required(s, "settings")?;
    let listed = |v: Vec<String>| (!v.is_empty()).then_some(v);
    Ok(AppSettings {
        name: s.name,
        redirect_uris: s.redirect_uris,
        post_logout_redirect_uris: s.post_logout_redirect_uris,
        grant_types: listed(s.grant_types),
        response_types: listed(s.response_types),
        auth_method: s.auth_method,
        access_token_type: s.access_token_type,
        id_token_signing_alg: s.id_token_signing_alg,
        access_token_signing_alg: s.access_token_signing_alg,
        require_pushed_authorization_requests: s.require_pushed_authorization_requests,
        jwks_uri: s.jwks_uri,
        backchannel_logout_uri: s.backchannel_logout_uri,
        backchannel_logout_session_required: s.backchannel_logout_session_required,
    })
}

/// A member command from a message's member.
fn member(m: Option<pb::Member>, set: bool) -> Result<MemberCommand, domain::Error> {
    let m = required(m, "member")?;
    Ok(match set {
        false => MemberCommand::Add {
            user_id: m.user_id,
            roles: m.roles,
        },
        true => MemberCommand::Set {
            user_id: m.user_id,
            roles: m.roles,
        },
    })
}

#[tonic::async_trait]
impl pb::project_service_server::ProjectService for Api {
    rpc!(instance create_project(pb::CreateProjectRequest) -> pb::WriteReply,
        |gw, auth, r| projects::create(&gw, &auth, &r.org_id, &r.name, r.assert_roles).await);

    rpc!(instance list_projects(pb::ListProjectsRequest) -> pb::ListProjectsResponse,
    |gw, auth, r| {
        let q = list_params(r.limit, r.cursor);
        projects::list(&gw, &auth, some(r.org_id), q).await
    });

    rpc!(instance get_project(pb::GetProjectRequest) -> pb::Project,
        |gw, auth, r| projects::get(&gw, &auth, &r.id).await);

    rpc!(instance update_project(pb::UpdateProjectRequest) -> pb::WriteReply,
        |gw, auth, r| projects::update(&gw, &auth, &r.id, r.name, r.assert_roles).await);

    rpc!(instance delete_project(pb::DeleteProjectRequest) -> pb::WriteReply,
        |gw, auth, r| projects::delete(&gw, &auth, &r.id).await);

    rpc!(instance add_role(pb::AddRoleRequest) -> pb::WriteReply, |gw, auth, r| {
        let role = required(r.role, "role")?;
        projects::add_role(&gw, &auth, &r.id, role.into()).await
    });

    rpc!(instance list_roles(pb::ListRolesRequest) -> pb::ListRolesResponse,
        |gw, auth, r| projects::list_roles(&gw, &auth, &r.id, list_params(r.limit, r.cursor)).await);

    rpc!(instance remove_role(pb::RemoveRoleRequest) -> pb::WriteReply,
        |gw, auth, r| projects::remove_role(&gw, &auth, &r.id, &r.key).await);

    rpc!(instance add_project_member(pb::AddProjectMemberRequest) -> pb::WriteReply, |gw, auth, r| {
        let m = required(r.member, "member")?;
        let p = project(&gw, &auth, &r.id).await?;
        members::add(&gw, &auth, project_at(&auth, &p), m.user_id, m.roles).await
    });

    rpc!(instance list_project_members(pb::ListProjectMembersRequest) -> pb::ListProjectMembersResponse,
    |gw, auth, r| {
        let p = project(&gw, &auth, &r.id).await?;
        let q = list_params(r.limit, r.cursor);
        members::list(&gw, &auth, project_at(&auth, &p), q).await
    });

    rpc!(instance set_project_member(pb::SetProjectMemberRequest) -> pb::WriteReply, |gw, auth, r| {
        let m = required(r.member, "member")?;
        let p = project(&gw, &auth, &r.id).await?;
        members::set(&gw, &auth, project_at(&auth, &p), &m.user_id, m.roles).await
    });

    rpc!(instance remove_project_member(pb::RemoveProjectMemberRequest) -> pb::WriteReply,
    |gw, auth, r| {
        let p = project(&gw, &auth, &r.id).await?;
        members::remove(&gw, &auth, project_at(&auth, &p), &r.user_id).await
    });

    rpc!(instance create_oidc_app(pb::CreateOidcAppRequest) -> pb::CreateOidcAppResponse,
        |gw, auth, r| apps::create(&gw, &auth, &r.id, settings(r.settings)?).await);

    rpc!(instance list_apps(pb::ListAppsRequest) -> pb::ListAppsResponse,
        |gw, auth, r| apps::list(&gw, &auth, &r.id, list_params(r.limit, r.cursor)).await);

    rpc!(instance get_app(pb::GetAppRequest) -> pb::App,
        |gw, auth, r| apps::get(&gw, &auth, &r.id, &r.app_id).await);

    rpc!(instance update_app(pb::UpdateAppRequest) -> pb::WriteReply,
        |gw, auth, r| apps::update(&gw, &auth, &r.id, &r.app_id, settings(r.settings)?).await);

    rpc!(instance delete_app(pb::DeleteAppRequest) -> pb::WriteReply,
        |gw, auth, r| apps::delete(&gw, &auth, &r.id, &r.app_id).await);

    rpc!(instance create_saml_app(pb::CreateSamlAppRequest) -> pb::CreateSamlAppResponse,
        |gw, auth, r| saml_apps::create(&gw, &auth, &r.id, saml_settings(r.settings)?).await);

    rpc!(instance list_saml_apps(pb::ListSamlAppsRequest) -> pb::ListSamlAppsResponse,
        |gw, auth, r| saml_apps::list(&gw, &auth, &r.id, list_params(r.limit, r.cursor)).await);

    rpc!(instance get_saml_app(pb::GetSamlAppRequest) -> pb::SamlApp,
        |gw, auth, r| saml_apps::get(&gw, &auth, &r.id, &r.app_id).await);

    rpc!(instance update_saml_app(pb::UpdateSamlAppRequest) -> pb::WriteReply,
        |gw, auth, r| saml_apps::update(&gw, &auth, &r.id, &r.app_id, saml_settings(r.settings)?).await);

    rpc!(instance rotate_app_secret(pb::RotateAppSecretRequest) -> pb::RotateAppSecretResponse,
        |gw, auth, r| apps::rotate_secret(&gw, &auth, &r.id, &r.app_id).await);

    rpc!(instance add_app_key(pb::AddAppKeyRequest) -> pb::AddAppKeyResponse,
    |gw, auth, r| {
        let input = key_input(r.expires_at.as_ref(), r.public_key.as_deref())?;
        machine_keys::add_app_key(&gw, &auth, &r.id, &r.app_id, input).await
    });

    rpc!(instance list_app_keys(pb::ListAppKeysRequest) -> pb::ListAppKeysResponse,
        |gw, auth, r| machine_keys::list_app_keys(&gw, &auth, &r.id, &r.app_id, list_params(r.limit, r.cursor)).await);

    rpc!(instance remove_app_key(pb::RemoveAppKeyRequest) -> pb::WriteReply,
        |gw, auth, r| machine_keys::remove_app_key(&gw, &auth, &r.id, &r.app_id, &r.key_id).await);

    rpc!(instance add_grant(pb::AddGrantRequest) -> pb::WriteReply,
        |gw, auth, r| project_grants::add(&gw, &auth, &r.id, r.granted_org_id, r.role_keys).await);

    rpc!(instance list_grants(pb::ListGrantsRequest) -> pb::ListGrantsResponse,
        |gw, auth, r| project_grants::list(&gw, &auth, &r.id, list_params(r.limit, r.cursor)).await);

    rpc!(instance change_grant(pb::ChangeGrantRequest) -> pb::WriteReply,
        |gw, auth, r| project_grants::change(&gw, &auth, &r.id, &r.grant_id, r.role_keys).await);

    rpc!(instance remove_grant(pb::RemoveGrantRequest) -> pb::WriteReply,
        |gw, auth, r| project_grants::remove(&gw, &auth, &r.id, &r.grant_id).await);

    rpc!(instance add_grant_member(pb::AddGrantMemberRequest) -> pb::WriteReply, |gw, auth, r| {
        let cmd = member(r.member, false)?;
        project_grants::member(&gw, &auth, &r.id, &r.grant_id, cmd).await
    });

    rpc!(instance list_grant_members(pb::ListGrantMembersRequest) -> pb::ListGrantMembersResponse,
    |gw, auth, r| {
        let q = list_params(r.limit, r.cursor);
        project_grants::members(&gw, &auth, &r.id, &r.grant_id, q).await
    });

    rpc!(instance set_grant_member(pb::SetGrantMemberRequest) -> pb::WriteReply, |gw, auth, r| {
        let cmd = member(r.member, true)?;
        project_grants::member(&gw, &auth, &r.id, &r.grant_id, cmd).await
    });

    rpc!(instance remove_grant_member(pb::RemoveGrantMemberRequest) -> pb::WriteReply,
    |gw, auth, r| {
        let cmd = MemberCommand::Remove { user_id: r.user_id };
        project_grants::member(&gw, &auth, &r.id, &r.grant_id, cmd).await
    });
}
