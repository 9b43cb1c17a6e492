//! Reads of one user, over REST and over gRPC: the same operation through either transport,
//! so that the two can be compared in one run.

use pb::user_service_client::UserServiceClient;
use proto::pb;
use serde_json::json;

use super::{id, org, run_prefix, settle, Scenario};
use crate::target::{Auth, Target};

/// How many users the reads go round.
const USERS: usize = 20;

/// Machine users to read, each with its login name; the read models hold them on return.
fn users(target: &Target) -> Result<Vec<(String, String)>, String> {
    let prefix = run_prefix();
    let org = org(target, &format!("{prefix}-reads"))?;
    let mut users = Vec::new();
    let mut last = serde_json::Value::Null;
    for n in 0..USERS {
        let username = format!("{prefix}-r{n}");
        last = target
            .json(
                "POST",
                &format!("/v1/orgs/{org}/users/machine"),
                Some(&json!({"username": username, "name": username})),
                Auth::Pat,
                None,
            )?
            .expect(201)?;
        users.push((id(&last)?, username));
    }
    settle(target, &last)?;
    Ok(users)
}

/// `GET /v1/users/{id}` by an admin; the user read must be the one asked for.
pub struct ReadUser {
    target: Target,
    users: Vec<(String, String)>,
}

impl ReadUser {
    pub fn setup(target: &Target) -> Result<Self, String> {
        Ok(ReadUser {
            target: target.clone(),
            users: users(target)?,
        })
    }
}

impl Scenario for ReadUser {
    fn name(&self) -> &'static str {
        "read-user"
    }

    fn request(&self, i: u64) -> Result<(), String> {
        let (id, username) = &self.users[i as usize % self.users.len()];
        let user = self
            .target
            .json("GET", &format!("/v1/users/{id}"), None, Auth::Pat, None)?
            .expect(200)?;
        if user["username"] == username.as_str() {
            Ok(())
        } else {
            Err("read another user".into())
        }
    }
}

/// `UserService.GetUser` by an admin over one HTTP/2 connection; the same check.
pub struct ReadUserGrpc {
    runtime: tokio::runtime::Runtime,
    client: UserServiceClient<tonic::transport::Channel>,
    authorization: tonic::metadata::MetadataValue<tonic::metadata::Ascii>,
    users: Vec<(String, String)>,
}

impl ReadUserGrpc {
    pub fn setup(target: &Target) -> Result<Self, String> {
        let (address, host, pat) = target.grpc()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| format!("a runtime: {e}"))?;
        let port = address.rsplit_once(':').map_or("", |(_, p)| p);
        let origin = format!("http://{}:{port}", host.as_deref().unwrap_or("localhost"));
        let channel = runtime.block_on(async {
            tonic::transport::Endpoint::from_shared(format!("http://{address}"))
                .map_err(|e| e.to_string())?
                .origin(origin.parse().map_err(|e| format!("{origin}: {e}"))?)
                .connect()
                .await
                .map_err(|e| format!("the gRPC API at {address}: {e}"))
        })?;
        Ok(ReadUserGrpc {
            runtime,
            client: UserServiceClient::new(channel),
            authorization: format!("Bearer {pat}")
                .parse()
                .map_err(|_| "the token is not a metadata value")?,
            users: users(target)?,
        })
    }
}

impl Scenario for ReadUserGrpc {
    fn name(&self) -> &'static str {
        "read-user-grpc"
    }

    fn request(&self, i: u64) -> Result<(), String> {
        let (id, username) = &self.users[i as usize % self.users.len()];
        let mut request = tonic::Request::new(pb::GetUserRequest { id: id.clone() });
        request
            .metadata_mut()
            .insert("authorization", self.authorization.clone());
        let mut client = self.client.clone();
        let user = self
            .runtime
            .block_on(client.get_user(request))
            .map_err(|s| format!("{:?}", s.code()))?
            .into_inner();
        if user.username == *username {
            Ok(())
        } else {
            Err("read another user".into())
        }
    }
}
