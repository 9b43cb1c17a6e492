//! `AuthorizationService`: user grants and the permission check (REST `/v1/users/{id}/grants`
//! and `/v1/permissions/check`).

use super::call::{list_params, required, Api};
use super::pb;
use crate::api::permissions::{self, CheckQuery};
use crate::api::user_grants::{self, NewGrant};
use crate::views::{CheckView, UserGrantView};

impl From<UserGrantView> for pb::UserGrant {
    fn from(g: UserGrantView) -> Self {
        pb::UserGrant {
            id: g.id,
            user_id: g.user_id,
            project_id: g.project_id,
            project_grant_id: g.project_grant_id,
            role_keys: g.role_keys,
        }
    }
}

impl From<CheckView> for pb::CheckPermissionResponse {
    fn from(c: CheckView) -> Self {
        pb::CheckPermissionResponse {
            allowed: c.allowed,
            because: c.because,
        }
    }
}

page!(UserGrantView => pb::ListUserGrantsResponse);

#[tonic::async_trait]
impl pb::authorization_service_server::AuthorizationService for Api {
    rpc!(instance create_user_grant(pb::CreateUserGrantRequest) -> pb::WriteReply,
    |gw, auth, r| {
        let grant = NewGrant {
            project_id: r.project_id,
            project_grant_id: r.project_grant_id,
            role_keys: r.role_keys,
        };
        user_grants::create(&gw, &auth, &r.id, grant).await
    });

    rpc!(instance list_user_grants(pb::ListUserGrantsRequest) -> pb::ListUserGrantsResponse,
        |gw, auth, r| user_grants::list(&gw, &auth, &r.id, list_params(r.limit, r.cursor)).await);

    rpc!(instance change_user_grant(pb::ChangeUserGrantRequest) -> pb::WriteReply,
        |gw, auth, r| user_grants::change(&gw, &auth, &r.id, &r.grant_id, r.role_keys).await);

    rpc!(instance remove_user_grant(pb::RemoveUserGrantRequest) -> pb::WriteReply,
        |gw, auth, r| user_grants::remove(&gw, &auth, &r.id, &r.grant_id).await);

    rpc!(instance check_permission(pb::CheckPermissionRequest) -> pb::CheckPermissionResponse,
    |gw, auth, r| {
        let resource = required(r.resource, "resource")?;
        let query = CheckQuery {
            user_id: r.user_id,
            permission: r.permission,
            kind: resource.r#type,
            id: resource.id,
        };
        permissions::check(&gw, &auth, query).await
    });
}
