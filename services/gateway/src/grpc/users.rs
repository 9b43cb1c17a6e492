//! `UserService`: users (REST `/v1/users...` and `/v1/orgs/{org_id}/users/...`).

use command::HumanInput;
use domain::user::{Email, Profile};
use tonic::{Request, Response, Status};

use super::call::{required, some, Api};
use super::pb;
use crate::api::users::{self, ListUsers, NewMachine};
use crate::views::{PageView, UserView};

impl From<UserView> for pb::User {
    fn from(u: UserView) -> Self {
        pb::User {
            id: u.id,
            org_id: u.org_id,
            username: u.username,
            r#type: u.kind,
            state: u.state,
            display_name: u.display_name,
            profile: u.profile.map(|p| pb::Profile {
                given_name: p.given_name,
                family_name: p.family_name,
                display_name: p.display_name,
                preferred_language: p.preferred_language,
            }),
            email: u.email.map(|e| pb::Email {
                address: e.address,
                verified: e.verified,
            }),
            phone: u.phone.map(|p| pb::Phone {
                number: p.number,
                verified: p.verified,
            }),
            name: u.name,
            description: u.description,
            has_secret: u.has_secret,
        }
    }
}

impl From<PageView<UserView>> for pb::ListUsersResponse {
    fn from(p: PageView<UserView>) -> Self {
        pb::ListUsersResponse {
            items: p.items.into_iter().map(Into::into).collect(),
            next_cursor: p.next_cursor.unwrap_or_default(),
        }
    }
}

#[tonic::async_trait]
impl pb::user_service_server::UserService for Api {
    async fn create_human_user(
        &self,
        req: Request<pb::CreateHumanUserRequest>,
    ) -> Result<Response<pb::WriteReply>, Status> {
        self.instance(req, |gw, auth, r| async move {
            let profile = required(r.profile, "profile")?;
            let email = required(r.email, "email")?;
            let input = HumanInput {
                org_id: r.org_id,
                username: r.username,
                profile: Profile {
                    given_name: profile.given_name,
                    family_name: profile.family_name,
                    display_name: profile.display_name.unwrap_or_default(),
                    preferred_language: profile.preferred_language,
                },
                email: Email {
                    address: email.address,
                    verified: email.verified,
                },
                phone: r.phone,
                password: r.password,
            };
            users::create_human(&gw, &auth, input).await
        })
        .await
    }

    async fn create_machine_user(
        &self,
        req: Request<pb::CreateMachineUserRequest>,
    ) -> Result<Response<pb::WriteReply>, Status> {
        self.instance(req, |gw, auth, r| async move {
            let input = NewMachine {
                org_id: r.org_id,
                username: r.username,
                name: r.name,
                description: r.description.unwrap_or_default(),
            };
            users::create_machine(&gw, &auth, input).await
        })
        .await
    }

    async fn get_user(
        &self,
        req: Request<pb::GetUserRequest>,
    ) -> Result<Response<pb::User>, Status> {
        self.instance(req, |gw, auth, r| async move {
            users::get(&gw, &auth, &r.id).await
        })
        .await
    }

    async fn get_me(&self, req: Request<pb::GetMeRequest>) -> Result<Response<pb::User>, Status> {
        self.instance(
            req,
            |gw, auth, _| async move { users::me(&gw, &auth).await },
        )
        .await
    }

    async fn list_users(
        &self,
        req: Request<pb::ListUsersRequest>,
    ) -> Result<Response<pb::ListUsersResponse>, Status> {
        self.instance(req, |gw, auth, r| async move {
            let q = ListUsers {
                filter: readmodel::UserFilter {
                    org_id: some(r.org_id),
                    username: some(r.username),
                },
                limit: (r.limit != 0).then_some(r.limit as usize),
                cursor: some(r.cursor),
            };
            users::list(&gw, &auth, q).await
        })
        .await
    }

    async fn delete_user(
        &self,
        req: Request<pb::DeleteUserRequest>,
    ) -> Result<Response<pb::WriteReply>, Status> {
        self.instance(req, |gw, auth, r| async move {
            users::delete(&gw, &auth, &r.id).await
        })
        .await
    }
}
