//! `UserService`: users, their changes, metadata, tokens and memberships (REST `/v1/users...`
//! and `/v1/orgs/{org_id}/users/...`).

use command::{HumanInput, PasswordChange};
use domain::user::{Email, Profile, ProfilePatch, UserChange};

use super::call::{list_params, page_size, required, some, Api};
use super::machine_keys::key_input;
use super::pb;
use crate::api::machine_keys;
use crate::api::pats;
use crate::api::permissions;
use crate::api::sessions;
use crate::api::user_changes::{self, MetadataEntry};
use crate::api::users::{self, ListUsers, NewMachine};
use crate::views::{CreatedPatView, MembershipView, PatView, SecretView, SessionView, UserView};

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

impl From<MetadataEntry> for pb::Metadata {
    fn from(m: MetadataEntry) -> Self {
        pb::Metadata {
            key: m.key,
            value: m.value,
        }
    }
}

impl From<PatView> for pb::PersonalAccessToken {
    fn from(p: PatView) -> Self {
        pb::PersonalAccessToken {
            id: p.id,
            expires_at: p.expires_at.map(crate::times::timestamp),
        }
    }
}

impl From<CreatedPatView> for pb::CreatePersonalAccessTokenResponse {
    fn from(p: CreatedPatView) -> Self {
        pb::CreatePersonalAccessTokenResponse {
            id: p.id,
            token: p.token,
            sequence: p.sequence,
            position: p.position,
        }
    }
}

impl From<SecretView> for pb::NewMachineSecretResponse {
    fn from(s: SecretView) -> Self {
        pb::NewMachineSecretResponse {
            client_id: s.client_id,
            client_secret: s.client_secret,
            sequence: s.sequence,
            position: s.position,
        }
    }
}

impl From<MembershipView> for pb::Membership {
    fn from(m: MembershipView) -> Self {
        pb::Membership {
            level: m.level,
            resource_id: m.resource_id,
            roles: m.roles,
        }
    }
}

page!(UserView => pb::ListUsersResponse);
page!(MetadataEntry => pb::ListMetadataResponse);
page!(PatView => pb::ListPersonalAccessTokensResponse);
page!(MembershipView => pb::ListMembershipsResponse);
page!(SessionView => pb::ListSessionsResponse);

impl From<SessionView> for pb::Session {
    fn from(s: SessionView) -> Self {
        pb::Session {
            id: s.id,
            started_at: Some(crate::times::timestamp(s.started_at)),
            auth_time: Some(crate::times::timestamp(s.auth_time)),
            last_used: Some(crate::times::timestamp(s.last_used)),
            expires_at: Some(crate::times::timestamp(s.expires_at)),
        }
    }
}

/// A new human's profile and email, both required.
fn profile_and_email(
    profile: Option<pb::create_human_user_request::NewProfile>,
    email: Option<pb::create_human_user_request::NewEmail>,
) -> Result<(Profile, Email), domain::Error> {
    let profile = required(profile, "profile")?;
    let email = required(email, "email")?;
    Ok((
        Profile {
            given_name: profile.given_name,
            family_name: profile.family_name,
            display_name: profile.display_name.unwrap_or_default(),
            preferred_language: profile.preferred_language,
        },
        Email {
            address: email.address,
            verified: email.verified,
        },
    ))
}

fn human(r: pb::CreateHumanUserRequest) -> Result<HumanInput, domain::Error> {
    let (profile, email) = profile_and_email(r.profile, r.email)?;
    Ok(HumanInput {
        org_id: r.org_id,
        username: r.username,
        profile,
        email,
        phone: r.phone,
        password: r.password,
        then: vec![],
    })
}

fn imported(h: pb::ImportedHuman) -> Result<command::ImportedUser, domain::Error> {
    let (profile, email) = profile_and_email(h.profile, h.email)?;
    Ok(command::ImportedUser {
        username: h.username,
        profile,
        email,
        phone: h.phone,
        password_hash: h.password_hash,
        password_change_required: h.password_change_required,
    })
}

impl From<crate::api::user_import::ImportReply> for pb::ImportUsersResponse {
    fn from(r: crate::api::user_import::ImportReply) -> Self {
        pb::ImportUsersResponse {
            created: r.created as u32,
            failed: r.failed as u32,
            items: r
                .items
                .into_iter()
                .map(|i| pb::ImportedUser {
                    index: i.index as u32,
                    id: i.id.unwrap_or_default(),
                    error_code: i.error.as_ref().map(|e| e.code.clone()).unwrap_or_default(),
                    error_message: i.error.map(|e| e.message).unwrap_or_default(),
                })
                .collect(),
        }
    }
}

#[tonic::async_trait]
impl pb::user_service_server::UserService for Api {
    rpc!(instance import_users(pb::ImportUsersRequest) -> pb::ImportUsersResponse, |gw, auth, r| {
        let users = r.users.into_iter().map(imported).collect::<Result<Vec<_>, _>>()?;
        crate::api::user_import::import_users(&gw, &auth, &r.org_id, users).await
    });

    rpc!(instance create_human_user(pb::CreateHumanUserRequest) -> pb::WriteReply,
        |gw, auth, r| users::create_human(&gw, &auth, human(r)?).await);

    rpc!(instance create_machine_user(pb::CreateMachineUserRequest) -> pb::WriteReply,
    |gw, auth, r| {
        let input = NewMachine {
            org_id: r.org_id,
            username: r.username,
            name: r.name,
            description: r.description.unwrap_or_default(),
        };
        users::create_machine(&gw, &auth, input).await
    });

    rpc!(instance get_user(pb::GetUserRequest) -> pb::User,
        |gw, auth, r| users::get(&gw, &auth, &r.id).await);

    rpc!(instance get_me(pb::GetMeRequest) -> pb::User,
        |gw, auth, _r| users::me(&gw, &auth).await);

    rpc!(instance list_users(pb::ListUsersRequest) -> pb::ListUsersResponse, |gw, auth, r| {
        let q = ListUsers {
            filter: readmodel::UserFilter {
                org_id: some(r.org_id),
                username: some(r.username),
                username_prefix: some(r.username_prefix),
            },
            limit: page_size(r.limit),
            cursor: some(r.cursor),
        };
        users::list(&gw, &auth, q).await
    });

    rpc!(instance delete_user(pb::DeleteUserRequest) -> pb::WriteReply,
        |gw, auth, r| users::delete(&gw, &auth, &r.id).await);

    rpc!(instance update_profile(pb::UpdateProfileRequest) -> pb::WriteReply, |gw, auth, r| {
        let patch = ProfilePatch {
            given_name: r.given_name,
            family_name: r.family_name,
            display_name: r.display_name,
            preferred_language: r.preferred_language,
            name: r.name,
            description: r.description,
        };
        user_changes::change(&gw, &auth, &r.id, UserChange::Profile(patch)).await
    });

    rpc!(instance set_email(pb::SetEmailRequest) -> pb::WriteReply, |gw, auth, r| {
        let change = UserChange::Email {
            address: r.address,
            verified: r.verified,
        };
        user_changes::change(&gw, &auth, &r.id, change).await
    });

    rpc!(instance set_phone(pb::SetPhoneRequest) -> pb::WriteReply, |gw, auth, r| {
        let change = UserChange::Phone {
            phone: r.phone,
            verified: r.verified,
        };
        user_changes::change(&gw, &auth, &r.id, change).await
    });

    rpc!(instance set_password(pb::SetPasswordRequest) -> pb::WriteReply, |gw, auth, r| {
        let change = PasswordChange {
            current_password: r.current_password,
            new_password: r.new_password,
        };
        user_changes::change_password(&gw, &auth, &r.id, change).await
    });

    rpc!(instance deactivate_user(pb::DeactivateUserRequest) -> pb::WriteReply,
        |gw, auth, r| user_changes::change(&gw, &auth, &r.id, UserChange::Deactivate).await);

    rpc!(instance reactivate_user(pb::ReactivateUserRequest) -> pb::WriteReply,
        |gw, auth, r| user_changes::change(&gw, &auth, &r.id, UserChange::Reactivate).await);

    rpc!(instance lock_user(pb::LockUserRequest) -> pb::WriteReply,
        |gw, auth, r| user_changes::change(&gw, &auth, &r.id, UserChange::Lock).await);

    rpc!(instance unlock_user(pb::UnlockUserRequest) -> pb::WriteReply,
        |gw, auth, r| user_changes::change(&gw, &auth, &r.id, UserChange::Unlock).await);

    rpc!(instance set_metadata(pb::SetMetadataRequest) -> pb::WriteReply, |gw, auth, r| {
        let change = UserChange::SetMetadata {
            key: r.key,
            value: r.value,
        };
        user_changes::change(&gw, &auth, &r.id, change).await
    });

    rpc!(instance list_metadata(pb::ListMetadataRequest) -> pb::ListMetadataResponse,
    |gw, auth, r| {
        let q = list_params(r.limit, r.cursor);
        user_changes::list_metadata(&gw, &auth, &r.id, q).await
    });

    rpc!(instance remove_metadata(pb::RemoveMetadataRequest) -> pb::WriteReply,
    |gw, auth, r| {
        let change = UserChange::RemoveMetadata { key: r.key };
        user_changes::change(&gw, &auth, &r.id, change).await
    });

    rpc!(instance create_personal_access_token(pb::CreatePersonalAccessTokenRequest)
        -> pb::CreatePersonalAccessTokenResponse,
    |gw, auth, r| {
        let expires_at = r
            .expires_at
            .as_ref()
            .map(|t| crate::times::from_timestamp(t, "expires_at"))
            .transpose()?;
        pats::create(&gw, &auth, &r.id, expires_at).await
    });

    rpc!(instance list_personal_access_tokens(pb::ListPersonalAccessTokensRequest)
            -> pb::ListPersonalAccessTokensResponse,
        |gw, auth, r| pats::list(&gw, &auth, &r.id, list_params(r.limit, r.cursor)).await);

    rpc!(instance revoke_personal_access_token(pb::RevokePersonalAccessTokenRequest)
            -> pb::WriteReply,
        |gw, auth, r| pats::revoke(&gw, &auth, &r.id, &r.pat_id).await);

    rpc!(instance add_machine_key(pb::AddMachineKeyRequest) -> pb::AddMachineKeyResponse,
    |gw, auth, r| {
        let input = key_input(r.expires_at.as_ref(), r.public_key.as_deref())?;
        machine_keys::add_user_key(&gw, &auth, &r.id, input).await
    });

    rpc!(instance list_machine_keys(pb::ListMachineKeysRequest) -> pb::ListMachineKeysResponse,
        |gw, auth, r| machine_keys::list_user_keys(&gw, &auth, &r.id, list_params(r.limit, r.cursor)).await);

    rpc!(instance remove_machine_key(pb::RemoveMachineKeyRequest) -> pb::WriteReply,
        |gw, auth, r| machine_keys::remove_user_key(&gw, &auth, &r.id, &r.key_id).await);

    rpc!(instance list_idp_links(pb::ListIdpLinksRequest) -> pb::ListIdpLinksResponse,
        |gw, auth, r| crate::api::idp_links::list(&gw, &auth, &r.id, list_params(r.limit, r.cursor)).await);

    rpc!(instance unlink_idp(pb::UnlinkIdpRequest) -> pb::WriteReply,
        |gw, auth, r| crate::api::idp_links::unlink(&gw, &auth, &r.id, &r.idp_id, &r.external_id).await);

    rpc!(instance new_machine_secret(pb::NewMachineSecretRequest) -> pb::NewMachineSecretResponse,
        |gw, auth, r| user_changes::new_secret(&gw, &auth, &r.id).await);

    rpc!(instance remove_machine_secret(pb::RemoveMachineSecretRequest) -> pb::WriteReply,
        |gw, auth, r| user_changes::change(&gw, &auth, &r.id, UserChange::RemoveSecret).await);

    rpc!(instance list_memberships(pb::ListMembershipsRequest) -> pb::ListMembershipsResponse,
    |gw, auth, r| {
        let q = list_params(r.limit, r.cursor);
        permissions::memberships(&gw, &auth, &r.id, q).await
    });

    rpc!(instance list_sessions(pb::ListSessionsRequest) -> pb::ListSessionsResponse,
        |gw, auth, r| sessions::list(&gw, &auth, &r.id, list_params(r.limit, r.cursor)).await);

    rpc!(instance end_session(pb::EndSessionRequest) -> pb::WriteReply,
        |gw, auth, r| sessions::end(&gw, &auth, &r.id, Some(&r.session_id)).await);

    rpc!(instance end_all_sessions(pb::EndAllSessionsRequest) -> pb::WriteReply,
        |gw, auth, r| sessions::end(&gw, &auth, &r.id, None).await);
}
