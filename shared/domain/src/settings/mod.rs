//! Settings of an instance, which an org may override kind by kind (`../API.md`, "Settings").
//! Each kind is a typed value; an org's value replaces the instance's, and the instance's
//! replaces the built-in default.

use serde::{Deserialize, Serialize};

use crate::error::{Code, Error, Result};

mod login;
mod password_expiry;
mod security;
mod texts;

pub use login::{LoginSettings, Passkeys, SecondFactor};
pub use password_expiry::PasswordExpirySettings;
pub use security::SecuritySettings;
pub use texts::{
    apply_texts, decide_texts, language, texts_for, texts_key, MessageTemplate, MessageTexts,
    TextsMap,
};

/// The kinds of settings, by their name in routes and events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingsKind {
    Session,
    Lockout,
    PasswordComplexity,
    Branding,
    Login,
    PasswordExpiry,
    Security,
}

impl SettingsKind {
    pub const ALL: &'static [SettingsKind] = &[
        SettingsKind::Session,
        SettingsKind::Lockout,
        SettingsKind::PasswordComplexity,
        SettingsKind::Branding,
        SettingsKind::Login,
        SettingsKind::PasswordExpiry,
        SettingsKind::Security,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SettingsKind::Session => "session",
            SettingsKind::Lockout => "lockout",
            SettingsKind::PasswordComplexity => "password_complexity",
            SettingsKind::Branding => "branding",
            SettingsKind::Login => "login",
            SettingsKind::PasswordExpiry => "password_expiry",
            SettingsKind::Security => "security",
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
    Lockout(LockoutSettings),
    PasswordComplexity(PasswordComplexitySettings),
    Branding(BrandingSettings),
    Login(LoginSettings),
    PasswordExpiry(PasswordExpirySettings),
    Security(SecuritySettings),
}

impl Settings {
    pub fn kind(&self) -> SettingsKind {
        match self {
            Settings::Session(_) => SettingsKind::Session,
            Settings::Lockout(_) => SettingsKind::Lockout,
            Settings::PasswordComplexity(_) => SettingsKind::PasswordComplexity,
            Settings::Branding(_) => SettingsKind::Branding,
            Settings::Login(_) => SettingsKind::Login,
            Settings::PasswordExpiry(_) => SettingsKind::PasswordExpiry,
            Settings::Security(_) => SettingsKind::Security,
        }
    }

    /// The value checked against its kind's rules.
    pub fn validated(self) -> Result<Settings> {
        match self {
            Settings::Session(s) => s.validated().map(Settings::Session),
            Settings::Lockout(s) => s.validated().map(Settings::Lockout),
            Settings::PasswordComplexity(s) => s.validated().map(Settings::PasswordComplexity),
            Settings::Branding(s) => s.validated().map(Settings::Branding),
            Settings::Login(s) => s.validated().map(Settings::Login),
            Settings::PasswordExpiry(s) => s.validated().map(Settings::PasswordExpiry),
            Settings::Security(s) => s.validated().map(Settings::Security),
        }
    }

    /// The built-in value of a kind, in force until an instance sets its own.
    pub fn default_of(kind: SettingsKind) -> Settings {
        match kind {
            SettingsKind::Session => Settings::Session(SessionSettings::default()),
            SettingsKind::Lockout => Settings::Lockout(LockoutSettings::default()),
            SettingsKind::PasswordComplexity => {
                Settings::PasswordComplexity(PasswordComplexitySettings::default())
            }
            SettingsKind::Branding => Settings::Branding(BrandingSettings::default()),
            SettingsKind::Login => Settings::Login(LoginSettings::default()),
            SettingsKind::PasswordExpiry => {
                Settings::PasswordExpiry(PasswordExpirySettings::default())
            }
            SettingsKind::Security => Settings::Security(SecuritySettings::default()),
        }
    }
}

fn invalid(field: &str, why: &str) -> Error {
    Error::new(Code::InvalidSettings, format!("{field} {why}")).with("field", field)
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
        let bad = invalid;
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

/// When wrong credentials lock a user: after `max_password_attempts` wrong passwords in a row
/// (`max_otp_attempts` wrong one-time codes), for `lock_seconds` (0: until a manager unlocks
/// the user). 0 attempts: never. While locked, a login gets the answer of a wrong password and
/// counts nothing; a right password after the lock resets the count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockoutSettings {
    pub max_password_attempts: u32,
    pub max_otp_attempts: u32,
    pub lock_seconds: u64,
}

/// The most attempts a lockout may allow (more is no lockout at all).
const MOST_ATTEMPTS: u32 = 1000;

impl Default for LockoutSettings {
    /// A temporary lock: an anonymous caller who knows a login name can hold it for five
    /// minutes at a time, never for good.
    fn default() -> Self {
        LockoutSettings {
            max_password_attempts: 10,
            max_otp_attempts: 5,
            lock_seconds: 300,
        }
    }
}

impl LockoutSettings {
    fn validated(self) -> Result<LockoutSettings> {
        for (field, v) in [
            ("max_password_attempts", self.max_password_attempts),
            ("max_otp_attempts", self.max_otp_attempts),
        ] {
            if v > MOST_ATTEMPTS {
                return Err(invalid(field, "must be 0 (never) to 1000"));
            }
        }
        if self.lock_seconds > LONGEST_S {
            return Err(invalid(
                "lock_seconds",
                "must be 0 (until unlocked) to 10 years",
            ));
        }
        Ok(self)
    }

    /// When a lock that starts at `at` (unix milliseconds) ends; `None`: until unlocked.
    pub fn lock_ends(&self, at: i64) -> Option<i64> {
        (self.lock_seconds > 0).then(|| at.saturating_add(self.lock_seconds as i64 * 1000))
    }
}

/// What every password set must hold (by a user, a manager, an invitation or a reset): at
/// least `min_length` characters and at most 200, and a character of each class asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordComplexitySettings {
    pub min_length: u32,
    pub has_uppercase: bool,
    pub has_lowercase: bool,
    pub has_number: bool,
    pub has_symbol: bool,
}

/// The longest password: longer ones are not passwords but payloads to hash.
pub const LONGEST_PASSWORD: u32 = 200;

/// The shortest minimum an instance or org may set (NIST SP 800-63B's floor).
const SHORTEST_MIN_LENGTH: u32 = 8;

impl Default for PasswordComplexitySettings {
    /// Length over classes, as NIST SP 800-63B and OWASP ASVS level 2 advise: 12 characters,
    /// of any kind.
    fn default() -> Self {
        PasswordComplexitySettings {
            min_length: 12,
            has_uppercase: false,
            has_lowercase: false,
            has_number: false,
            has_symbol: false,
        }
    }
}

impl PasswordComplexitySettings {
    fn validated(self) -> Result<PasswordComplexitySettings> {
        if !(SHORTEST_MIN_LENGTH..=LONGEST_PASSWORD).contains(&self.min_length) {
            return Err(invalid("min_length", "must be 8 to 200"));
        }
        Ok(self)
    }

    /// `password` if it holds to these rules (returned as given, never trimmed), else
    /// `USER-0009` naming the first rule it breaks (`details.rule`).
    pub fn check(&self, password: &str) -> Result<String> {
        let broken = |rule: &str, why: String| {
            Err(Error::new(Code::InvalidPassword, why)
                .with("field", "password")
                .with("rule", rule))
        };
        let length = password.chars().count();
        if length < self.min_length as usize || length > LONGEST_PASSWORD as usize {
            let min = self.min_length;
            return broken(
                "min_length",
                format!("the password must be {min} to {LONGEST_PASSWORD} characters"),
            )
            .map_err(|e| e.with("min_length", min.to_string()));
        }
        let asked = [
            (self.has_uppercase, &UPPERCASE),
            (self.has_lowercase, &LOWERCASE),
            (self.has_number, &NUMBER),
            (self.has_symbol, &SYMBOL),
        ];
        for (_, class) in asked.iter().filter(|(asked, _)| *asked) {
            if !password.chars().any(class.holds) {
                return broken(
                    class.rule,
                    format!("the password must hold {}", class.named),
                );
            }
        }
        Ok(password.to_string())
    }
}

/// A class of characters a password rule may ask for: the rule's name, the test, and how a
/// refusal names it.
struct CharClass {
    rule: &'static str,
    holds: fn(char) -> bool,
    named: &'static str,
}

const UPPERCASE: CharClass = CharClass {
    rule: "has_uppercase",
    holds: char::is_uppercase,
    named: "an uppercase letter",
};
const LOWERCASE: CharClass = CharClass {
    rule: "has_lowercase",
    holds: char::is_lowercase,
    named: "a lowercase letter",
};
const NUMBER: CharClass = CharClass {
    rule: "has_number",
    holds: char::is_numeric,
    named: "a number",
};
const SYMBOL: CharClass = CharClass {
    rule: "has_symbol",
    holds: is_symbol,
    named: "a symbol",
};

/// A symbol: neither a letter, a number nor white space.
fn is_symbol(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_whitespace()
}

/// How the hosted login looks for an instance or an org: colours as `#rgb` or `#rrggbb`, and
/// a logo and an icon at `https` addresses. The text and the warnings must stand out from the
/// background (a contrast ratio of at least 4.5, WCAG's level AA for text), so that no
/// branding makes the login unreadable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandingSettings {
    pub primary_color: String,
    pub background_color: String,
    pub font_color: String,
    pub warn_color: String,
    #[serde(default)]
    pub logo_url: Option<String>,
    #[serde(default)]
    pub icon_url: Option<String>,
    #[serde(default)]
    pub hide_login_name_suffix: bool,
}

impl Default for BrandingSettings {
    fn default() -> Self {
        BrandingSettings {
            primary_color: "#2f5bd3".into(),
            background_color: "#f6f7f9".into(),
            font_color: "#1d1f23".into(),
            warn_color: "#b3261e".into(),
            logo_url: None,
            icon_url: None,
            hide_login_name_suffix: false,
        }
    }
}

/// The least contrast ratio of text against its background (WCAG 2.1, 1.4.3, level AA).
const LEAST_TEXT_CONTRAST: f64 = 4.5;

impl BrandingSettings {
    fn validated(self) -> Result<BrandingSettings> {
        let mut colours = [0.0; 4];
        for (n, (field, value)) in [
            ("primary_color", &self.primary_color),
            ("background_color", &self.background_color),
            ("font_color", &self.font_color),
            ("warn_color", &self.warn_color),
        ]
        .into_iter()
        .enumerate()
        {
            colours[n] = luminance(value)
                .ok_or_else(|| invalid(field, "must be a colour such as #1d1f23 or #fff"))?;
        }
        let [_, background, font, warn] = colours;
        for (field, l) in [("font_color", font), ("warn_color", warn)] {
            if contrast(l, background) < LEAST_TEXT_CONTRAST {
                return Err(invalid(
                    field,
                    "must contrast with background_color by at least 4.5 to 1 (WCAG AA), so that the login stays readable",
                ));
            }
        }
        for (field, url) in [("logo_url", &self.logo_url), ("icon_url", &self.icon_url)] {
            if url.as_deref().is_some_and(|u| !https_url(u)) {
                return Err(invalid(
                    field,
                    "must be an https address of at most 2048 characters",
                ));
            }
        }
        Ok(BrandingSettings {
            primary_color: self.primary_color.to_ascii_lowercase(),
            background_color: self.background_color.to_ascii_lowercase(),
            font_color: self.font_color.to_ascii_lowercase(),
            warn_color: self.warn_color.to_ascii_lowercase(),
            ..self
        })
    }

    /// The origins the logo and the icon load from (none, one or two), for a page's
    /// Content-Security-Policy.
    pub fn image_origins(&self) -> Vec<String> {
        let mut origins: Vec<String> = [&self.logo_url, &self.icon_url]
            .into_iter()
            .filter_map(|u| u.as_deref().and_then(https_origin))
            .collect();
        origins.dedup();
        origins
    }

    /// The colour of text on the primary colour (a button's label): black or white, whichever
    /// contrasts more.
    pub fn on_primary(&self) -> &'static str {
        let primary = luminance(&self.primary_color).unwrap_or(0.0);
        match contrast(primary, 1.0) >= contrast(primary, 0.0) {
            true => "#ffffff",
            false => "#000000",
        }
    }
}

/// The origin (`https://host[:port]`) of an `https` address with a host.
fn https_origin(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    (!host.is_empty()).then(|| format!("https://{host}"))
}

/// The relative luminance of `#rgb` or `#rrggbb` (WCAG 2.1); `None` for anything else.
fn luminance(colour: &str) -> Option<f64> {
    let hex = colour.strip_prefix('#')?;
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |text: &str| u8::from_str_radix(text, 16).ok().map(f64::from);
    let (r, g, b) = match hex.len() {
        3 => {
            let c = |i: usize| channel(&hex[i..i + 1]).map(|v| v * 17.0);
            (c(0)?, c(1)?, c(2)?)
        }
        6 => (
            channel(&hex[0..2])?,
            channel(&hex[2..4])?,
            channel(&hex[4..6])?,
        ),
        _ => return None,
    };
    let linear = |v: f64| {
        let v = v / 255.0;
        match v <= 0.039_28 {
            true => v / 12.92,
            false => ((v + 0.055) / 1.055).powf(2.4),
        }
    };
    Some(0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b))
}

/// The contrast ratio of two luminances (1 to 21).
fn contrast(a: f64, b: f64) -> f64 {
    (a.max(b) + 0.05) / (a.min(b) + 0.05)
}

/// An `https` address with a host, of at most 2048 characters, with nothing that could leave
/// an HTML attribute or a CSS value (quotes, angle brackets, backslashes, white space).
fn https_url(url: &str) -> bool {
    url.len() <= 2048
        && https_origin(url).is_some()
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "\"'<>\\`(){}".contains(c))
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
        _ => SessionSettings::default(),
    }
}

/// The lockout settings in force.
pub fn lockout(org: Option<&SettingsMap>, instance: &SettingsMap) -> LockoutSettings {
    match in_force(SettingsKind::Lockout, org, instance).0 {
        Settings::Lockout(s) => s,
        _ => LockoutSettings::default(),
    }
}

/// The branding in force.
pub fn branding(org: Option<&SettingsMap>, instance: &SettingsMap) -> BrandingSettings {
    match in_force(SettingsKind::Branding, org, instance).0 {
        Settings::Branding(s) => s,
        _ => BrandingSettings::default(),
    }
}

/// The password rules in force.
pub fn password_complexity(
    org: Option<&SettingsMap>,
    instance: &SettingsMap,
) -> PasswordComplexitySettings {
    match in_force(SettingsKind::PasswordComplexity, org, instance).0 {
        Settings::PasswordComplexity(s) => s,
        _ => PasswordComplexitySettings::default(),
    }
}

/// The login settings in force.
pub fn login(org: Option<&SettingsMap>, instance: &SettingsMap) -> LoginSettings {
    match in_force(SettingsKind::Login, org, instance).0 {
        Settings::Login(s) => s,
        _ => LoginSettings::default(),
    }
}

/// Whether users of an org may be impersonated: the instance turns it on, and their org (if
/// it says) has not turned it off.
pub fn impersonation_allowed(org: Option<&SettingsMap>, instance: &SettingsMap) -> bool {
    let on = |s: Settings| matches!(s, Settings::Security(s) if s.impersonation);
    on(in_force(SettingsKind::Security, None, instance).0)
        && on(in_force(SettingsKind::Security, org, instance).0)
}

/// The password expiry in force.
pub fn password_expiry(
    org: Option<&SettingsMap>,
    instance: &SettingsMap,
) -> PasswordExpirySettings {
    match in_force(SettingsKind::PasswordExpiry, org, instance).0 {
        Settings::PasswordExpiry(s) => s,
        _ => PasswordExpirySettings::default(),
    }
}
