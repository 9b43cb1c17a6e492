//! Given / when / then for SAML apps in the Project aggregate: added with their SP's metadata
//! checked, changed only with the same entity id, removed like the OIDC apps.

use domain::project::{Project, ProjectCommand as C, ProjectEvent as E};
use domain::saml::{Endpoint, SamlConfig};
use domain::testing::given;
use domain::Code;

fn s(v: &str) -> String {
    v.to_string()
}

fn added() -> E {
    E::Added {
        org_id: s("org-1"),
        name: s("Wiki"),
        assert_roles: false,
    }
}

fn config() -> SamlConfig {
    domain::testing::saml_app()
}

fn saml_added() -> E {
    E::SamlAppAdded {
        app_id: s("app-1"),
        config: config(),
    }
}

#[test]
fn a_saml_app_is_added_with_its_metadata_checked() {
    given::<Project>(&[added()])
        .when(C::AddSamlApp {
            app_id: s("app-1"),
            config: SamlConfig {
                name: s(" Wiki "),
                ..config()
            },
        })
        .then(&[saml_added()]);
    given::<Project>(&[added()])
        .when(C::AddSamlApp {
            app_id: s("app-1"),
            config: SamlConfig {
                acs: vec![Endpoint {
                    location: s("http://wiki.example.com/acs"),
                    ..config().acs[0].clone()
                }],
                ..config()
            },
        })
        .then_error(Code::InvalidSamlConfig);
    given::<Project>(&[])
        .when(C::AddSamlApp {
            app_id: s("app-1"),
            config: config(),
        })
        .then_error(Code::ProjectNotFound);
}

#[test]
fn new_metadata_keeps_the_entity_id_and_the_same_metadata_changes_nothing() {
    given::<Project>(&[added(), saml_added()])
        .when(C::UpdateSamlApp {
            app_id: s("app-1"),
            config: SamlConfig {
                idp_initiated: true,
                ..config()
            },
        })
        .then(&[E::SamlAppChanged {
            app_id: s("app-1"),
            config: SamlConfig {
                idp_initiated: true,
                ..config()
            },
        }]);
    given::<Project>(&[added(), saml_added()])
        .when(C::UpdateSamlApp {
            app_id: s("app-1"),
            config: config(),
        })
        .then(&[]);
    given::<Project>(&[added(), saml_added()])
        .when(C::UpdateSamlApp {
            app_id: s("app-1"),
            config: SamlConfig {
                entity_id: s("https://other.example.com/saml"),
                ..config()
            },
        })
        .then_error(Code::InvalidSamlConfig);
    given::<Project>(&[added()])
        .when(C::UpdateSamlApp {
            app_id: s("app-1"),
            config: config(),
        })
        .then_error(Code::AppNotFound);
}

#[test]
fn a_saml_app_is_removed_by_its_id_naming_its_entity() {
    given::<Project>(&[added(), saml_added()])
        .when(C::RemoveApp { app_id: s("app-1") })
        .then(&[E::AppRemoved {
            app_id: s("app-1"),
            client_id: s("https://wiki.example.com/saml"),
        }]);
    given::<Project>(&[
        added(),
        saml_added(),
        E::AppRemoved {
            app_id: s("app-1"),
            client_id: s("https://wiki.example.com/saml"),
        },
    ])
    .when(C::RemoveApp { app_id: s("app-1") })
    .then_error(Code::AppNotFound);
}
