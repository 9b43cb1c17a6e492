//! Given / when / then for settings of the instance and of orgs, and which value is in force.

use domain::instance::{Instance, InstanceCommand as IC, InstanceEvent as IE};
use domain::org::{Org, OrgCommand as OC, OrgEvent as OE};
use domain::settings::{
    self, LoginSettings, Passkeys, PasswordComplexitySettings, PasswordExpirySettings,
    SecondFactor, SessionSettings, Settings, SettingsKind, SettingsMap, Source,
};
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
        SettingsKind::parse("notifications").unwrap_err().code,
        Code::UnknownSettingsKind
    );
}

fn rules(min_length: u32, classes: [bool; 4]) -> PasswordComplexitySettings {
    let [has_uppercase, has_lowercase, has_number, has_symbol] = classes;
    PasswordComplexitySettings {
        min_length,
        has_uppercase,
        has_lowercase,
        has_number,
        has_symbol,
    }
}

/// The rule a password breaks, if any.
fn broken(rules: &PasswordComplexitySettings, password: &str) -> Option<String> {
    rules.check(password).err().map(|e| {
        assert_eq!(e.code, Code::InvalidPassword, "{e}");
        e.details
            .iter()
            .find(|(k, _)| k == "rule")
            .map(|(_, v)| v.clone())
            .expect("the broken rule is named")
    })
}

#[test]
fn a_password_holds_to_the_rules_in_force_and_a_refusal_names_the_rule() {
    // By default: 12 to 200 characters of any kind.
    let default = PasswordComplexitySettings::default();
    assert_eq!(broken(&default, "correct horse battery"), None);
    assert_eq!(broken(&default, "elevenchars"), Some("min_length".into()));
    assert_eq!(
        broken(&default, &"x".repeat(201)),
        Some("min_length".into())
    );
    // Characters, not bytes: twelve accented letters are enough.
    assert_eq!(broken(&default, "éééééééééééé"), None);
    // Every class asked for.
    let all = rules(10, [true, true, true, true]);
    assert_eq!(broken(&all, "Correct horse 9!"), None);
    assert_eq!(
        broken(&all, "correct horse 9!"),
        Some("has_uppercase".into())
    );
    assert_eq!(
        broken(&all, "CORRECT HORSE 9!"),
        Some("has_lowercase".into())
    );
    assert_eq!(broken(&all, "Correct horse !!"), Some("has_number".into()));
    // White space is not a symbol.
    assert_eq!(broken(&all, "Correct horse 99"), Some("has_symbol".into()));
    assert_eq!(broken(&all, "Short 9!"), Some("min_length".into()));
    // A password is kept as given, never trimmed.
    assert_eq!(
        all.check("  Correct horse 9!  ").unwrap(),
        "  Correct horse 9!  "
    );
}

#[test]
fn password_rules_are_set_within_bounds_and_an_org_overrides_them() {
    let strict = Settings::PasswordComplexity(rules(16, [true, false, true, false]));
    given::<Instance>(&[instance()])
        .when(IC::SetSettings(strict.clone()))
        .then(&[IE::SettingsSet {
            settings: strict.clone(),
        }]);
    for min_length in [0, 7, 201] {
        let bad = Settings::PasswordComplexity(rules(min_length, [false; 4]));
        given::<Instance>(&[instance()])
            .when(IC::SetSettings(bad.clone()))
            .then_error(Code::InvalidSettings);
        given::<Org>(&[org()])
            .when(OC::SetSettings(bad))
            .then_error(Code::InvalidSettings);
    }
    let mut own = SettingsMap::new();
    let mut org = SettingsMap::new();
    assert_eq!(
        settings::password_complexity(Some(&org), &own),
        PasswordComplexitySettings::default()
    );
    own.insert(SettingsKind::PasswordComplexity, strict);
    assert_eq!(
        settings::password_complexity(Some(&org), &own),
        rules(16, [true, false, true, false])
    );
    org.insert(
        SettingsKind::PasswordComplexity,
        Settings::PasswordComplexity(rules(8, [false; 4])),
    );
    assert_eq!(
        settings::password_complexity(Some(&org), &own),
        rules(8, [false; 4])
    );
    assert_eq!(
        SettingsKind::parse("password_complexity").unwrap(),
        SettingsKind::PasswordComplexity
    );
}

fn branding(primary: &str, background: &str, font: &str, warn: &str) -> settings::BrandingSettings {
    settings::BrandingSettings {
        primary_color: primary.into(),
        background_color: background.into(),
        font_color: font.into(),
        warn_color: warn.into(),
        ..Default::default()
    }
}

#[test]
fn branding_keeps_the_login_readable_and_its_addresses_safe() {
    let set = |b: settings::BrandingSettings| {
        given::<Org>(&[org()]).when(OC::SetSettings(Settings::Branding(b)))
    };
    // Colours are lower-cased as stored.
    set(branding("#8A1538", "#FFF8F0", "#2b1a10", "#9c1c1c")).then(&[OE::SettingsSet {
        settings: Settings::Branding(branding("#8a1538", "#fff8f0", "#2b1a10", "#9c1c1c")),
    }]);
    for bad in [
        branding("red", "#fff", "#000", "#b00"),
        branding("#12345", "#fff", "#000", "#b00"),
        branding("#fff", "#ggg", "#000", "#b00"),
        // Grey on grey, and a warning that does not stand out.
        branding("#2f5bd3", "#888888", "#777777", "#b00"),
        branding("#2f5bd3", "#ffffff", "#000000", "#ff8080"),
    ] {
        set(bad).then_error(Code::InvalidSettings);
    }
    for url in [
        "http://cdn.example.com/logo.svg",
        "https://",
        "https://cdn.example.com/\"onerror=\"alert(1)",
        "https://cdn.example.com/a b.png",
        "https://cdn.example.com/url(x)",
        "javascript:alert(1)",
    ] {
        let logo = settings::BrandingSettings {
            logo_url: Some(url.into()),
            ..Default::default()
        };
        set(logo).then_error(Code::InvalidSettings);
        let icon = settings::BrandingSettings {
            icon_url: Some(url.into()),
            ..Default::default()
        };
        set(icon).then_error(Code::InvalidSettings);
    }
    let long = settings::BrandingSettings {
        logo_url: Some(format!("https://cdn.example.com/{}", "a".repeat(2048))),
        ..Default::default()
    };
    set(long).then_error(Code::InvalidSettings);
    // A button's label is black or white, whichever reads better on it.
    assert_eq!(
        branding("#2f5bd3", "#fff", "#000", "#b00").on_primary(),
        "#ffffff"
    );
    assert_eq!(
        branding("#ffd400", "#fff", "#000", "#b00").on_primary(),
        "#000000"
    );
}

#[test]
fn login_settings_fill_left_out_fields_with_defaults_and_refuse_a_login_nobody_could_use() {
    let parsed: LoginSettings =
        serde_json::from_str(r#"{"allow_register": true, "password_check_lifetime_s": 60}"#)
            .unwrap();
    assert!(parsed.allow_register && parsed.allow_username_password);
    assert_eq!(parsed.password_check_lifetime_ms(), 60_000);
    assert_eq!(
        parsed.second_factor_check_lifetime_s,
        LoginSettings::default().second_factor_check_lifetime_s
    );
    assert!(serde_json::from_str::<LoginSettings>(r#"{"allow_regster": true}"#).is_err());

    let refused = |s: LoginSettings| match Settings::Login(s).validated() {
        Err(e) => {
            assert_eq!(e.code, Code::InvalidSettings);
            e.details[0].1.clone()
        }
        Ok(v) => panic!("accepted {v:?}"),
    };
    let nobody = LoginSettings {
        allow_username_password: false,
        passkeys: Passkeys::Disabled,
        ..LoginSettings::default()
    };
    assert_eq!(refused(nobody.clone()), "allow_username_password");
    // Another way in makes it a valid choice.
    let federated_only = LoginSettings {
        allow_external_idp: true,
        ..nobody
    };
    assert!(Settings::Login(federated_only).validated().is_ok());
    let twice = LoginSettings {
        second_factors: vec![SecondFactor::Totp, SecondFactor::Totp],
        ..LoginSettings::default()
    };
    assert_eq!(refused(twice), "second_factors");
    for lifetime in [0, 11 * 366 * 24 * 3600] {
        let bad = LoginSettings {
            password_check_lifetime_s: lifetime,
            ..LoginSettings::default()
        };
        assert_eq!(refused(bad), "password_check_lifetime_s");
    }
    // A second factor is required only where one may be set up.
    let forced = LoginSettings {
        force_mfa: true,
        ..LoginSettings::default()
    };
    assert!(Settings::Login(forced.clone()).validated().is_ok());
    let none_allowed = LoginSettings {
        second_factors: vec![],
        ..forced
    };
    assert_eq!(refused(none_allowed), "force_mfa");
}

#[test]
fn a_password_expires_after_its_maximum_age_and_never_with_zero() {
    const DAY: i64 = 24 * 3600 * 1000;
    let ninety = PasswordExpirySettings { max_age_days: 90 };
    let set = 1_700_000_000_000;
    assert!(!ninety.expired(Some(set), set + 90 * DAY));
    assert!(ninety.expired(Some(set), set + 90 * DAY + 1));
    // A password whose age is not known (set before ages were recorded) counts as expired.
    assert!(ninety.expired(None, set));
    let never = PasswordExpirySettings::default();
    assert!(!never.expired(None, set) && !never.expired(Some(0), i64::MAX / 2));
    assert!(
        Settings::PasswordExpiry(PasswordExpirySettings { max_age_days: 3661 })
            .validated()
            .is_err()
    );
    let (own, org) = (SettingsMap::new(), SettingsMap::new());
    assert_eq!(settings::password_expiry(Some(&org), &own), never);
    assert_eq!(settings::login(Some(&org), &own), LoginSettings::default());
}
