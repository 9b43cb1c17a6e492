//! Given / when / then for the Project aggregate: roles, OIDC apps, members.

use domain::app::{AccessTokenType, AuthMethod, GrantType, OidcConfig, ResponseType};
use domain::members::MemberCommand;
use domain::project::{Project, ProjectCommand as C, ProjectEvent as E};
use domain::testing::given;
use domain::Code;

fn s(v: &str) -> String {
    v.to_string()
}

fn added() -> E {
    E::Added {
        org_id: s("org-1"),
        name: s("Shop"),
        assert_roles: false,
    }
}

fn config(method: AuthMethod) -> OidcConfig {
    OidcConfig {
        name: s("web"),
        redirect_uris: vec![s("https://shop.example.com/cb")],
        post_logout_redirect_uris: vec![],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        response_types: vec![ResponseType::Code],
        auth_method: method,
        access_token_type: AccessTokenType::Jwt,
        require_par: false,
        jwks_uri: None,
        backchannel_logout_uri: None,
        backchannel_logout_session_required: false,
    }
}

fn app_added(method: AuthMethod) -> E {
    E::AppAdded {
        app_id: s("app-1"),
        client_id: s("client-1"),
        config: config(method),
        secret_hash: method.uses_secret().then(|| s("hash-1")),
        sealed_secret: None,
    }
}

#[test]
fn create_validates_the_name() {
    given::<Project>(&[])
        .when(C::Create {
            org_id: s("org-1"),
            name: s(" Shop "),
            assert_roles: false,
        })
        .then(&[added()]);
    given::<Project>(&[])
        .when(C::Create {
            org_id: s("org-1"),
            name: s(""),
            assert_roles: false,
        })
        .then_error(Code::InvalidProjectName);
}

#[test]
fn commands_on_a_missing_or_removed_project_are_not_found() {
    given::<Project>(&[])
        .when(C::Remove)
        .then_error(Code::ProjectNotFound);
    given::<Project>(&[added(), E::Removed { name: s("Shop") }])
        .when(C::AddRole {
            key: s("admin"),
            display_name: s(""),
            group: None,
        })
        .then_error(Code::ProjectNotFound);
    given::<Project>(&[added()])
        .when(C::Remove)
        .then(&[E::Removed { name: s("Shop") }]);
}

#[test]
fn update_writes_only_what_changed() {
    given::<Project>(&[added()])
        .when(C::Update {
            name: Some(s("Shop")),
            assert_roles: None,
        })
        .then(&[]);
    given::<Project>(&[added()])
        .when(C::Update {
            name: None,
            assert_roles: Some(true),
        })
        .then(&[E::Changed {
            name: s("Shop"),
            assert_roles: true,
        }]);
}

#[test]
fn roles_are_unique_by_key_and_removed_only_when_present() {
    let role = E::RoleAdded {
        key: s("editor"),
        display_name: s("editor"),
        group: None,
    };
    given::<Project>(&[added()])
        .when(C::AddRole {
            key: s("editor"),
            display_name: s(" "),
            group: Some(s("")),
        })
        .then(&[role.clone()]);
    given::<Project>(&[added(), role.clone()])
        .when(C::AddRole {
            key: s("editor"),
            display_name: s("Editor"),
            group: None,
        })
        .then_error(Code::RoleKeyTaken);
    given::<Project>(&[added()])
        .when(C::AddRole {
            key: s("has space"),
            display_name: s(""),
            group: None,
        })
        .then_error(Code::InvalidRoleKey);
    given::<Project>(&[added(), role.clone()])
        .when(C::RemoveRole { key: s("editor") })
        .then(&[E::RoleRemoved { key: s("editor") }]);
    given::<Project>(&[added()])
        .when(C::RemoveRole { key: s("editor") })
        .then_error(Code::ProjectRoleNotFound);
}

#[test]
fn apps_need_exact_redirect_uris_and_the_code_flow() {
    given::<Project>(&[added()])
        .when(C::AddApp {
            app_id: s("app-1"),
            client_id: s("client-1"),
            config: config(AuthMethod::ClientSecretBasic),
            secret_hash: Some(s("hash-1")),
            sealed_secret: None,
        })
        .then(&[app_added(AuthMethod::ClientSecretBasic)]);
    let mut bad = config(AuthMethod::None);
    bad.redirect_uris = vec![s("https://shop.example.com/*")];
    bad.redirect_uris.push(s("http://shop.example.com/cb"));
    given::<Project>(&[added()])
        .when(C::AddApp {
            app_id: s("app-1"),
            client_id: s("client-1"),
            config: bad,
            secret_hash: None,
            sealed_secret: None,
        })
        .then_error(Code::InvalidRedirectUri);
    let mut no_code = config(AuthMethod::None);
    no_code.grant_types = vec![GrantType::RefreshToken];
    given::<Project>(&[added()])
        .when(C::AddApp {
            app_id: s("app-1"),
            client_id: s("client-1"),
            config: no_code,
            secret_hash: None,
            sealed_secret: None,
        })
        .then_error(Code::InvalidAppConfig);
}

#[test]
fn the_endpoints_an_app_names_are_web_addresses_and_a_key_set_is_for_private_key_jwt() {
    let add = |config: OidcConfig| C::AddApp {
        app_id: s("app-1"),
        client_id: s("client-1"),
        config,
        secret_hash: None,
        sealed_secret: None,
    };
    // Given an app with a logout endpoint and a key set
    let mut ok = config(AuthMethod::PrivateKeyJwt);
    ok.jwks_uri = Some(s("https://shop.example.com/jwks.json"));
    ok.backchannel_logout_uri = Some(s("https://shop.example.com/logout"));
    ok.backchannel_logout_session_required = true;
    // Then it is added as it came
    given::<Project>(&[added()])
        .when(add(ok.clone()))
        .then(&[E::AppAdded {
            app_id: s("app-1"),
            client_id: s("client-1"),
            config: ok,
            secret_hash: None,
            sealed_secret: None,
        }]);
    // And what is not an https address (plain http only on loopback), or a key set for an
    // app without keys, is refused
    for (method, jwks, logout) in [
        (
            AuthMethod::PrivateKeyJwt,
            Some("http://shop.example.com/jwks"),
            None,
        ),
        (AuthMethod::PrivateKeyJwt, Some("file:///etc/passwd"), None),
        (
            AuthMethod::ClientSecretBasic,
            Some("https://shop.example.com/jwks"),
            None,
        ),
        (AuthMethod::None, None, Some("javascript:alert(1)")),
        (AuthMethod::None, None, Some("com.example.app:/logout")),
        (
            AuthMethod::None,
            None,
            Some("https://shop.example.com/logout#x"),
        ),
    ] {
        let mut bad = config(method);
        bad.jwks_uri = jwks.map(String::from);
        bad.backchannel_logout_uri = logout.map(String::from);
        given::<Project>(&[added()])
            .when(add(bad))
            .then_error(Code::InvalidAppConfig);
    }
}

#[test]
fn app_secrets_rotate_only_for_secret_methods() {
    given::<Project>(&[added(), app_added(AuthMethod::ClientSecretPost)])
        .when(C::RotateAppSecret {
            app_id: s("app-1"),
            secret_hash: s("hash-2"),
            sealed_secret: None,
        })
        .then(&[E::AppSecretRotated {
            app_id: s("app-1"),
            secret_hash: s("hash-2"),
            sealed_secret: None,
        }]);
    given::<Project>(&[added(), app_added(AuthMethod::None)])
        .when(C::RotateAppSecret {
            app_id: s("app-1"),
            secret_hash: s("hash-2"),
            sealed_secret: None,
        })
        .then_error(Code::AppHasNoSecret);
    given::<Project>(&[added()])
        .when(C::RotateAppSecret {
            app_id: s("app-1"),
            secret_hash: s("hash-2"),
            sealed_secret: None,
        })
        .then_error(Code::AppNotFound);
}

#[test]
fn app_updates_keep_the_kind_of_client() {
    let mut renamed = config(AuthMethod::None);
    renamed.name = s("spa");
    given::<Project>(&[added(), app_added(AuthMethod::None)])
        .when(C::UpdateApp {
            app_id: s("app-1"),
            config: renamed.clone(),
        })
        .then(&[E::AppChanged {
            app_id: s("app-1"),
            config: renamed,
        }]);
    given::<Project>(&[added(), app_added(AuthMethod::None)])
        .when(C::UpdateApp {
            app_id: s("app-1"),
            config: config(AuthMethod::None),
        })
        .then(&[]);
    given::<Project>(&[added(), app_added(AuthMethod::None)])
        .when(C::UpdateApp {
            app_id: s("app-1"),
            config: config(AuthMethod::ClientSecretBasic),
        })
        .then_error(Code::InvalidAppConfig);
    given::<Project>(&[added(), app_added(AuthMethod::None)])
        .when(C::RemoveApp { app_id: s("app-1") })
        .then(&[E::AppRemoved {
            app_id: s("app-1"),
            client_id: s("client-1"),
        }]);
    given::<Project>(&[added()])
        .when(C::RemoveApp { app_id: s("app-1") })
        .then_error(Code::AppNotFound);
}

#[test]
fn members_take_project_roles_only() {
    given::<Project>(&[added()])
        .when(C::Member(MemberCommand::Set {
            user_id: s("u1"),
            roles: vec![s("PROJECT_OWNER")],
        }))
        .then(&[E::MemberSet {
            user_id: s("u1"),
            roles: vec![s("PROJECT_OWNER")],
        }]);
    given::<Project>(&[added()])
        .when(C::Member(MemberCommand::Set {
            user_id: s("u1"),
            roles: vec![s("ORG_OWNER")],
        }))
        .then_error(Code::InvalidRole);
    given::<Project>(&[added()])
        .when(C::Member(MemberCommand::Remove { user_id: s("u1") }))
        .then_error(Code::MemberNotFound);
    let owner = E::MemberSet {
        user_id: s("u1"),
        roles: vec![s("PROJECT_OWNER")],
    };
    given::<Project>(&[added(), owner.clone()])
        .when(C::Member(MemberCommand::Add {
            user_id: s("u1"),
            roles: vec![s("PROJECT_OWNER_VIEWER")],
        }))
        .then_error(Code::MemberExists);
    given::<Project>(&[added(), owner.clone()])
        .when(C::Member(MemberCommand::Remove { user_id: s("u1") }))
        .then(&[E::MemberRemoved { user_id: s("u1") }]);
}

#[test]
fn an_apps_signing_keys_are_chosen_among_the_known_algorithms() {
    use domain::app::Signing;
    let app = app_added(AuthMethod::None);
    let eddsa = Signing {
        id_token_alg: s("EdDSA"),
        access_token_alg: s("ES256"),
    };
    given::<Project>(&[added(), app.clone()])
        .when(C::SetAppSigning {
            app_id: s("app-1"),
            signing: eddsa.clone(),
        })
        .then(&[E::AppSigningSet {
            app_id: s("app-1"),
            signing: eddsa,
        }]);
    given::<Project>(&[added(), app.clone()])
        .when(C::SetAppSigning {
            app_id: s("app-1"),
            signing: Signing::default(),
        })
        .then(&[]);
    given::<Project>(&[added(), app])
        .when(C::SetAppSigning {
            app_id: s("app-1"),
            signing: Signing {
                id_token_alg: s("HS256"),
                access_token_alg: s("ES256"),
            },
        })
        .then_error(Code::InvalidAppConfig);
}
