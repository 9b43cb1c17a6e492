//! SCIM PATCH (RFC 7644 §3.5.2) applied to a resource's JSON: `add`, `replace` and `remove`,
//! with or without a path, with value filters and sub-attributes. The result is read as a
//! whole resource, so what a PATCH does is what a PUT of its result would do. Accepted as the
//! big provisioning clients send them: operation names in any case (Entra ID's `Replace`),
//! paths as keys of a value without a path (`{"name.givenName": ...}` and extension
//! attributes by their full URN), a replace through a filter that matches nothing adds the
//! value (Entra ID's `emails[type eq "work"].value`).

use serde_json::{Map, Value};

use super::error::ScimError;
use super::filter::{self, AttrPath, Filter, Op, PatchPath};
use super::schemas::ENTERPRISE_USER;

/// The most operations of one PATCH.
const MAX_OPERATIONS: usize = 100;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Add,
    Replace,
    Remove,
}

fn no_target(detail: impl Into<String>) -> ScimError {
    ScimError::bad("noTarget", detail)
}

/// Applies a PatchOp's `Operations` to `resource`.
pub fn apply(resource: &mut Value, operations: &[Value]) -> Result<(), ScimError> {
    if operations.is_empty() {
        return Err(ScimError::bad("invalidSyntax", "Operations is empty"));
    }
    if operations.len() > MAX_OPERATIONS {
        return Err(ScimError::bad(
            "tooMany",
            format!("at most {MAX_OPERATIONS} operations a PATCH"),
        ));
    }
    for op in operations {
        let kind = match op
            .get("op")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
        {
            Some(k) if k == "add" => Kind::Add,
            Some(k) if k == "replace" => Kind::Replace,
            Some(k) if k == "remove" => Kind::Remove,
            _ => {
                return Err(ScimError::bad(
                    "invalidSyntax",
                    "each operation's op is add, replace or remove",
                ))
            }
        };
        let value = op.get("value").cloned().unwrap_or(Value::Null);
        match op
            .get("path")
            .and_then(Value::as_str)
            .filter(|p| !p.trim().is_empty())
        {
            Some(path) => at_path(resource, kind, &patch_path(path)?, value)?,
            None if kind == Kind::Remove => {
                return Err(no_target("a remove operation names its path"))
            }
            None => {
                let Value::Object(fields) = value else {
                    return Err(ScimError::bad(
                        "invalidValue",
                        "an operation without a path has an object as its value",
                    ));
                };
                for (key, v) in fields {
                    at_path(resource, kind, &patch_path(&key)?, v)?;
                }
            }
        }
    }
    Ok(())
}

/// A path, or an extension's URN alone (its attributes as one complex attribute).
fn patch_path(text: &str) -> Result<PatchPath, ScimError> {
    if text.trim().eq_ignore_ascii_case(ENTERPRISE_USER) {
        return Ok(PatchPath {
            attr: AttrPath {
                extension: None,
                name: ENTERPRISE_USER.to_string(),
                sub: None,
            },
            filter: None,
        });
    }
    filter::parse_patch_path(text)
}

fn read_only(name: &str) -> bool {
    ["id", "meta", "schemas"]
        .iter()
        .any(|r| r.eq_ignore_ascii_case(name))
}

/// The key of `name` in `object` as spelled there (else as given).
fn key_of(object: &Map<String, Value>, name: &str) -> String {
    object
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_string())
}

/// The object attributes of `path`'s schema live in (made for add and replace).
fn container<'a>(
    resource: &'a mut Value,
    path: &AttrPath,
    make: bool,
) -> Option<&'a mut Map<String, Value>> {
    let root = resource.as_object_mut()?;
    match &path.extension {
        None => Some(root),
        Some(urn) => {
            let key = key_of(root, urn);
            if make && !root.get(&key).is_some_and(Value::is_object) {
                root.insert(key.clone(), Value::Object(Map::new()));
            }
            root.get_mut(&key)?.as_object_mut()
        }
    }
}

/// Merges `value` into `target` (objects by member, a list's values appended once).
fn add_into(target: &mut Value, value: Value) {
    match (target, value) {
        (Value::Object(t), Value::Object(v)) => {
            for (k, v) in v {
                let key = key_of(t, &k);
                match t.get_mut(&key) {
                    Some(existing) if !existing.is_null() => add_into(existing, v),
                    _ => {
                        t.insert(key, v);
                    }
                }
            }
        }
        (Value::Array(t), Value::Array(v)) => {
            for item in v {
                if !t.contains(&item) {
                    t.push(item);
                }
            }
        }
        (Value::Array(t), item) => {
            if !t.contains(&item) {
                t.push(item);
            }
        }
        (t, v) => *t = v,
    }
}

/// An element a filter describes (`type eq "work"` makes `{"type": "work"}`).
fn described_by(f: &Filter, element: &mut Map<String, Value>) {
    match f {
        Filter::Compare(p, Op::Eq, v) if p.sub.is_none() => {
            element.insert(p.name.clone(), v.clone());
        }
        Filter::And(a, b) => {
            described_by(a, element);
            described_by(b, element);
        }
        _ => {}
    }
}

fn at_path(
    resource: &mut Value,
    kind: Kind,
    path: &PatchPath,
    value: Value,
) -> Result<(), ScimError> {
    let attr = &path.attr;
    if attr.extension.is_none() && read_only(&attr.name) {
        return Err(ScimError::bad(
            "mutability",
            format!("{} is read-only", attr.name),
        ));
    }
    if kind != Kind::Remove && value.is_null() {
        return Err(ScimError::bad(
            "invalidValue",
            "add and replace need a value",
        ));
    }
    let Some(object) = container(resource, attr, kind != Kind::Remove) else {
        return Ok(());
    };
    let key = key_of(object, &attr.name);
    match (&path.filter, &attr.sub) {
        (Some(f), sub) => {
            if !matches!(object.get(&key), Some(Value::Array(_))) {
                if kind == Kind::Remove {
                    return Ok(());
                }
                object.insert(key.clone(), Value::Array(vec![]));
            }
            let Some(items) = object.get_mut(&key).and_then(Value::as_array_mut) else {
                return Ok(());
            };
            let matching: Vec<usize> = (0..items.len()).filter(|i| f.matches(&items[*i])).collect();
            match (kind, sub) {
                (Kind::Remove, None) => {
                    let mut i = 0;
                    items.retain(|_| {
                        i += 1;
                        !matching.contains(&(i - 1))
                    });
                }
                (Kind::Remove, Some(sub)) => {
                    for i in matching {
                        if let Some(o) = items[i].as_object_mut() {
                            let k = key_of(o, sub);
                            o.remove(&k);
                        }
                    }
                }
                (_, _) if matching.is_empty() => {
                    // Nothing matches: the value is added as the filter describes it.
                    let mut element = Map::new();
                    described_by(f, &mut element);
                    match sub {
                        Some(sub) => {
                            element.insert(sub.clone(), value);
                        }
                        None => match value {
                            Value::Object(v) => element.extend(v),
                            _ => {
                                return Err(ScimError::bad(
                                    "invalidValue",
                                    "the value of a filtered path is an object",
                                ))
                            }
                        },
                    }
                    items.push(Value::Object(element));
                }
                (_, Some(sub)) => {
                    for i in matching {
                        if let Some(o) = items[i].as_object_mut() {
                            let k = key_of(o, sub);
                            o.insert(k, value.clone());
                        }
                    }
                }
                (_, None) => {
                    for i in matching {
                        add_into(&mut items[i], value.clone());
                    }
                }
            }
        }
        (None, Some(sub)) => match object.get_mut(&key) {
            // `emails.value`: the sub-attribute of every value.
            Some(Value::Array(items)) => {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    let k = key_of(item, sub);
                    if kind == Kind::Remove {
                        item.remove(&k);
                    } else {
                        item.insert(k, value.clone());
                    }
                }
            }
            Some(Value::Object(o)) => {
                let k = key_of(o, sub);
                if kind == Kind::Remove {
                    o.remove(&k);
                } else {
                    o.insert(k, value);
                }
            }
            _ if kind == Kind::Remove => {}
            _ => {
                let mut o = Map::new();
                o.insert(sub.clone(), value);
                object.insert(key, Value::Object(o));
            }
        },
        (None, None) => match kind {
            Kind::Remove => {
                let listed = matches!(object.get(&key), Some(Value::Array(_)));
                match value {
                    // A remove with a value (Entra ID): only those values of the list.
                    Value::Array(gone) if listed => {
                        let gone: Vec<Option<Value>> = gone
                            .iter()
                            .map(|g| filter::member(g, "value").cloned())
                            .collect();
                        if let Some(Value::Array(items)) = object.get_mut(&key) {
                            items.retain(|i| !gone.contains(&filter::member(i, "value").cloned()));
                        }
                    }
                    _ => {
                        object.remove(&key);
                    }
                }
            }
            Kind::Add => match object.get_mut(&key) {
                Some(existing) if !existing.is_null() => add_into(existing, value),
                _ => {
                    object.insert(key, value);
                }
            },
            Kind::Replace => {
                // A complex attribute's sub-attributes are replaced one by one.
                let merge = value.is_object() && matches!(object.get(&key), Some(Value::Object(_)));
                if !merge {
                    object.insert(key, value);
                } else if let (Some(Value::Object(existing)), Value::Object(v)) =
                    (object.get_mut(&key), value)
                {
                    for (k, v) in v {
                        let k2 = key_of(existing, &k);
                        existing.insert(k2, v);
                    }
                }
            }
        },
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn user() -> Value {
        json!({
            "id": "u1", "userName": "ada", "active": true, "title": "Engineer",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": "ada@example.com", "type": "work", "primary": true}],
        })
    }

    fn patched(ops: Value) -> Value {
        let mut u = user();
        apply(&mut u, ops.as_array().unwrap()).unwrap();
        u
    }

    #[test]
    fn given_a_user_when_patched_by_path_then_only_the_path_changes() {
        let u = patched(json!([
            {"op": "replace", "path": "name.familyName", "value": "King"},
            {"op": "add", "path": "emails", "value": [{"value": "a@home.example", "type": "home"}]},
            {"op": "remove", "path": "title"},
        ]));
        assert_eq!(u["name"], json!({"givenName": "Ada", "familyName": "King"}));
        assert_eq!(u["emails"].as_array().unwrap().len(), 2);
        assert!(u.get("title").is_none());
    }

    #[test]
    fn given_a_user_when_patched_as_okta_and_entra_send_it_then_it_changes_as_they_mean() {
        // Okta: a replace without a path.
        assert_eq!(
            patched(json!([{"op": "replace", "value": {"active": false}}]))["active"],
            false
        );
        // Entra ID: capitalised ops, path keys in the value, a filter that matches nothing.
        let u = patched(json!([
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@example.com"},
            {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+41 79 123 45 67"},
            {"op": "Replace", "value": {"name.givenName": "Augusta",
              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Engines"}},
            {"op": "Replace", "path": "active", "value": "False"},
        ]));
        assert_eq!(u["emails"][0]["value"], "new@example.com");
        assert_eq!(
            u["phoneNumbers"],
            json!([{"type": "mobile", "value": "+41 79 123 45 67"}])
        );
        assert_eq!(u["name"]["givenName"], "Augusta");
        assert_eq!(u[ENTERPRISE_USER]["department"], "Engines");
        assert_eq!(u["active"], "False");
    }

    #[test]
    fn when_a_patch_is_wrong_then_it_says_how() {
        let mut u = user();
        let e = apply(&mut u, &[json!({"op": "remove"})]).unwrap_err();
        assert_eq!(e.scim_type, Some("noTarget"));
        let e = apply(
            &mut u,
            &[json!({"op": "replace", "path": "id", "value": "x"})],
        )
        .unwrap_err();
        assert_eq!(e.scim_type, Some("mutability"));
        let e = apply(&mut u, &[json!({"op": "move", "path": "title"})]).unwrap_err();
        assert_eq!(e.scim_type, Some("invalidSyntax"));
        let e = apply(
            &mut u,
            &[json!({"op": "add", "path": "emails[type eq", "value": 1})],
        )
        .unwrap_err();
        assert_eq!(e.scim_type, Some("invalidPath"));
        let e = apply(&mut u, &[]).unwrap_err();
        assert_eq!(e.scim_type, Some("invalidSyntax"));
    }
}
