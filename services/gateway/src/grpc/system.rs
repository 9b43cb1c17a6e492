//! `SystemService`: instances (REST `/v1/system/instances`).

use command::CreateInstance;
use tonic::{Request, Response, Status};

use super::call::{list_params, required, Api};
use super::pb;
use crate::api::system;
use crate::views::{CreatedInstanceView, InstanceView, PageView, WriteReply};

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
            created_at: i.created_at,
        }
    }
}

impl From<PageView<InstanceView>> for pb::ListInstancesResponse {
    fn from(p: PageView<InstanceView>) -> Self {
        pb::ListInstancesResponse {
            items: p.items.into_iter().map(Into::into).collect(),
            next_cursor: p.next_cursor.unwrap_or_default(),
        }
    }
}

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

#[tonic::async_trait]
impl pb::system_service_server::SystemService for Api {
    async fn create_instance(
        &self,
        req: Request<pb::CreateInstanceRequest>,
    ) -> Result<Response<pb::CreateInstanceResponse>, Status> {
        self.system(req, |gw, who, r| async move {
            let admin = required(r.admin, "admin")?;
            let input = CreateInstance {
                name: r.name,
                domains: r.domains,
                admin_username: admin.username,
                admin_password: admin.password,
            };
            system::create_instance(&gw, &who, input).await
        })
        .await
    }

    async fn list_instances(
        &self,
        req: Request<pb::ListInstancesRequest>,
    ) -> Result<Response<pb::ListInstancesResponse>, Status> {
        self.system(req, |gw, who, r| async move {
            system::list_instances(&gw, &who, list_params(r.limit, r.cursor)).await
        })
        .await
    }

    async fn get_instance(
        &self,
        req: Request<pb::GetInstanceRequest>,
    ) -> Result<Response<pb::Instance>, Status> {
        self.system(req, |gw, who, r| async move {
            system::get_instance(&gw, &who, &r.id).await
        })
        .await
    }

    async fn delete_instance(
        &self,
        req: Request<pb::DeleteInstanceRequest>,
    ) -> Result<Response<pb::WriteReply>, Status> {
        self.system(req, |gw, who, r| async move {
            system::delete_instance(&gw, &who, &r.id).await
        })
        .await
    }
}
