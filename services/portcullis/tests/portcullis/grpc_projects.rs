//! Every `ProjectService` and `AuthorizationService` method through the tonic client, its
//! effect read back through REST (and REST's answers compared with the gRPC reads).

use gateway::grpc::pb;
use pb::authorization_service_client::AuthorizationServiceClient;
use pb::project_service_client::ProjectServiceClient;
use serde_json::{json, Value};
use testkit::server;

use super::default_org;
use super::grpc::{block, channel, Seen};

fn project_json(p: &pb::Project) -> Value {
    json!({"id": p.id, "org_id": p.org_id, "name": p.name, "assert_roles": p.assert_roles})
}

fn role_json(r: &pb::Role) -> Value {
    let mut v = json!({"key": r.key, "display_name": r.display_name});
    if let Some(g) = &r.group {
        v["group"] = json!(g);
    }
    v
}

fn member_json(m: &pb::Member) -> Value {
    json!({"user_id": m.user_id, "roles": m.roles})
}

fn app_json(a: &pb::App) -> Value {
    let mut out = json!({"id": a.id, "client_id": a.client_id, "name": a.name,
           "redirect_uris": a.redirect_uris, "post_logout_redirect_uris": a.post_logout_redirect_uris,
           "grant_types": a.grant_types, "response_types": a.response_types,
           "auth_method": a.auth_method, "access_token_type": a.access_token_type,
           "id_token_signing_alg": a.id_token_signing_alg,
           "access_token_signing_alg": a.access_token_signing_alg, "has_secret": a.has_secret,
           "require_pushed_authorization_requests": a.require_pushed_authorization_requests,
           "backchannel_logout_session_required": a.backchannel_logout_session_required});
    for (name, value) in [
        ("jwks_uri", &a.jwks_uri),
        ("backchannel_logout_uri", &a.backchannel_logout_uri),
    ] {
        if let Some(v) = value {
            out[name] = json!(v);
        }
    }
    out
}

fn grant_json(g: &pb::Grant) -> Value {
    json!({"id": g.id, "project_id": g.project_id, "granted_org_id": g.granted_org_id,
           "role_keys": g.role_keys})
}

fn user_grant_json(g: &pb::UserGrant) -> Value {
    let mut v = json!({"id": g.id, "user_id": g.user_id, "project_id": g.project_id,
                       "role_keys": g.role_keys});
    if let Some(p) = &g.project_grant_id {
        v["project_grant_id"] = json!(p);
    }
    v
}

fn items<T>(list: &[T], f: fn(&T) -> Value) -> Value {
    Value::Array(list.iter().map(f).collect())
}

/// The same member, as a set.
fn set_grant_member(add: pb::AddGrantMemberRequest) -> pb::SetGrantMemberRequest {
    pb::SetGrantMemberRequest {
        id: add.id,
        grant_id: add.grant_id,
        member: add.member,
    }
}

fn settings(redirect: &str) -> pb::AppSettings {
    pb::AppSettings {
        name: "web".into(),
        redirect_uris: vec![redirect.into()],
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        auth_method: "client_secret_basic".into(),
        access_token_type: Some("opaque".into()),
        id_token_signing_alg: Some("ES256".into()),
        ..Default::default()
    }
}

#[test]
fn every_project_and_authorization_method_does_what_its_rest_route_does() {
    let t = server().tenant();
    let home = default_org(&t);
    let partner = t
        .client
        .post("/v1/orgs", json!({"name": "Partner"}))
        .str("id");
    let machine = |org: &str, name: &str| {
        let r = t.client.post(
            &format!("/v1/orgs/{org}/users/machine"),
            json!({"username": name, "name": name}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        r.str("id")
    };
    let (staff, outsider) = (machine(&home, "staff"), machine(&partner, "outsider"));
    let pat = t.admin_pat.as_str();
    block(async {
        let ch = channel(&t.domain).await;
        let seen = Seen::after(&t.position);
        let mut projects = ProjectServiceClient::new(ch.clone());
        let mut authz = AuthorizationServiceClient::new(ch.clone());
        let rest = |at: &str| t.client.clone().at(at);

        // Projects.
        let created = projects
            .create_project(seen.req(
                pb::CreateProjectRequest {
                    org_id: home.clone(),
                    name: "Shop".into(),
                    assert_roles: false,
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("CreateProject");
        let id = created.id.clone();
        let updated = projects
            .update_project(seen.req(
                pb::UpdateProjectRequest {
                    id: id.clone(),
                    name: Some("Store".into()),
                    assert_roles: Some(true),
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("UpdateProject");
        let at = updated.position.clone();
        let got = projects
            .get_project(seen.req(pb::GetProjectRequest { id: id.clone() }, pat))
            .await
            .expect("GetProject")
            .into_inner();
        let by_rest = rest(&at).get(&format!("/v1/projects/{id}"));
        assert_eq!(project_json(&got), by_rest.body);
        assert_eq!(by_rest.body["name"], "Store");
        assert_eq!(by_rest.body["assert_roles"], true);
        let listed = projects
            .list_projects(seen.req(
                pb::ListProjectsRequest {
                    org_id: home.clone(),
                    ..Default::default()
                },
                pat,
            ))
            .await
            .expect("ListProjects")
            .into_inner();
        let rest_list = rest(&at).get(&format!("/v1/projects?org_id={home}"));
        assert_eq!(items(&listed.items, project_json), rest_list.body["items"]);

        // Roles.
        for (key, group) in [("admin", Some("staff")), ("editor", None), ("viewer", None)] {
            projects
                .add_role(seen.req(
                    pb::AddRoleRequest {
                        id: id.clone(),
                        role: Some(pb::Role {
                            key: key.into(),
                            display_name: key.to_uppercase(),
                            group: group.map(str::to_string),
                        }),
                    },
                    pat,
                ))
                .await
                .map(|r| seen.wrote(r))
                .expect("AddRole");
        }
        let removed = projects
            .remove_role(seen.req(
                pb::RemoveRoleRequest {
                    id: id.clone(),
                    key: "viewer".into(),
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("RemoveRole");
        let at = removed.position.clone();
        let roles = projects
            .list_roles(seen.req(
                pb::ListRolesRequest {
                    id: id.clone(),
                    ..Default::default()
                },
                pat,
            ))
            .await
            .expect("ListRoles")
            .into_inner();
        let rest_roles = rest(&at).get(&format!("/v1/projects/{id}/roles"));
        assert_eq!(items(&roles.items, role_json), rest_roles.body["items"]);
        let keys: Vec<&str> = roles.items.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["admin", "editor"]);

        // Members.
        projects
            .add_project_member(seen.req(
                pb::AddProjectMemberRequest {
                    id: id.clone(),
                    member: Some(pb::Member {
                        user_id: staff.clone(),
                        roles: vec!["PROJECT_OWNER_VIEWER".into()],
                    }),
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("AddMember");
        let set = projects
            .set_project_member(seen.req(
                pb::SetProjectMemberRequest {
                    id: id.clone(),
                    member: Some(pb::Member {
                        user_id: staff.clone(),
                        roles: vec!["PROJECT_OWNER".into()],
                    }),
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("SetMember");
        let members = projects
            .list_project_members(seen.req(
                pb::ListProjectMembersRequest {
                    id: id.clone(),
                    ..Default::default()
                },
                pat,
            ))
            .await
            .expect("ListMembers")
            .into_inner();
        let rest_members = rest(&set.position).get(&format!("/v1/projects/{id}/members"));
        assert_eq!(
            items(&members.items, member_json),
            rest_members.body["items"]
        );
        assert_eq!(
            rest_members.body["items"],
            json!([{"user_id": staff, "roles": ["PROJECT_OWNER"]}])
        );
        let gone = projects
            .remove_project_member(seen.req(
                pb::RemoveProjectMemberRequest {
                    id: id.clone(),
                    user_id: staff.clone(),
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("RemoveMember");
        let after = rest(&gone.position).get(&format!("/v1/projects/{id}/members"));
        assert_eq!(after.body["items"], json!([]));

        // Apps.
        let app = projects
            .create_oidc_app(seen.req(
                pb::CreateOidcAppRequest {
                    id: id.clone(),
                    settings: Some(settings("https://shop.example.com/cb")),
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("CreateOidcApp");
        assert!(
            app.client_secret.is_some(),
            "a confidential app gets a secret"
        );
        let app_path = format!("/v1/projects/{id}/apps/{}", app.id);
        let by_grpc = projects
            .get_app(seen.req(
                pb::GetAppRequest {
                    id: id.clone(),
                    app_id: app.id.clone(),
                },
                pat,
            ))
            .await
            .expect("GetApp")
            .into_inner();
        let by_rest = rest(&app.position).get(&app_path);
        assert_eq!(app_json(&by_grpc), by_rest.body);
        assert_eq!(by_rest.body["access_token_type"], "opaque");
        assert_eq!(by_rest.body["id_token_signing_alg"], "ES256");
        let updated = projects
            .update_app(seen.req(
                pb::UpdateAppRequest {
                    id: id.clone(),
                    app_id: app.id.clone(),
                    settings: Some(settings("https://shop.example.com/callback")),
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("UpdateApp");
        let apps = projects
            .list_apps(seen.req(
                pb::ListAppsRequest {
                    id: id.clone(),
                    ..Default::default()
                },
                pat,
            ))
            .await
            .expect("ListApps")
            .into_inner();
        let rest_apps = rest(&updated.position).get(&format!("/v1/projects/{id}/apps"));
        assert_eq!(items(&apps.items, app_json), rest_apps.body["items"]);
        assert_eq!(
            rest_apps.body["items"][0]["redirect_uris"],
            json!(["https://shop.example.com/callback"])
        );
        let rotated = projects
            .rotate_app_secret(seen.req(
                pb::RotateAppSecretRequest {
                    id: id.clone(),
                    app_id: app.id.clone(),
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("RotateAppSecret");
        assert_eq!(rotated.client_id, app.client_id);
        assert!(rotated.client_secret.is_some() && rotated.client_secret != app.client_secret);
        let deleted = projects
            .delete_app(seen.req(
                pb::DeleteAppRequest {
                    id: id.clone(),
                    app_id: app.id.clone(),
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("DeleteApp");
        assert_eq!(
            rest(&deleted.position).get(&app_path).error(),
            (404, "APP-0001")
        );

        // Grants to another org, and their members.
        let grant = projects
            .add_grant(seen.req(
                pb::AddGrantRequest {
                    id: id.clone(),
                    granted_org_id: partner.clone(),
                    role_keys: vec!["admin".into(), "editor".into()],
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("AddGrant");
        let changed = projects
            .change_grant(seen.req(
                pb::ChangeGrantRequest {
                    id: id.clone(),
                    grant_id: grant.id.clone(),
                    role_keys: vec!["editor".into()],
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("ChangeGrant");
        let grants = projects
            .list_grants(seen.req(
                pb::ListGrantsRequest {
                    id: id.clone(),
                    ..Default::default()
                },
                pat,
            ))
            .await
            .expect("ListGrants")
            .into_inner();
        let rest_grants = rest(&changed.position).get(&format!("/v1/projects/{id}/grants"));
        assert_eq!(items(&grants.items, grant_json), rest_grants.body["items"]);
        assert_eq!(rest_grants.body["items"][0]["role_keys"], json!(["editor"]));
        let grant_member = |roles: &[&str]| pb::AddGrantMemberRequest {
            id: id.clone(),
            grant_id: grant.id.clone(),
            member: Some(pb::Member {
                user_id: outsider.clone(),
                roles: roles.iter().map(|r| r.to_string()).collect(),
            }),
        };
        projects
            .add_grant_member(seen.req(grant_member(&["PROJECT_GRANT_OWNER_VIEWER"]), pat))
            .await
            .map(|r| seen.wrote(r))
            .expect("AddGrantMember");
        let set = projects
            .set_grant_member(seen.req(
                set_grant_member(grant_member(&["PROJECT_GRANT_OWNER"])),
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("SetGrantMember");
        let grant_members = projects
            .list_grant_members(seen.req(
                pb::ListGrantMembersRequest {
                    id: id.clone(),
                    grant_id: grant.id.clone(),
                    ..Default::default()
                },
                pat,
            ))
            .await
            .expect("ListGrantMembers")
            .into_inner();
        let members_path = format!("/v1/projects/{id}/grants/{}/members", grant.id);
        let rest_members = rest(&set.position).get(&members_path);
        assert_eq!(
            items(&grant_members.items, member_json),
            rest_members.body["items"]
        );
        assert_eq!(
            rest_members.body["items"],
            json!([{"user_id": outsider, "roles": ["PROJECT_GRANT_OWNER"]}])
        );

        // User grants and the permission check.
        let user_grant = authz
            .create_user_grant(seen.req(
                pb::CreateUserGrantRequest {
                    id: outsider.clone(),
                    project_id: id.clone(),
                    project_grant_id: Some(grant.id.clone()),
                    role_keys: vec!["editor".into()],
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("CreateUserGrant");
        let direct = authz
            .create_user_grant(seen.req(
                pb::CreateUserGrantRequest {
                    id: staff.clone(),
                    project_id: id.clone(),
                    project_grant_id: None,
                    role_keys: vec!["admin".into(), "editor".into()],
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("CreateUserGrant, direct");
        let changed = authz
            .change_user_grant(seen.req(
                pb::ChangeUserGrantRequest {
                    id: staff.clone(),
                    grant_id: direct.id.clone(),
                    role_keys: vec!["admin".into()],
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("ChangeUserGrant");
        let at = format!("{},{}", user_grant.position, changed.position);
        for user in [&outsider, &staff] {
            let listed = authz
                .list_user_grants(seen.req(
                    pb::ListUserGrantsRequest {
                        id: user.clone(),
                        ..Default::default()
                    },
                    pat,
                ))
                .await
                .expect("ListUserGrants")
                .into_inner();
            let rest_list = rest(&at).get(&format!("/v1/users/{user}/grants"));
            assert_eq!(
                items(&listed.items, user_grant_json),
                rest_list.body["items"]
            );
            assert_eq!(listed.items.len(), 1);
        }
        let check = |user: &str, permission: &str| pb::CheckPermissionRequest {
            user_id: user.into(),
            permission: permission.into(),
            resource: Some(pb::check_permission_request::Resource {
                r#type: "project".into(),
                id: id.clone(),
            }),
        };
        for (user, permission) in [(&outsider, "project.read"), (&staff, "project.write")] {
            let decided = authz
                .check_permission(seen.req(check(user, permission), pat))
                .await
                .expect("CheckPermission")
                .into_inner();
            let rest_check = rest(&at).post(
                "/v1/permissions/check",
                json!({"user_id": user, "permission": permission,
                       "resource": {"type": "project", "id": id}}),
            );
            assert_eq!(
                json!({"allowed": decided.allowed, "because": decided.because}),
                rest_check.body
            );
        }
        let removed = authz
            .remove_user_grant(seen.req(
                pb::RemoveUserGrantRequest {
                    id: staff.clone(),
                    grant_id: direct.id.clone(),
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("RemoveUserGrant");
        let left = rest(&removed.position).get(&format!("/v1/users/{staff}/grants"));
        assert_eq!(left.body["items"], json!([]));

        // Removals.
        let gone = projects
            .remove_grant_member(seen.req(
                pb::RemoveGrantMemberRequest {
                    id: id.clone(),
                    grant_id: grant.id.clone(),
                    user_id: outsider.clone(),
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("RemoveGrantMember");
        assert_eq!(
            rest(&gone.position).get(&members_path).body["items"],
            json!([])
        );
        let gone = projects
            .remove_grant(seen.req(
                pb::RemoveGrantRequest {
                    id: id.clone(),
                    grant_id: grant.id.clone(),
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("RemoveGrant");
        let grants_path = format!("/v1/projects/{id}/grants");
        assert_eq!(
            rest(&gone.position).get(&grants_path).body["items"],
            json!([])
        );
        let outsider_grants = rest(&gone.position).get(&format!("/v1/users/{outsider}/grants"));
        assert_eq!(
            outsider_grants.body["items"],
            json!([]),
            "the grant's user grants go too"
        );
        let gone = projects
            .delete_project(seen.req(pb::DeleteProjectRequest { id: id.clone() }, pat))
            .await
            .map(|r| seen.wrote(r))
            .expect("DeleteProject");
        let project = rest(&gone.position).get(&format!("/v1/projects/{id}"));
        assert_eq!(project.error(), (404, "PROJECT-0001"));
    });
}
