//! Given / when / then for settings of the instance and of orgs, and which value is in force.

use domain::instance::{Instance, InstanceCommand as IC, InstanceEvent as IE};
use domain::org::{Org, OrgCommand as OC, OrgEvent as OE};
use domain::settings::{self, SessionSettings, Settings, SettingsKind, SettingsMap, Source};
use domain::testing::given;
use domain::Code;

fn session(idle: u64, absolute: u64) -> Settings {
    Settings::Session(SessionSettings {
        idle_lifetime_s: idle,
        absolute_lifetime_s: absolute,
    })
}

fn instance() -> IE {
    IE::Added {
        name: "Acme".into(),
        domains: vec!["acme.test".into()],
    }
}

fn org() -> OE {
    OE::Added {
        name: "Shop".into(),
    }
}

#[test]
fn an_instance_sets_its_settings_once_per_value() {
    given::<Instance>(&[instance()])
        .when(IC::SetSettings(session(600, 3600)))
        .then(&[IE::SettingsSet {
            settings: session(600, 3600),
        }]);
    // The same value again writes nothing.
    let set = IE::SettingsSet {
        settings: session(600, 3600),
    };
    given::<Instance>(&[instance(), set])
        .when(IC::SetSettings(session(600, 3600)))
        .then(&[]);
}

#[test]
fn lifetimes_out_of_range_are_refused() {
    for bad in [
        session(0, 3600),
        session(600, 0),
        session(7200, 3600),
        session(600, 11 * 366 * 24 * 3600),
    ] {
        given::<Instance>(&[instance()])
            .when(IC::SetSettings(bad.clone()))
            .then_error(Code::InvalidSettings);
        given::<Org>(&[org()])
            .when(OC::SetSettings(bad))
            .then_error(Code::InvalidSettings);
    }
    given::<Instance>(&[])
        .when(IC::SetSettings(session(600, 3600)))
        .then_error(Code::InstanceNotFound);
}

#[test]
fn an_org_overrides_and_resets_a_kind() {
    given::<Org>(&[org()])
        .when(OC::SetSettings(session(60, 120)))
        .then(&[OE::SettingsSet {
            settings: session(60, 120),
        }]);
    let set = OE::SettingsSet {
        settings: session(60, 120),
    };
    given::<Org>(&[org(), set])
        .when(OC::ResetSettings(SettingsKind::Session))
        .then(&[OE::SettingsReset {
            kind: SettingsKind::Session,
        }]);
    // Resetting what the org does not set writes nothing.
    given::<Org>(&[org()])
        .when(OC::ResetSettings(SettingsKind::Session))
        .then(&[]);
    given::<Org>(&[])
        .when(OC::SetSettings(session(60, 120)))
        .then_error(Code::OrgNotFound);
}

#[test]
fn the_org_value_wins_then_the_instance_value_then_the_default() {
    let mut own = SettingsMap::new();
    let mut org = SettingsMap::new();
    let kind = SettingsKind::Session;
    assert_eq!(
        settings::in_force(kind, Some(&org), &own),
        (session(86_400, 2_592_000), Source::Default)
    );
    own.insert(kind, session(600, 3600));
    assert_eq!(
        settings::in_force(kind, Some(&org), &own),
        (session(600, 3600), Source::Instance)
    );
    org.insert(kind, session(60, 120));
    assert_eq!(
        settings::in_force(kind, Some(&org), &own),
        (session(60, 120), Source::Org)
    );
    assert_eq!(
        settings::in_force(kind, None, &own),
        (session(600, 3600), Source::Instance)
    );
    assert_eq!(
        SettingsKind::parse("login").unwrap_err().code,
        Code::UnknownSettingsKind
    );
}
