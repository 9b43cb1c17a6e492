//! The `UserService` changes, `InstanceService`, the rest of `OrgService` and `SystemService`
//! through the tonic client, their effect read back through REST.

use gateway::grpc::pb;
use pb::instance_service_client::InstanceServiceClient;
use pb::org_service_client::OrgServiceClient;
use pb::system_service_client::SystemServiceClient;
use pb::user_service_client::UserServiceClient;
use serde_json::{json, Value};
use testkit::server;
use tonic::Code;

use super::{default_org, rfc3339};

/// A protobuf timestamp as unix milliseconds.
fn timestamp_ms(t: &prost_types::Timestamp) -> i64 {
    t.seconds * 1000 + i64::from(t.nanos) / 1_000_000
}
use super::grpc::{as_rest, block, call, channel, failure, human, Seen};

fn member_json(m: &pb::Member) -> Value {
    json!({"user_id": m.user_id, "roles": m.roles})
}

#[test]
fn every_user_change_does_what_its_rest_route_does() {
    let t = server().tenant();
    let org = default_org(&t);
    block(async {
        let ch = channel(&t.domain).await;
        let seen = Seen::after(&t.position);
        let mut users = UserServiceClient::new(ch.clone());
        let pat = t.admin_pat.as_str();
        let rest = |at: &str| t.client.clone().at(at);
        let ada = users
            .create_human_user(seen.req(human(&org, "ada"), pat))
            .await
            .map(|r| seen.wrote(r))
            .expect("CreateHumanUser")
            .id;
        let path = format!("/v1/users/{ada}");

        let profile = users
            .update_profile(seen.req(
                pb::UpdateProfileRequest {
                    id: ada.clone(),
                    given_name: Some("Augusta".into()),
                    display_name: Some("Augusta Ada".into()),
                    ..Default::default()
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("UpdateProfile");
        let email = users
            .set_email(seen.req(
                pb::SetEmailRequest {
                    id: ada.clone(),
                    address: "augusta@example.com".into(),
                    verified: true,
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("SetEmail");
        let phone = users
            .set_phone(seen.req(
                pb::SetPhoneRequest {
                    id: ada.clone(),
                    phone: Some("+41 79 123 45 67".into()),
                    verified: false,
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("SetPhone");
        assert!(profile.sequence < email.sequence && email.sequence < phone.sequence);
        let got = users
            .get_user(seen.req(pb::GetUserRequest { id: ada.clone() }, pat))
            .await
            .expect("GetUser")
            .into_inner();
        let by_rest = rest(&phone.position).get(&path);
        assert_eq!(as_rest(&got), by_rest.body);
        assert_eq!(by_rest.body["profile"]["given_name"], "Augusta");
        assert_eq!(by_rest.body["display_name"], "Augusta Ada");
        assert_eq!(
            by_rest.body["email"],
            json!({"address": "augusta@example.com", "verified": true})
        );
        assert_eq!(by_rest.body["phone"]["number"], "+41791234567");

        // The new password is the one Ada must give to change it herself.
        let set = users
            .set_password(seen.req(
                pb::SetPasswordRequest {
                    id: ada.clone(),
                    current_password: None,
                    new_password: "another long password".into(),
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("SetPassword");
        let her_pat = rest(&set.position).post(&format!("{path}/pats"), json!({}));
        assert_eq!(her_pat.status, 201, "{}", her_pat.body);
        let herself = t
            .as_token(&her_pat.str("token"))
            .at(&her_pat.str("position"));
        let change = |current: &str| {
            herself.put(
                &format!("{path}/password"),
                json!({"current_password": current, "new_password": "a third long password"}),
            )
        };
        assert_eq!(
            change("a long password").status,
            400,
            "the old password is gone"
        );
        assert_eq!(change("another long password").status, 200);

        // State changes, each as REST shows it.
        for (rpc, state) in [
            ("lock", "locked"),
            ("unlock", "active"),
            ("deactivate", "inactive"),
            ("reactivate", "active"),
        ] {
            let id = ada.clone();
            let reply = match rpc {
                "lock" => {
                    users
                        .lock_user(seen.req(pb::LockUserRequest { id }, pat))
                        .await
                }
                "unlock" => {
                    users
                        .unlock_user(seen.req(pb::UnlockUserRequest { id }, pat))
                        .await
                }
                "deactivate" => {
                    let r = pb::DeactivateUserRequest { id };
                    users.deactivate_user(seen.req(r, pat)).await
                }
                _ => {
                    let r = pb::ReactivateUserRequest { id };
                    users.reactivate_user(seen.req(r, pat)).await
                }
            }
            .unwrap_or_else(|e| panic!("{rpc}: {e:?}"))
            .into_inner();
            assert_eq!(
                rest(&reply.position).get(&path).body["state"],
                state,
                "after {rpc}"
            );
        }

        // Metadata: bytes in gRPC, base64 in REST.
        for (key, value) in [("team", b"blue".to_vec()), ("badge", vec![0u8, 159, 255])] {
            users
                .set_metadata(seen.req(
                    pb::SetMetadataRequest {
                        id: ada.clone(),
                        key: key.into(),
                        value,
                    },
                    pat,
                ))
                .await
                .map(|r| seen.wrote(r))
                .expect("SetMetadata");
        }
        let removed = users
            .remove_metadata(seen.req(
                pb::RemoveMetadataRequest {
                    id: ada.clone(),
                    key: "team".into(),
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("RemoveMetadata");
        let metadata = users
            .list_metadata(seen.req(
                pb::ListMetadataRequest {
                    id: ada.clone(),
                    ..Default::default()
                },
                pat,
            ))
            .await
            .expect("ListMetadata")
            .into_inner();
        let rest_metadata = rest(&removed.position).get(&format!("{path}/metadata"));
        assert_eq!(
            rest_metadata.body["items"],
            json!([{"key": "badge", "value": "AJ//"}])
        );
        assert_eq!(metadata.items.len(), 1);
        assert_eq!(
            (
                metadata.items[0].key.as_str(),
                metadata.items[0].value.as_slice()
            ),
            ("badge", &[0u8, 159, 255][..])
        );

        // A machine user's tokens and secret.
        let bot = users
            .create_machine_user(seen.req(
                pb::CreateMachineUserRequest {
                    org_id: org.clone(),
                    username: "robot".into(),
                    name: "Robot".into(),
                    description: None,
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("CreateMachineUser")
            .id;
        let token = users
            .create_personal_access_token(seen.req(
                pb::CreatePersonalAccessTokenRequest {
                    id: bot.clone(),
                    expires_at: None,
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("CreatePersonalAccessToken");
        // An expiry no calendar has (as a client with a bug or an attacker may send) is
        // refused, not saturated into a time nobody sent.
        let far = users
            .create_personal_access_token(seen.req(
                pb::CreatePersonalAccessTokenRequest {
                    id: bot.clone(),
                    expires_at: Some(prost_types::Timestamp {
                        seconds: i64::MAX,
                        nanos: 0,
                    }),
                },
                pat,
            ))
            .await
            .unwrap_err();
        let (code, reason, details) = failure(far);
        assert_eq!((code, reason.as_str()), (Code::InvalidArgument, "REQ-0001"));
        assert_eq!(details.get("field").map(String::as_str), Some("expires_at"));
        let me = users
            .get_me(seen.req(pb::GetMeRequest {}, &token.token))
            .await
            .expect("GetMe with the new token")
            .into_inner();
        assert_eq!(me.id, bot);
        let tokens = users
            .list_personal_access_tokens(seen.req(
                pb::ListPersonalAccessTokensRequest {
                    id: bot.clone(),
                    ..Default::default()
                },
                pat,
            ))
            .await
            .expect("ListPersonalAccessTokens")
            .into_inner();
        let rest_tokens = rest(&token.position).get(&format!("/v1/users/{bot}/pats"));
        assert_eq!(rest_tokens.body["items"], json!([{"id": token.id}]));
        let ids: Vec<&str> = tokens.items.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, [token.id.as_str()]);
        users
            .revoke_personal_access_token(seen.req(
                pb::RevokePersonalAccessTokenRequest {
                    id: bot.clone(),
                    pat_id: token.id.clone(),
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("RevokePersonalAccessToken");
        let refused = users
            .get_me(seen.req(pb::GetMeRequest {}, &token.token))
            .await
            .expect_err("a revoked token");
        assert_eq!(failure(refused).0, Code::Unauthenticated);
        let secret = users
            .new_machine_secret(seen.req(pb::NewMachineSecretRequest { id: bot.clone() }, pat))
            .await
            .map(|r| seen.wrote(r))
            .expect("NewMachineSecret");
        assert_eq!(secret.client_id, "robot");
        assert!(secret.client_secret.len() >= 32);
        assert_eq!(
            rest(&secret.position).get(&format!("/v1/users/{bot}")).body["has_secret"],
            true
        );
        let removed = users
            .remove_machine_secret(
                seen.req(pb::RemoveMachineSecretRequest { id: bot.clone() }, pat),
            )
            .await
            .map(|r| seen.wrote(r))
            .expect("RemoveMachineSecret");
        assert_eq!(
            rest(&removed.position)
                .get(&format!("/v1/users/{bot}"))
                .body["has_secret"],
            false
        );

        // Keys: one generated (its key file once), listed as REST lists it, removed.
        let key = users
            .add_machine_key(seen.req(
                pb::AddMachineKeyRequest {
                    id: bot.clone(),
                    ..Default::default()
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("AddMachineKey");
        let file = key.key_file.clone().expect("a generated key's file");
        assert_eq!(
            (file.r#type.as_str(), file.user_id.as_str()),
            ("serviceaccount", bot.as_str())
        );
        assert!(file.key.starts_with("-----BEGIN PRIVATE KEY-----"));
        let keys = users
            .list_machine_keys(seen.req(
                pb::ListMachineKeysRequest {
                    id: bot.clone(),
                    ..Default::default()
                },
                pat,
            ))
            .await
            .expect("ListMachineKeys")
            .into_inner();
        let rest_keys = rest(&key.position).get(&format!("/v1/users/{bot}/keys"));
        assert_eq!(rest_keys.body["items"][0]["id"], key.id.as_str());
        assert_eq!(
            keys.items
                .iter()
                .map(|k| (k.id.as_str(), k.alg.as_str()))
                .collect::<Vec<_>>(),
            [(key.id.as_str(), "RS256")]
        );
        let bad = users
            .add_machine_key(seen.req(
                pb::AddMachineKeyRequest {
                    id: bot.clone(),
                    public_key: Some("not a key".into()),
                    ..Default::default()
                },
                pat,
            ))
            .await
            .unwrap_err();
        assert_eq!(failure(bad).1, "KEY-0002");
        let dropped = users
            .remove_machine_key(seen.req(
                pb::RemoveMachineKeyRequest {
                    id: bot.clone(),
                    key_id: key.id.clone(),
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("RemoveMachineKey");
        assert_eq!(
            rest(&dropped.position)
                .get(&format!("/v1/users/{bot}/keys"))
                .body["items"],
            json!([])
        );

        // Memberships, at every level, as REST lists them.
        let mut orgs = OrgServiceClient::new(ch.clone());
        let added = orgs
            .add_org_member(seen.req(
                pb::AddOrgMemberRequest {
                    org_id: org.clone(),
                    member: Some(pb::Member {
                        user_id: bot.clone(),
                        roles: vec!["ORG_USER_MANAGER".into()],
                    }),
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("AddMember");
        let memberships = users
            .list_memberships(seen.req(
                pb::ListMembershipsRequest {
                    id: bot.clone(),
                    ..Default::default()
                },
                pat,
            ))
            .await
            .expect("ListMemberships")
            .into_inner();
        let rest_memberships = rest(&added.position).get(&format!("/v1/users/{bot}/memberships"));
        let as_json: Vec<Value> = memberships
            .items
            .iter()
            .map(|m| json!({"level": m.level, "resource_id": m.resource_id, "roles": m.roles}))
            .collect();
        assert_eq!(json!(as_json), rest_memberships.body["items"]);
        assert_eq!(as_json.len(), 1);
        let set = orgs
            .set_org_member(seen.req(
                pb::SetOrgMemberRequest {
                    org_id: org.clone(),
                    member: Some(pb::Member {
                        user_id: bot.clone(),
                        roles: vec!["ORG_OWNER_VIEWER".into()],
                    }),
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("SetMember");
        let org_members = rest(&set.position).get(&format!("/v1/orgs/{org}/members"));
        assert_eq!(
            org_members.body["items"],
            json!([{"user_id": bot, "roles": ["ORG_OWNER_VIEWER"]}])
        );
        let removed = orgs
            .remove_org_member(seen.req(
                pb::RemoveOrgMemberRequest {
                    org_id: org.clone(),
                    user_id: bot.clone(),
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("RemoveMember");
        assert_eq!(
            rest(&removed.position)
                .get(&format!("/v1/orgs/{org}/members"))
                .body["items"],
            json!([])
        );

        // The instance and its members.
        let mut instance = InstanceServiceClient::new(ch.clone());
        let mine = instance
            .get_my_instance(seen.req(pb::GetMyInstanceRequest {}, pat))
            .await
            .expect("GetInstance")
            .into_inner();
        let rest_instance = t.client.get("/v1/instance");
        assert_eq!(
            json!({"id": mine.id, "name": mine.name, "domains": mine.domains,
                "created_at": rfc3339(timestamp_ms(mine.created_at.as_ref().unwrap()))}),
            rest_instance.body
        );
        instance
            .add_instance_member(seen.req(
                pb::AddInstanceMemberRequest {
                    member: Some(pb::Member {
                        user_id: bot.clone(),
                        roles: vec!["IAM_USER_MANAGER".into()],
                    }),
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("AddMember");
        let set = instance
            .set_instance_member(seen.req(
                pb::SetInstanceMemberRequest {
                    member: Some(pb::Member {
                        user_id: bot.clone(),
                        roles: vec!["IAM_OWNER_VIEWER".into()],
                    }),
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("SetMember");
        let listed = instance
            .list_instance_members(seen.req(pb::ListInstanceMembersRequest::default(), pat))
            .await
            .expect("ListMembers")
            .into_inner();
        let rest_members = rest(&set.position).get("/v1/instance/members");
        let as_json: Vec<Value> = listed.items.iter().map(member_json).collect();
        assert_eq!(json!(as_json), rest_members.body["items"]);
        assert!(as_json.contains(&json!({"user_id": bot, "roles": ["IAM_OWNER_VIEWER"]})));
        let removed = instance
            .remove_instance_member(seen.req(
                pb::RemoveInstanceMemberRequest {
                    user_id: bot.clone(),
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("RemoveMember");
        let left = rest(&removed.position).get("/v1/instance/members");
        assert!(!left.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["user_id"] == bot.as_str()));

        // An org's removal.
        let doomed = orgs
            .create_org(seen.req(
                pb::CreateOrgRequest {
                    name: "Doomed".into(),
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("CreateOrg");
        let gone = orgs
            .delete_org(seen.req(
                pb::DeleteOrgRequest {
                    org_id: doomed.id.clone(),
                },
                pat,
            ))
            .await
            .map(|r| seen.wrote(r))
            .expect("DeleteOrg");
        let org_path = format!("/v1/orgs/{}", doomed.id);
        assert_eq!(
            rest(&gone.position).get(&org_path).error(),
            (404, "ORG-0001")
        );

        // A user's removal.
        let gone = users
            .delete_user(seen.req(pb::DeleteUserRequest { id: ada.clone() }, pat))
            .await
            .map(|r| seen.wrote(r))
            .expect("DeleteUser");
        assert_eq!(rest(&gone.position).get(&path).error(), (404, "USER-0001"));
    });
}

#[test]
fn the_system_service_creates_rotates_and_removes_instances() {
    let domain = format!("g{}.test", uuid::Uuid::now_v7().simple());
    let system_pat = server().system_pat.clone();
    block(async {
        let mut system = SystemServiceClient::new(channel("anywhere.test").await);
        let created = system
            .create_instance(call(
                pb::CreateInstanceRequest {
                    name: "By gRPC".into(),
                    domains: vec![domain.clone()],
                    admin: Some(pb::create_instance_request::Admin {
                        username: "boss".into(),
                        password: None,
                    }),
                },
                &system_pat,
                None,
            ))
            .await
            .expect("CreateInstance")
            .into_inner();
        // The new instance's admin token works on its domain, through REST and gRPC.
        let admin = testkit::Client::new(&server().base(), Some(&domain))
            .token(&created.admin_pat)
            .at(&created.position);
        let me = admin.get("/v1/users/me");
        assert_eq!(me.status, 200, "{}", me.body);
        assert_eq!(me.body["username"], "boss-bot");
        assert_eq!(me.str("id"), created.admin_user_id);
        let mut users = UserServiceClient::new(channel(&domain).await);
        let me = users
            .get_me(call(
                pb::GetMeRequest {},
                &created.admin_pat,
                Some(&created.position),
            ))
            .await
            .expect("GetMe")
            .into_inner();
        assert_eq!(me.id, created.admin_user_id);

        let listed = system
            .list_instances(call(
                pb::ListInstancesRequest {
                    limit: 1000,
                    cursor: String::new(),
                },
                &system_pat,
                Some(&created.position),
            ))
            .await
            .expect("ListInstances")
            .into_inner();
        let ours = listed
            .items
            .iter()
            .find(|i| i.id == created.id)
            .expect("the new instance is listed");
        assert_eq!(ours.domains, std::slice::from_ref(&domain));
        // A rotation's first step publishes a new key on the instance's JWKS.
        let published = |at: &str| {
            let _ = admin.clone().at(at).get("/v1/users/me");
            let jwks = testkit::Client::new(&server().base(), Some(&domain)).get("/oauth/v2/keys");
            assert_eq!(jwks.status, 200, "{}", jwks.body);
            jwks.body["keys"].as_array().unwrap().len()
        };
        let before = published(&created.position);
        let rotated = system
            .rotate_signing_key(call(
                pb::RotateSigningKeyRequest {
                    id: created.id.clone(),
                    alg: String::new(),
                },
                &system_pat,
                None,
            ))
            .await
            .expect("RotateSigningKey")
            .into_inner();
        assert_eq!(published(&rotated.position), before + 1);
        let removed = system
            .delete_instance(call(
                pb::DeleteInstanceRequest {
                    id: created.id.clone(),
                },
                &system_pat,
                None,
            ))
            .await
            .expect("DeleteInstance")
            .into_inner();
        let gone = system
            .get_instance(call(
                pb::GetInstanceRequest {
                    id: created.id.clone(),
                },
                &system_pat,
                Some(&removed.position),
            ))
            .await
            .expect_err("a removed instance");
        let (code, reason, _) = failure(gone);
        assert_eq!((code, reason.as_str()), (Code::NotFound, "INSTANCE-0001"));
        let refused = admin.clone().at(&removed.position).get("/v1/users/me");
        assert_eq!(refused.error(), (404, "INSTANCE-0001"));
    });
}
