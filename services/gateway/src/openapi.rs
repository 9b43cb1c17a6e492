//! The OpenAPI document served at `/openapi.json`, generated from the handlers: each
//! operation names its permission as `x-permission`.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{
    actions, apps, events, factors, idps, instance, login_sessions, machine_keys, members,
    notifications, org_domains, orgs, pats, permissions, project_grants, projects, saml_apps,
    sessions, settings, sms, system, texts, user_changes, user_grants, user_import, users,
};

struct BearerAuth;

/// Every operation can answer with these errors (the body is always `ErrorBody`).
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let errors = [
            ("400", "invalid argument (a stable code names what)"),
            ("401", "missing or bad token (AUTH-0001)"),
            (
                "403",
                "the caller lacks the permission (AUTHZ-0001 names it)",
            ),
            (
                "404",
                "not found, or no instance at this host (INSTANCE-0001)",
            ),
            ("409", "already exists, or a stale If-Match (CONC-0001)"),
            ("412", "precondition failed"),
            ("413", "the body is over 1 MiB (REQ-0002)"),
            ("422", "a semantic rule is broken"),
            (
                "503",
                "not ready, or the read models have not reached the position sent (CONC-0002)",
            ),
        ];
        let components = doc.components.get_or_insert_with(Default::default);
        for (status, text) in errors {
            let response = ResponseBuilder::new()
                .description(text)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build();
            components
                .responses
                .insert(format!("Error{status}"), response.into());
        }
        for item in doc.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                for (status, _) in errors {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| {
                            Ref::new(format!("#/components/responses/Error{status}")).into()
                        });
                }
            }
        }
    }
}

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        doc.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Portcullis", description = "Multi-tenant identity and access management. The instance is chosen by the Host header; errors are {code, message, details} with stable codes."),
    modifiers(&BearerAuth, &CommonErrors),
    components(schemas(crate::views::ErrorBody)),
    paths(
        system::create_instance, system::list_instances, system::get_instance, system::delete_instance, system::rotate_keys,
        instance::get_instance,
        members::add_instance_member, members::list_instance_members, members::set_instance_member, members::remove_instance_member,
        orgs::create_org, orgs::list_orgs, orgs::get_org, orgs::rename_org, orgs::delete_org,
        org_domains::add_org_domain, org_domains::list_org_domains, org_domains::verify_org_domain, org_domains::remove_org_domain,
        members::add_org_member, members::list_org_members, members::set_org_member, members::remove_org_member,
        user_import::import_users, users::create_human_user, users::create_machine_user, users::me, users::get_user, users::list_users, users::delete_user,
        user_changes::change_profile, user_changes::change_email, user_changes::change_phone, user_changes::change_password,
        user_changes::deactivate, user_changes::reactivate, user_changes::lock, user_changes::unlock,
        user_changes::set_metadata, user_changes::remove_metadata, user_changes::list_metadata,
        user_changes::new_secret, user_changes::remove_secret,
        permissions::memberships, permissions::check,
        pats::create_pat, pats::list_pats, pats::delete_pat,
        machine_keys::add_user_key, machine_keys::list_user_keys, machine_keys::remove_user_key,
        machine_keys::add_app_key, machine_keys::list_app_keys, machine_keys::remove_app_key,
        idps::add_instance_idp, idps::list_instance_idps, idps::get_instance_idp,
        idps::change_instance_idp, idps::remove_instance_idp, idps::add_org_idp,
        idps::list_org_idps, idps::get_org_idp, idps::change_org_idp, idps::remove_org_idp,
        idps::list_idp_links, idps::unlink_idp,
        factors::add_totp, factors::verify_totp, factors::remove_totp,
        factors::add_otp_email, factors::remove_otp_email, factors::add_otp_sms, factors::remove_otp_sms,
        factors::recovery_codes, factors::list_factors,
        factors::add_u2f, factors::verify_u2f, factors::remove_u2f,
        factors::add_passkey, factors::verify_passkey, factors::remove_passkey, factors::passkey_link,
        sessions::list_sessions, sessions::end_sessions, sessions::end_session,
        login_sessions::create_session, login_sessions::set_session, login_sessions::get_session, login_sessions::finalize_auth_request, login_sessions::start_idp_intent,
        settings::get_instance_settings, settings::set_instance_settings,
        settings::get_org_settings, settings::set_org_settings, settings::reset_org_settings,
        texts::get_instance_texts, texts::set_instance_texts, texts::reset_instance_texts,
        texts::get_org_texts, texts::set_org_texts, texts::reset_org_texts,
        notifications::set_smtp, notifications::get_smtp, notifications::test_smtp, sms::set_sms, sms::get_sms,
        notifications::send_email_code, notifications::verify_email, notifications::send_phone_code, notifications::verify_phone,
        notifications::reset_password, notifications::invite,
        actions::add_target, actions::list_targets, actions::get_target, actions::change_target, actions::remove_target,
        actions::set_execution, actions::list_executions, actions::remove_execution,
        actions::list_deliveries, actions::replay_delivery,
        projects::create_project, projects::list_projects, projects::get_project, projects::update_project, projects::delete_project,
        projects::add_role, projects::list_roles, projects::remove_role,
        members::add_project_member, members::list_project_members, members::set_project_member, members::remove_project_member,
        apps::create_app, apps::list_apps, apps::get_app, apps::update_app, apps::delete_app, apps::rotate_secret,
        saml_apps::create_saml_app, saml_apps::list_saml_apps, saml_apps::get_saml_app, saml_apps::update_saml_app,
        project_grants::add_grant, project_grants::list_grants, project_grants::change_grant, project_grants::remove_grant,
        project_grants::add_grant_member, project_grants::list_grant_members, project_grants::set_grant_member, project_grants::remove_grant_member,
        user_grants::create_user_grant, user_grants::list_user_grants, user_grants::change_user_grant, user_grants::remove_user_grant,
        events::list_events,
        events::watch_events,
    )
)]
pub struct ApiDoc;

/// The document as JSON.
pub fn document() -> String {
    ApiDoc::openapi()
        .to_json()
        .expect("the OpenAPI document serializes")
}

/// Answers a request no route took: 405 with `Allow` when the path exists with other methods
/// (known from the document, so the two cannot disagree), else 404.
pub async fn fallback(req: actix_web::HttpRequest) -> crate::ApiError {
    use std::sync::OnceLock;
    static PATHS: OnceLock<Vec<(actix_web::dev::ResourceDef, String)>> = OnceLock::new();
    let paths = PATHS.get_or_init(|| {
        let doc = ApiDoc::openapi();
        doc.paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods: Vec<&str> = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, has)| has.then_some(m))
                .collect();
                (
                    actix_web::dev::ResourceDef::new(path.as_str()),
                    methods.join(", "),
                )
            })
            .collect()
    });
    let path = req.path();
    match paths.iter().find(|(def, _)| def.is_match(path)) {
        Some((_, allow)) => crate::ApiError(
            domain::Error::new(
                domain::Code::MethodNotAllowed,
                format!("{} is not a method of {path}: use {allow}", req.method()),
            )
            .with("allow", allow.as_str()),
        ),
        None => crate::ApiError(domain::Error::new(
            domain::Code::NotFoundRoute,
            "no such route",
        )),
    }
}

#[cfg(test)]
mod tests {
    /// `docs/openapi.json` (linked from the README) is the document the server serves.
    /// Refresh it with `PORTCULLIS_WRITE_OPENAPI=1 cargo test -p gateway openapi`.
    #[test]
    fn the_committed_document_is_the_served_one() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
        let served: serde_json::Value = serde_json::from_str(&super::document()).unwrap();
        let pretty = serde_json::to_string_pretty(&served).unwrap() + "\n";
        if std::env::var_os("PORTCULLIS_WRITE_OPENAPI").is_some() {
            std::fs::write(path, &pretty).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == pretty,
            "docs/openapi.json is stale: run PORTCULLIS_WRITE_OPENAPI=1 cargo test -p gateway openapi"
        );
    }
}
