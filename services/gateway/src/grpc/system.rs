//! `SystemService`: instances (REST `/v1/system/instances`).

use command::CreateInstance;

use super::call::{list_params, required, some, Api};
use super::pb;
use crate::api::system;
use crate::views::{CreatedInstanceView, InstanceView, RotatedView, WriteReply};

impl From<WriteReply> for pb::WriteReply {
    fn from(w: WriteReply) -> Self {
        pb::WriteReply {
            id: w.id.unwrap_or_default(),
            sequence: w.sequence,
            position: w.position,
        }
    }
}

impl From<InstanceView> for pb::Instance {
    fn from(i: InstanceView) -> Self {
        pb::Instance {
            id: i.id,
            name: i.name,
            domains: i.domains,
            created_at: Some(crate::times::timestamp(i.created_at)),
        }
    }
}

page!(InstanceView => pb::ListInstancesResponse);

impl From<CreatedInstanceView> for pb::CreateInstanceResponse {
    fn from(c: CreatedInstanceView) -> Self {
        pb::CreateInstanceResponse {
            id: c.id,
            admin_user_id: c.admin_user_id,
            admin_pat: c.admin_pat,
            sequence: c.sequence,
            position: c.position,
        }
    }
}

impl From<RotatedView> for pb::RotateSigningKeyResponse {
    fn from(r: RotatedView) -> Self {
        pb::RotateSigningKeyResponse {
            position: r.position,
        }
    }
}

#[tonic::async_trait]
impl pb::system_service_server::SystemService for Api {
    rpc!(system create_instance(pb::CreateInstanceRequest) -> pb::CreateInstanceResponse,
    |gw, who, r| {
        let admin = required(r.admin, "admin")?;
        let input = CreateInstance {
            name: r.name,
            domains: r.domains,
            admin_username: admin.username,
            admin_password: admin.password,
        };
        system::create_instance(&gw, &who, input).await
    });

    rpc!(system list_instances(pb::ListInstancesRequest) -> pb::ListInstancesResponse,
        |gw, who, r| system::list_instances(&gw, &who, list_params(r.limit, r.cursor)).await);

    rpc!(system get_instance(pb::GetInstanceRequest) -> pb::Instance,
        |gw, who, r| system::get_instance(&gw, &who, &r.id).await);

    rpc!(system delete_instance(pb::DeleteInstanceRequest) -> pb::WriteReply,
        |gw, who, r| system::delete_instance(&gw, &who, &r.id).await);

    rpc!(system rotate_signing_key(pb::RotateSigningKeyRequest) -> pb::RotateSigningKeyResponse,
        |gw, who, r| system::rotate_keys(&gw, &who, &r.id, some(r.alg).as_deref()).await);
}
