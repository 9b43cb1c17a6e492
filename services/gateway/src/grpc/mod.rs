//! The gRPC API (`proto/portcullis/v1`): every service calls the same operations as REST
//! (`crate::api`), after the same authentication, and maps errors to `google.rpc.Status` in
//! one place ([`status`]). Served on a port of its own (`--grpc-listen`), with server
//! reflection and the standard health service.

#[macro_use]
mod call;
mod authorization;
mod events;
mod factors;
mod idps;
mod login_sessions;
mod machine_keys;
mod notifications;
mod orgs;
mod projects;
mod settings;
pub(crate) mod status;
mod system;
mod users;

use std::sync::Arc;

use tonic::transport::Server;

pub use call::Api;
pub use status::status;

use crate::Gateway;

pub use proto::{pb, DESCRIPTORS};

/// Serves the gRPC API on `listener` until the process ends. Call it on an actix arbiter: the
/// operations run there (see [`Api`]).
pub async fn serve(gw: Arc<Gateway>, listener: tokio::net::TcpListener) -> Result<(), String> {
    let api = Api::new(gw);
    // Both versions of reflection: grpcurl asks v1, older clients (grpcio's) v1alpha.
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(DESCRIPTORS)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let invalid = |e| format!("the gRPC descriptors are invalid: {e}");
    let reflection_v1 = reflection().build_v1().map_err(invalid)?;
    let reflection_v1alpha = reflection().build_v1alpha().map_err(invalid)?;
    let (health, health_service) = tonic_health::server::health_reporter();
    use pb::authorization_service_server::AuthorizationServiceServer;
    use pb::event_service_server::EventServiceServer;
    use pb::factor_service_server::FactorServiceServer;
    use pb::idp_service_server::IdpServiceServer;
    use pb::instance_service_server::InstanceServiceServer;
    use pb::login_session_service_server::LoginSessionServiceServer;
    use pb::notification_service_server::NotificationServiceServer;
    use pb::org_service_server::OrgServiceServer;
    use pb::project_service_server::ProjectServiceServer;
    use pb::settings_service_server::SettingsServiceServer;
    use pb::system_service_server::SystemServiceServer;
    use pb::user_service_server::UserServiceServer;
    health.set_serving::<SystemServiceServer<Api>>().await;
    health.set_serving::<InstanceServiceServer<Api>>().await;
    health.set_serving::<OrgServiceServer<Api>>().await;
    health.set_serving::<UserServiceServer<Api>>().await;
    health.set_serving::<FactorServiceServer<Api>>().await;
    health.set_serving::<ProjectServiceServer<Api>>().await;
    health.set_serving::<SettingsServiceServer<Api>>().await;
    health.set_serving::<IdpServiceServer<Api>>().await;
    health.set_serving::<LoginSessionServiceServer<Api>>().await;
    health.set_serving::<NotificationServiceServer<Api>>().await;
    health
        .set_serving::<AuthorizationServiceServer<Api>>()
        .await;
    health.set_serving::<EventServiceServer<Api>>().await;
    Server::builder()
        .layer(tower::util::MapRequestLayer::new(call::keep_authority))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(SystemServiceServer::new(api.clone()))
        .add_service(InstanceServiceServer::new(api.clone()))
        .add_service(OrgServiceServer::new(api.clone()))
        .add_service(UserServiceServer::new(api.clone()))
        .add_service(FactorServiceServer::new(api.clone()))
        .add_service(ProjectServiceServer::new(api.clone()))
        .add_service(SettingsServiceServer::new(api.clone()))
        .add_service(IdpServiceServer::new(api.clone()))
        .add_service(LoginSessionServiceServer::new(api.clone()))
        .add_service(NotificationServiceServer::new(api.clone()))
        .add_service(AuthorizationServiceServer::new(api.clone()))
        .add_service(EventServiceServer::new(api))
        .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
        .await
        .map_err(|e| format!("the gRPC server failed: {e}"))
}
