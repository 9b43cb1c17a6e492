//! `InstanceService` (the caller's instance and its members) and `OrgService` (orgs and their
//! members): REST `/v1/instance...` and `/v1/orgs...`.

use super::call::{list_params, required, Api};
use super::pb;
use crate::api::members::{self, instance_at, org_at};
use crate::api::{org_domains, orgs};
use crate::views::org_domains::OrgDomainView;
use crate::views::{MemberView, OrgView};

impl From<OrgView> for pb::Org {
    fn from(o: OrgView) -> Self {
        pb::Org {
            id: o.id,
            name: o.name,
        }
    }
}

impl From<MemberView> for pb::Member {
    fn from(m: MemberView) -> Self {
        pb::Member {
            user_id: m.user_id,
            roles: m.roles,
        }
    }
}

impl From<OrgDomainView> for pb::OrgDomain {
    fn from(d: OrgDomainView) -> Self {
        pb::OrgDomain {
            domain: d.domain,
            verified: d.verified,
            http_url: d.validation.http.url,
            token: d.validation.http.token,
            dns_name: d.validation.dns.name,
            sequence: d.sequence.unwrap_or_default(),
            position: d.position.unwrap_or_default(),
        }
    }
}

page!(OrgView => pb::ListOrgsResponse);
page!(OrgDomainView => pb::ListOrgDomainsResponse);
page!(MemberView => pb::ListInstanceMembersResponse);
page!(MemberView => pb::ListOrgMembersResponse);

#[tonic::async_trait]
impl pb::instance_service_server::InstanceService for Api {
    rpc!(instance get_my_instance(pb::GetMyInstanceRequest) -> pb::Instance,
        |gw, auth, _r| orgs::my_instance(&gw, &auth).await);

    rpc!(instance add_instance_member(pb::AddInstanceMemberRequest) -> pb::WriteReply, |gw, auth, r| {
        let m = required(r.member, "member")?;
        members::add(&gw, &auth, instance_at(&auth), m.user_id, m.roles).await
    });

    rpc!(instance list_instance_members(pb::ListInstanceMembersRequest) -> pb::ListInstanceMembersResponse,
    |gw, auth, r| {
        let q = list_params(r.limit, r.cursor);
        members::list(&gw, &auth, instance_at(&auth), q).await
    });

    rpc!(instance set_instance_member(pb::SetInstanceMemberRequest) -> pb::WriteReply, |gw, auth, r| {
        let m = required(r.member, "member")?;
        members::set(&gw, &auth, instance_at(&auth), &m.user_id, m.roles).await
    });

    rpc!(instance remove_instance_member(pb::RemoveInstanceMemberRequest) -> pb::WriteReply,
        |gw, auth, r| members::remove(&gw, &auth, instance_at(&auth), &r.user_id).await);
}

#[tonic::async_trait]
impl pb::org_service_server::OrgService for Api {
    rpc!(instance create_org(pb::CreateOrgRequest) -> pb::WriteReply,
        |gw, auth, r| orgs::create(&gw, &auth, &r.name).await);

    rpc!(instance list_orgs(pb::ListOrgsRequest) -> pb::ListOrgsResponse,
        |gw, auth, r| orgs::list(&gw, &auth, list_params(r.limit, r.cursor)).await);

    rpc!(instance get_org(pb::GetOrgRequest) -> pb::Org,
        |gw, auth, r| orgs::get(&gw, &auth, &r.org_id).await);

    rpc!(instance rename_org(pb::RenameOrgRequest) -> pb::WriteReply,
        |gw, auth, r| orgs::rename(&gw, &auth, &r.org_id, &r.name).await);

    rpc!(instance delete_org(pb::DeleteOrgRequest) -> pb::WriteReply,
        |gw, auth, r| orgs::delete(&gw, &auth, &r.org_id).await);

    rpc!(instance add_org_member(pb::AddOrgMemberRequest) -> pb::WriteReply, |gw, auth, r| {
        let m = required(r.member, "member")?;
        members::add(&gw, &auth, org_at(&auth, &r.org_id), m.user_id, m.roles).await
    });

    rpc!(instance list_org_members(pb::ListOrgMembersRequest) -> pb::ListOrgMembersResponse,
    |gw, auth, r| {
        orgs::exists(&gw, &auth, &r.org_id).await?;
        let q = list_params(r.limit, r.cursor);
        members::list(&gw, &auth, org_at(&auth, &r.org_id), q).await
    });

    rpc!(instance set_org_member(pb::SetOrgMemberRequest) -> pb::WriteReply, |gw, auth, r| {
        let m = required(r.member, "member")?;
        members::set(&gw, &auth, org_at(&auth, &r.org_id), &m.user_id, m.roles).await
    });

    rpc!(instance remove_org_member(pb::RemoveOrgMemberRequest) -> pb::WriteReply,
        |gw, auth, r| members::remove(&gw, &auth, org_at(&auth, &r.org_id), &r.user_id).await);

    rpc!(instance add_org_domain(pb::AddOrgDomainRequest) -> pb::OrgDomain,
        |gw, auth, r| org_domains::add(&gw, &auth, &r.org_id, &r.domain).await);

    rpc!(instance list_org_domains(pb::ListOrgDomainsRequest) -> pb::ListOrgDomainsResponse,
        |gw, auth, r| org_domains::list(&gw, &auth, &r.org_id, list_params(r.limit, r.cursor)).await);

    rpc!(instance verify_org_domain(pb::VerifyOrgDomainRequest) -> pb::OrgDomain, |gw, auth, r| {
        let method = match pb::DomainCheck::try_from(r.method) {
            Ok(pb::DomainCheck::Http) => "http",
            Ok(pb::DomainCheck::Dns) => "dns",
            _ => "unspecified",
        };
        org_domains::verify(&gw, &auth, &r.org_id, &r.domain, method).await
    });

    rpc!(instance remove_org_domain(pb::RemoveOrgDomainRequest) -> pb::WriteReply, |gw, auth, r| {
        let written = org_domains::remove(&gw, &auth, &r.org_id, &r.domain).await?;
        Ok::<_, domain::Error>(crate::api::reply(None, written))
    });
}
