//! A user as a SCIM resource, and a SCIM resource as the changes it makes to a user. The core
//! keeps the login name, the profile, the primary email (verified: the directory vouches for
//! it), the primary phone (when it is in international form) and whether the user is active;
//! every other attribute is kept as the user's metadata under `scim.<attribute>` (so an
//! `externalId` is the metadata `scim.externalId`).

use std::collections::BTreeMap;

use command::HumanInput;
use domain::user::{Email, Profile, ProfilePatch, User, UserChange, UserKind, UserState};
use readmodel::UserRow;
use serde_json::{json, Map, Value};

use super::error::ScimError;
use super::filter::member;
use super::schemas::{CORE_USER, ENTERPRISE_USER};

/// The metadata keys of the attributes the core does not keep.
pub const PREFIX: &str = "scim.";

/// Attributes of one string each.
const STRINGS: &[&str] = &[
    "externalId",
    "nickName",
    "profileUrl",
    "title",
    "userType",
    "locale",
    "timezone",
];
/// `name`'s sub-attributes beside the profile's given and family name.
const NAME_EXTRAS: &[&str] = &[
    "formatted",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
];
const EMAIL: &[&str] = &["value", "type", "primary"];
const ADDRESS: &[&str] = &[
    "formatted",
    "streetAddress",
    "locality",
    "region",
    "postalCode",
    "country",
    "type",
    "primary",
];
const ENTERPRISE: &[&str] = &[
    "employeeNumber",
    "costCenter",
    "organization",
    "division",
    "department",
    "manager",
];
/// The metadata key of the enterprise extension.
const ENTERPRISE_KEY: &str = "enterprise";

/// What SCIM shows of a human user.
#[derive(Clone, Debug)]
pub struct ScimUser {
    pub id: String,
    pub username: String,
    pub active: bool,
    pub profile: Profile,
    pub email: String,
    pub phone: Option<String>,
    /// The `scim.*` metadata, by attribute (the key without its prefix).
    pub extras: BTreeMap<String, Vec<u8>>,
    /// The user's version, when read from its actor (the ETag).
    pub version: Option<u64>,
}

/// The `scim.*` entries of a user's metadata, by attribute.
pub fn extras_of<'a>(
    metadata: impl IntoIterator<Item = (&'a String, &'a Vec<u8>)>,
) -> BTreeMap<String, Vec<u8>> {
    metadata
        .into_iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(PREFIX)?.to_string(), v.clone())))
        .collect()
}

impl ScimUser {
    /// A human user as its actor holds it (`None` for a machine user).
    pub fn of_user(id: &str, user: &User, version: u64) -> Option<ScimUser> {
        let Some(UserKind::Human {
            profile,
            email,
            phone,
        }) = &user.kind
        else {
            return None;
        };
        Some(ScimUser {
            id: id.to_string(),
            username: user.username.clone(),
            active: user.state != UserState::Inactive,
            profile: profile.clone(),
            email: email.address.clone(),
            phone: phone.clone(),
            extras: extras_of(&user.metadata),
            version: Some(version),
        })
    }

    /// A human user as the read model holds it, with its metadata (`None` for a machine
    /// user).
    pub fn of_row(row: UserRow, metadata: &[(String, Vec<u8>)]) -> Option<ScimUser> {
        if row.kind != "human" {
            return None;
        }
        Some(ScimUser {
            id: row.id,
            username: row.username,
            active: row.state != "inactive",
            profile: Profile {
                given_name: row.given_name.unwrap_or_default(),
                family_name: row.family_name.unwrap_or_default(),
                display_name: row.display_name,
                preferred_language: row.preferred_language,
            },
            email: row.email.unwrap_or_default(),
            phone: row.phone,
            extras: extras_of(metadata.iter().map(|(k, v)| (k, v))),
            version: None,
        })
    }

    fn extra_string(&self, attr: &str) -> Option<String> {
        self.extras
            .get(attr)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }

    fn extra_json(&self, attr: &str) -> Option<Value> {
        self.extras
            .get(attr)
            .and_then(|v| serde_json::from_slice(v).ok())
    }

    /// The user's emails: those the directory sent while they hold the user's address, else
    /// that address alone.
    fn emails(&self) -> Value {
        match self.extra_json("emails") {
            Some(Value::Array(items))
                if items.iter().any(|i| {
                    member(i, "value")
                        .and_then(Value::as_str)
                        .is_some_and(|v| v.eq_ignore_ascii_case(&self.email))
                }) =>
            {
                Value::Array(items)
            }
            _ => json!([{"value": self.email, "primary": true}]),
        }
    }

    /// The user's phone numbers: those the directory sent while they hold the user's phone
    /// (or the user has none), else the user's phone alone.
    fn phone_numbers(&self) -> Option<Value> {
        let stored = self.extra_json("phoneNumbers");
        match (&self.phone, stored) {
            (None, stored) => stored,
            (Some(phone), Some(Value::Array(items)))
                if items.iter().any(|i| {
                    member(i, "value")
                        .and_then(Value::as_str)
                        .and_then(international)
                        .is_some_and(|v| &v == phone)
                }) =>
            {
                Some(Value::Array(items))
            }
            (Some(phone), _) => Some(json!([{"value": phone, "primary": true}])),
        }
    }

    /// The resource, at `base` (`.../scim/v2/{org_id}`).
    pub fn render(&self, base: &str) -> Value {
        let mut name = json!({
            "givenName": self.profile.given_name,
            "familyName": self.profile.family_name,
        });
        if let Some(Value::Object(more)) = self.extra_json("name") {
            for (k, v) in more {
                name[k] = v;
            }
        }
        let mut r = json!({
            "schemas": [CORE_USER],
            "id": self.id,
            "userName": self.username,
            "name": name,
            "displayName": self.profile.display_name,
            "active": self.active,
            "emails": self.emails(),
            "meta": {
                "resourceType": "User",
                "location": format!("{base}/Users/{}", self.id),
            },
        });
        if let Some(v) = self.version {
            r["meta"]["version"] = json!(etag(v));
        }
        if let Some(lang) = &self.profile.preferred_language {
            r["preferredLanguage"] = json!(lang);
        }
        if let Some(phones) = self.phone_numbers() {
            r["phoneNumbers"] = phones;
        }
        for attr in STRINGS {
            if let Some(v) = self.extra_string(attr) {
                r[*attr] = json!(v);
            }
        }
        if let Some(a) = self.extra_json("addresses") {
            r["addresses"] = a;
        }
        if let Some(e) = self.extra_json(ENTERPRISE_KEY) {
            r[ENTERPRISE_USER] = e;
            r["schemas"] = json!([CORE_USER, ENTERPRISE_USER]);
        }
        r
    }
}

/// The ETag of a user's version.
pub fn etag(version: u64) -> String {
    format!("W/\"{version}\"")
}

/// A phone number in international form (`tel:` dropped), if it is one.
fn international(value: &str) -> Option<String> {
    let v = value.trim();
    let v = v.strip_prefix("tel:").unwrap_or(v);
    domain::validate::phone(v).ok()
}

fn invalid(attr: &str, what: &str) -> ScimError {
    ScimError::bad("invalidValue", format!("{attr} must be {what}"))
}

/// A string attribute (`None` when absent, null or empty).
fn string(v: Option<&Value>, attr: &str) -> Result<Option<String>, ScimError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(attr, "a string")),
    }
}

/// A boolean attribute; Entra ID sends `"True"` and `"False"` as strings.
fn boolean(v: Option<&Value>, attr: &str) -> Result<Option<bool>, ScimError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(invalid(attr, "true or false")),
    }
}

/// The sub-attributes `names` of a complex value, under their names' spelling; `primary`
/// as a boolean.
fn complex(v: &Value, names: &[&str], attr: &str) -> Result<Map<String, Value>, ScimError> {
    if !v.is_object() {
        return Err(invalid(attr, "an object"));
    }
    let mut out = Map::new();
    for name in names {
        let field = format!("{attr}.{name}");
        let value = match *name {
            "primary" => boolean(member(v, name), &field)?.map(Value::Bool),
            "manager" => match member(v, name) {
                // Entra ID sends the manager's id alone.
                Some(Value::String(id)) if !id.is_empty() => Some(json!({"value": id})),
                Some(m @ Value::Object(_)) => {
                    let m = complex(m, &["value", "$ref", "displayName"], &field)?;
                    (!m.is_empty()).then_some(Value::Object(m))
                }
                None | Some(Value::Null) => None,
                Some(_) => return Err(invalid(&field, "an object")),
            },
            _ => string(member(v, name), &field)?.map(Value::String),
        };
        if let Some(value) = value {
            out.insert((*name).to_string(), value);
        }
    }
    Ok(out)
}

/// A multi-valued complex attribute (`None` when absent or empty); one value alone is
/// taken as a list of it.
fn multi(v: Option<&Value>, names: &[&str], attr: &str) -> Result<Option<Vec<Value>>, ScimError> {
    let items = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(a)) => a.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        Some(_) => return Err(invalid(attr, "a list")),
    };
    let items: Vec<Value> = items
        .iter()
        .map(|i| complex(i, names, attr).map(Value::Object))
        .collect::<Result<_, _>>()?;
    Ok((!items.is_empty()).then_some(items))
}

/// The primary value of a list (else its first).
fn primary(items: &[Value]) -> Option<String> {
    items
        .iter()
        .find(|i| i["primary"] == json!(true))
        .or_else(|| items.first())
        .and_then(|i| i["value"].as_str())
        .map(str::to_string)
}

/// What a resource sent by a client asks the user to be.
#[derive(Clone, Debug, Default)]
pub struct Desired {
    pub username: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    pub preferred_language: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub active: Option<bool>,
    pub password: Option<String>,
    /// The `scim.*` metadata the user should have, by attribute.
    pub extras: BTreeMap<String, Vec<u8>>,
}

/// Reads a resource a client sent (read-only attributes such as `id` and `meta` ignored).
pub fn desired(r: &Value) -> Result<Desired, ScimError> {
    if !r.is_object() {
        return Err(ScimError::bad("invalidSyntax", "a user is a JSON object"));
    }
    let name = match member(r, "name") {
        None | Some(Value::Null) => Value::Null,
        Some(n @ Value::Object(_)) => n.clone(),
        Some(_) => return Err(invalid("name", "an object")),
    };
    let mut d = Desired {
        username: string(member(r, "userName"), "userName")?,
        given_name: string(member(&name, "givenName"), "name.givenName")?,
        family_name: string(member(&name, "familyName"), "name.familyName")?,
        display_name: string(member(r, "displayName"), "displayName")?,
        preferred_language: string(member(r, "preferredLanguage"), "preferredLanguage")?,
        active: boolean(member(r, "active"), "active")?,
        password: string(member(r, "password"), "password")?,
        ..Desired::default()
    };
    for attr in STRINGS {
        if let Some(v) = string(member(r, attr), attr)? {
            d.extras.insert((*attr).to_string(), v.into_bytes());
        }
    }
    if !name.is_null() {
        let more = complex(&name, NAME_EXTRAS, "name")?;
        if !more.is_empty() {
            d.extras
                .insert("name".into(), Value::Object(more).to_string().into_bytes());
        }
    }
    if let Some(emails) = multi(member(r, "emails"), EMAIL, "emails")? {
        d.email = primary(&emails);
        d.extras
            .insert("emails".into(), json!(emails).to_string().into_bytes());
    }
    if let Some(phones) = multi(member(r, "phoneNumbers"), EMAIL, "phoneNumbers")? {
        d.phone = primary(&phones).as_deref().and_then(international);
        d.extras.insert(
            "phoneNumbers".into(),
            json!(phones).to_string().into_bytes(),
        );
    }
    if let Some(addresses) = multi(member(r, "addresses"), ADDRESS, "addresses")? {
        d.extras.insert(
            "addresses".into(),
            json!(addresses).to_string().into_bytes(),
        );
    }
    match member(r, ENTERPRISE_USER) {
        None | Some(Value::Null) => {}
        Some(e) => {
            let e = complex(e, ENTERPRISE, ENTERPRISE_USER)?;
            if !e.is_empty() {
                d.extras.insert(
                    ENTERPRISE_KEY.into(),
                    Value::Object(e).to_string().into_bytes(),
                );
            }
        }
    }
    Ok(d)
}

/// The metadata changes from what a user shows (`shown`, of what it holds: `stored`) to
/// `wanted`: what the user shows but does not hold (its email as the only one) is not
/// written for showing it.
fn metadata_changes(
    stored: &BTreeMap<String, Vec<u8>>,
    shown: &BTreeMap<String, Vec<u8>>,
    wanted: &BTreeMap<String, Vec<u8>>,
) -> Vec<UserChange> {
    let mut changes: Vec<UserChange> = wanted
        .iter()
        .filter(|(k, v)| shown.get(*k) != Some(*v))
        .map(|(k, v)| UserChange::SetMetadata {
            key: format!("{PREFIX}{k}"),
            value: v.clone(),
        })
        .collect();
    changes.extend(stored.keys().filter(|k| !wanted.contains_key(*k)).map(|k| {
        UserChange::RemoveMetadata {
            key: format!("{PREFIX}{k}"),
        }
    }));
    changes
}

/// A new user of `org_id` as a resource asks for it: the login name and an email address are
/// needed; a missing name is the login name, as for users an IdP makes.
pub fn new_human(org_id: &str, d: Desired) -> Result<HumanInput, ScimError> {
    let username = d
        .username
        .ok_or_else(|| ScimError::bad("invalidValue", "userName is required"))?;
    // An email address as the login name is the address when none is sent.
    let email = d
        .email
        .or_else(|| username.contains('@').then(|| username.clone()))
        .ok_or_else(|| {
            ScimError::bad(
                "invalidValue",
                "emails is required: a user has an email address",
            )
        })?;
    let or_username = |n: Option<String>| n.unwrap_or_else(|| username.clone());
    let mut then = metadata_changes(&BTreeMap::new(), &BTreeMap::new(), &d.extras);
    if d.active == Some(false) {
        then.push(UserChange::Deactivate);
    }
    Ok(HumanInput {
        org_id: org_id.to_string(),
        username: username.clone(),
        profile: Profile {
            given_name: or_username(d.given_name),
            family_name: or_username(d.family_name),
            display_name: d.display_name.unwrap_or_default(),
            preferred_language: d.preferred_language,
        },
        email: Email {
            address: email,
            verified: true,
        },
        phone: d.phone,
        password: d.password,
        then,
    })
}

/// The changes that make `current` what a resource asks for (all of it: what it does not
/// send is cleared, except what a user cannot be without: its names and email address). A
/// password is set apart (it needs `user.credential.write`).
pub fn changes(current: &ScimUser, d: &Desired) -> Result<Vec<UserChange>, ScimError> {
    if let Some(username) = &d.username {
        if *username != current.username {
            return Err(ScimError::bad(
                "mutability",
                "userName cannot change; create a new user for a new login name",
            ));
        }
    }
    let mut out = Vec::new();
    let p = &current.profile;
    let given = d.given_name.clone().unwrap_or(p.given_name.clone());
    let family = d.family_name.clone().unwrap_or(p.family_name.clone());
    let display = d
        .display_name
        .clone()
        .unwrap_or_else(|| format!("{given} {family}"));
    let language = d.preferred_language.clone();
    if given != p.given_name
        || family != p.family_name
        || display != p.display_name
        || language != p.preferred_language
    {
        out.push(UserChange::Profile(ProfilePatch {
            given_name: Some(given),
            family_name: Some(family),
            display_name: Some(display),
            // An empty one clears it.
            preferred_language: Some(language.unwrap_or_default()),
            name: None,
            description: None,
        }));
    }
    if let Some(email) = &d.email {
        if *email != current.email {
            out.push(UserChange::Email {
                address: email.clone(),
                verified: true,
            });
        }
    }
    if d.phone != current.phone {
        out.push(UserChange::Phone {
            phone: d.phone.clone(),
            verified: false,
        });
    }
    let shown = desired(&current.render(""))?.extras;
    out.extend(metadata_changes(&current.extras, &shown, &d.extras));
    match d.active {
        Some(false) if current.active => out.push(UserChange::Deactivate),
        Some(true) if !current.active => out.push(UserChange::Reactivate),
        _ => {}
    }
    Ok(out)
}
