//! Settings of an instance, which an org may override kind by kind (`../API.md`, "Settings").
//! Each kind is a typed value; an org's value replaces the instance's, and the instance's
//! replaces the built-in default.

use serde::{Deserialize, Serialize};

use crate::error::{Code, Error, Result};

/// The kinds of settings, by their name in routes and events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingsKind {
    Session,
}

impl SettingsKind {
    pub const ALL: &'static [SettingsKind] = &[SettingsKind::Session];

    pub fn name(self) -> &'static str {
        match self {
            SettingsKind::Session => "session",
        }
    }

    /// The kind a route names; an unknown name is `SETTINGS-0002`.
    pub fn parse(name: &str) -> Result<SettingsKind> {
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                Error::new(
                    Code::UnknownSettingsKind,
                    format!("there are no settings of kind {name:?}"),
                )
            })
    }
}

/// One kind's value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Settings {
    Session(SessionSettings),
}

impl Settings {
    pub fn kind(&self) -> SettingsKind {
        match self {
            Settings::Session(_) => SettingsKind::Session,
        }
    }

    /// The value checked against its kind's rules.
    pub fn validated(self) -> Result<Settings> {
        match self {
            Settings::Session(s) => s.validated().map(Settings::Session),
        }
    }

    /// The built-in value of a kind, in force until an instance sets its own.
    pub fn default_of(kind: SettingsKind) -> Settings {
        match kind {
            SettingsKind::Session => Settings::Session(SessionSettings::default()),
        }
    }
}

/// How long browser sessions and refresh tokens live: unused for `idle_lifetime_s`, or
/// `absolute_lifetime_s` after the login, they end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    pub idle_lifetime_s: u64,
    pub absolute_lifetime_s: u64,
}

/// Ten years: longer lifetimes are mistakes, and the sums below stay far from overflow.
const LONGEST_S: u64 = 10 * 366 * 24 * 3600;

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            idle_lifetime_s: 24 * 3600,
            absolute_lifetime_s: 30 * 24 * 3600,
        }
    }
}

impl SessionSettings {
    fn validated(self) -> Result<SessionSettings> {
        let bad = |field: &str, why: &str| {
            Error::new(Code::InvalidSettings, format!("{field} {why}")).with("field", field)
        };
        for (field, v) in [
            ("idle_lifetime_s", self.idle_lifetime_s),
            ("absolute_lifetime_s", self.absolute_lifetime_s),
        ] {
            if v == 0 || v > LONGEST_S {
                return Err(bad(field, "must be between 1 second and 10 years"));
            }
        }
        if self.idle_lifetime_s > self.absolute_lifetime_s {
            return Err(bad(
                "idle_lifetime_s",
                "must not be longer than absolute_lifetime_s",
            ));
        }
        Ok(self)
    }

    /// When something that began at `began` (the login) and was last used at `last_used`
    /// (unix milliseconds; 0 when not known) ends unless used again.
    pub fn ends_at(&self, began: i64, last_used: i64) -> i64 {
        let absolute = began.saturating_add(self.absolute_lifetime_s as i64 * 1000);
        match last_used {
            0 => absolute,
            used => absolute.min(used.saturating_add(self.idle_lifetime_s as i64 * 1000)),
        }
    }

    /// Whether it is still alive at `now`.
    pub fn alive(&self, began: i64, last_used: i64, now: i64) -> bool {
        now <= self.ends_at(began, last_used)
    }

    /// How often a use is worth recording: a session used again within this many
    /// milliseconds of its last recorded use writes nothing (a minute, or a quarter of a
    /// shorter idle lifetime, so that recorded uses never let a used session lapse).
    pub fn use_interval_ms(&self) -> i64 {
        (self.idle_lifetime_s as i64 * 1000 / 4).min(60_000)
    }
}

/// The settings an aggregate sets, one value per kind.
pub type SettingsMap = std::collections::BTreeMap<SettingsKind, Settings>;

/// Where a value in force comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Default,
    Instance,
    Org,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Default => "default",
            Source::Instance => "instance",
            Source::Org => "org",
        }
    }
}

/// The value of `kind` in force: the org's (if given and set), else the instance's, else the
/// default.
pub fn in_force(
    kind: SettingsKind,
    org: Option<&SettingsMap>,
    instance: &SettingsMap,
) -> (Settings, Source) {
    if let Some(s) = org.and_then(|o| o.get(&kind)) {
        return (s.clone(), Source::Org);
    }
    match instance.get(&kind) {
        Some(s) => (s.clone(), Source::Instance),
        None => (Settings::default_of(kind), Source::Default),
    }
}

/// The session settings in force.
pub fn session(org: Option<&SettingsMap>, instance: &SettingsMap) -> SessionSettings {
    match in_force(SettingsKind::Session, org, instance).0 {
        Settings::Session(s) => s,
    }
}
