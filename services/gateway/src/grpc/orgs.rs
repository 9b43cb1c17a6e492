//! `InstanceService` (the caller's instance and its members) and `OrgService` (orgs and their
//! members): REST `/v1/instance...` and `/v1/orgs...`.

use tonic::{Request, Response, Status};

use super::call::{list_params, required, Api};
use super::pb;
use crate::api::members::{self, instance_at, org_at};
use crate::api::orgs;
use crate::views::{MemberView, OrgView, PageView};

impl From<OrgView> for pb::Org {
    fn from(o: OrgView) -> Self {
        pb::Org {
            id: o.id,
            name: o.name,
        }
    }
}

impl From<PageView<OrgView>> for pb::ListOrgsResponse {
    fn from(p: PageView<OrgView>) -> Self {
        pb::ListOrgsResponse {
            items: p.items.into_iter().map(Into::into).collect(),
            next_cursor: p.next_cursor.unwrap_or_default(),
        }
    }
}

impl From<PageView<MemberView>> for pb::ListMembersResponse {
    fn from(p: PageView<MemberView>) -> Self {
        pb::ListMembersResponse {
            items: p
                .items
                .into_iter()
                .map(|m| pb::Member {
                    user_id: m.user_id,
                    roles: m.roles,
                })
                .collect(),
            next_cursor: p.next_cursor.unwrap_or_default(),
        }
    }
}

#[tonic::async_trait]
impl pb::instance_service_server::InstanceService for Api {
    async fn get_instance(
        &self,
        req: Request<pb::GetMyInstanceRequest>,
    ) -> Result<Response<pb::Instance>, Status> {
        self.instance(req, |gw, auth, _| async move {
            orgs::my_instance(&gw, &auth).await
        })
        .await
    }

    async fn add_member(
        &self,
        req: Request<pb::AddInstanceMemberRequest>,
    ) -> Result<Response<pb::WriteReply>, Status> {
        self.instance(req, |gw, auth, r| async move {
            let m = required(r.member, "member")?;
            members::add(&gw, &auth, instance_at(&auth), m.user_id, m.roles).await
        })
        .await
    }

    async fn list_members(
        &self,
        req: Request<pb::ListInstanceMembersRequest>,
    ) -> Result<Response<pb::ListMembersResponse>, Status> {
        self.instance(req, |gw, auth, r| async move {
            let q = list_params(r.limit, r.cursor);
            members::list(&gw, &auth, instance_at(&auth), q).await
        })
        .await
    }

    async fn set_member(
        &self,
        req: Request<pb::SetInstanceMemberRequest>,
    ) -> Result<Response<pb::WriteReply>, Status> {
        self.instance(req, |gw, auth, r| async move {
            let m = required(r.member, "member")?;
            members::set(&gw, &auth, instance_at(&auth), &m.user_id, m.roles).await
        })
        .await
    }

    async fn remove_member(
        &self,
        req: Request<pb::RemoveInstanceMemberRequest>,
    ) -> Result<Response<pb::WriteReply>, Status> {
        self.instance(req, |gw, auth, r| async move {
            members::remove(&gw, &auth, instance_at(&auth), &r.user_id).await
        })
        .await
    }
}

#[tonic::async_trait]
impl pb::org_service_server::OrgService for Api {
    async fn create_org(
        &self,
        req: Request<pb::CreateOrgRequest>,
    ) -> Result<Response<pb::WriteReply>, Status> {
        self.instance(req, |gw, auth, r| async move {
            orgs::create(&gw, &auth, &r.name).await
        })
        .await
    }

    async fn list_orgs(
        &self,
        req: Request<pb::ListOrgsRequest>,
    ) -> Result<Response<pb::ListOrgsResponse>, Status> {
        self.instance(req, |gw, auth, r| async move {
            orgs::list(&gw, &auth, list_params(r.limit, r.cursor)).await
        })
        .await
    }

    async fn get_org(&self, req: Request<pb::GetOrgRequest>) -> Result<Response<pb::Org>, Status> {
        self.instance(req, |gw, auth, r| async move {
            orgs::get(&gw, &auth, &r.org_id).await
        })
        .await
    }

    async fn rename_org(
        &self,
        req: Request<pb::RenameOrgRequest>,
    ) -> Result<Response<pb::WriteReply>, Status> {
        self.instance(req, |gw, auth, r| async move {
            orgs::rename(&gw, &auth, &r.org_id, &r.name).await
        })
        .await
    }

    async fn delete_org(
        &self,
        req: Request<pb::DeleteOrgRequest>,
    ) -> Result<Response<pb::WriteReply>, Status> {
        self.instance(req, |gw, auth, r| async move {
            orgs::delete(&gw, &auth, &r.org_id).await
        })
        .await
    }

    async fn add_member(
        &self,
        req: Request<pb::AddOrgMemberRequest>,
    ) -> Result<Response<pb::WriteReply>, Status> {
        self.instance(req, |gw, auth, r| async move {
            let m = required(r.member, "member")?;
            members::add(&gw, &auth, org_at(&auth, &r.org_id), m.user_id, m.roles).await
        })
        .await
    }

    async fn list_members(
        &self,
        req: Request<pb::ListOrgMembersRequest>,
    ) -> Result<Response<pb::ListMembersResponse>, Status> {
        self.instance(req, |gw, auth, r| async move {
            orgs::exists(&gw, &auth, &r.org_id).await?;
            let q = list_params(r.limit, r.cursor);
            members::list(&gw, &auth, org_at(&auth, &r.org_id), q).await
        })
        .await
    }

    async fn set_member(
        &self,
        req: Request<pb::SetOrgMemberRequest>,
    ) -> Result<Response<pb::WriteReply>, Status> {
        self.instance(req, |gw, auth, r| async move {
            let m = required(r.member, "member")?;
            members::set(&gw, &auth, org_at(&auth, &r.org_id), &m.user_id, m.roles).await
        })
        .await
    }

    async fn remove_member(
        &self,
        req: Request<pb::RemoveOrgMemberRequest>,
    ) -> Result<Response<pb::WriteReply>, Status> {
        self.instance(req, |gw, auth, r| async move {
            members::remove(&gw, &auth, org_at(&auth, &r.org_id), &r.user_id).await
        })
        .await
    }
}
