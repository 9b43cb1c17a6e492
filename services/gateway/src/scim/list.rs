//! What a SCIM query asks for (RFC 7644 §3.4.2, §3.4.3): filter, sorting, paging, and which
//! attributes come back; and the list response that answers it.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::error::ScimError;
use super::filter::{self, member, AttrPath};
use super::schemas::{ENTERPRISE_USER, LIST_RESPONSE, MAX_RESULTS};

/// The page size when a query names none.
const DEFAULT_COUNT: usize = 100;

/// The attributes a response holds: only `attributes` (with `id` and `schemas`), or all
/// but `excluded`.
#[derive(Clone, Debug, Default)]
pub struct Projection {
    attributes: Vec<Attribute>,
    excluded: Vec<Attribute>,
}

#[derive(Clone, Debug)]
enum Attribute {
    Path(AttrPath),
    /// An extension's attributes as a whole.
    Extension(String),
}

fn attribute(text: &str) -> Result<Attribute, ScimError> {
    let text = text.trim();
    if text.eq_ignore_ascii_case(ENTERPRISE_USER) {
        return Ok(Attribute::Extension(ENTERPRISE_USER.to_string()));
    }
    filter::parse_attr(text).map(Attribute::Path)
}

fn attributes<S: AsRef<str>>(list: &[S]) -> Result<Vec<Attribute>, ScimError> {
    list.iter()
        .map(|s| s.as_ref())
        .filter(|s| !s.trim().is_empty())
        .map(attribute)
        .collect()
}

/// The key of `name` in `object` as spelled there.
fn key<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a String> {
    object.keys().find(|k| k.eq_ignore_ascii_case(name))
}

fn copy(from: &Map<String, Value>, to: &mut Map<String, Value>, a: &Attribute) {
    match a {
        Attribute::Extension(urn) => {
            if let Some(k) = key(from, urn) {
                to.insert(k.clone(), from[k].clone());
            }
        }
        Attribute::Path(p) => {
            let (source, target) = match &p.extension {
                None => (Some(from), &mut *to),
                Some(urn) => {
                    let source = key(from, urn).and_then(|k| from[k].as_object());
                    let k = key(from, urn).cloned().unwrap_or(urn.clone());
                    let target = to
                        .entry(k)
                        .or_insert_with(|| Value::Object(Map::new()))
                        .as_object_mut()
                        .expect("an extension is an object");
                    (source, target)
                }
            };
            let Some(source) = source else { return };
            let Some(k) = key(source, &p.name) else {
                return;
            };
            match (&p.sub, &source[k]) {
                (None, v) => {
                    target.insert(k.clone(), v.clone());
                }
                (Some(sub), Value::Object(o)) => {
                    if let Some(sk) = key(o, sub) {
                        let entry = target
                            .entry(k.clone())
                            .or_insert_with(|| Value::Object(Map::new()));
                        if let Some(e) = entry.as_object_mut() {
                            e.insert(sk.clone(), o[sk].clone());
                        }
                    }
                }
                (Some(sub), Value::Array(items)) => {
                    let picked: Vec<Value> = items
                        .iter()
                        .filter_map(|i| {
                            let v = member(i, sub)?;
                            Some(Value::Object(Map::from_iter([(sub.clone(), v.clone())])))
                        })
                        .collect();
                    target.insert(k.clone(), Value::Array(picked));
                }
                _ => {}
            }
        }
    }
}

fn remove(from: &mut Map<String, Value>, a: &Attribute) {
    let (object, name, sub) = match a {
        Attribute::Extension(urn) => (Some(from), urn.as_str(), None),
        Attribute::Path(p) => {
            let object = match &p.extension {
                None => Some(from),
                Some(urn) => match key(from, urn).cloned() {
                    Some(k) => from.get_mut(&k).and_then(Value::as_object_mut),
                    None => None,
                },
            };
            (object, p.name.as_str(), p.sub.as_deref())
        }
    };
    let Some(object) = object else { return };
    // What is always returned stays.
    if ["id", "schemas"]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name))
    {
        return;
    }
    let Some(k) = key(object, name).cloned() else {
        return;
    };
    match (sub, object.get_mut(&k)) {
        (None, _) => {
            object.remove(&k);
        }
        (Some(sub), Some(Value::Object(o))) => {
            if let Some(sk) = key(o, sub).cloned() {
                o.remove(&sk);
            }
        }
        (Some(sub), Some(Value::Array(items))) => {
            for item in items.iter_mut().filter_map(Value::as_object_mut) {
                if let Some(sk) = key(item, sub).cloned() {
                    item.remove(&sk);
                }
            }
        }
        _ => {}
    }
}

impl Projection {
    pub fn new<S: AsRef<str>>(attributes_: &[S], excluded: &[S]) -> Result<Projection, ScimError> {
        Ok(Projection {
            attributes: attributes(attributes_)?,
            excluded: attributes(excluded)?,
        })
    }

    /// From the comma-separated `attributes` and `excludedAttributes` of a URL.
    pub fn of_params(
        attributes: Option<&str>,
        excluded: Option<&str>,
    ) -> Result<Projection, ScimError> {
        let split = |s: Option<&str>| -> Vec<String> {
            s.map(|s| s.split(',').map(str::to_string).collect())
                .unwrap_or_default()
        };
        Projection::new(&split(attributes), &split(excluded))
    }

    /// `resource` with only the attributes asked for.
    pub fn apply(&self, resource: Value) -> Value {
        let Value::Object(mut r) = resource else {
            return resource;
        };
        if !self.attributes.is_empty() {
            let mut out = Map::new();
            for always in ["schemas", "id"] {
                if let Some(v) = r.get(always) {
                    out.insert(always.to_string(), v.clone());
                }
            }
            for a in &self.attributes {
                copy(&r, &mut out, a);
            }
            return Value::Object(out);
        }
        for a in &self.excluded {
            remove(&mut r, a);
        }
        Value::Object(r)
    }
}

/// A query: what to find, in which order, which page, which attributes.
#[derive(Clone, Debug, Default)]
pub struct Query {
    pub filter: Option<String>,
    pub sort_by: Option<String>,
    pub descending: bool,
    /// From 1.
    pub start_index: usize,
    pub count: usize,
    pub projection: Projection,
}

/// The query parameters of `GET .../Users`.
#[derive(Deserialize)]
pub struct QueryParams {
    filter: Option<String>,
    #[serde(rename = "sortBy")]
    sort_by: Option<String>,
    #[serde(rename = "sortOrder")]
    sort_order: Option<String>,
    #[serde(rename = "startIndex")]
    start_index: Option<String>,
    count: Option<String>,
    attributes: Option<String>,
    #[serde(rename = "excludedAttributes")]
    excluded_attributes: Option<String>,
}

/// The body of `POST .../.search`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchRequest {
    #[serde(default)]
    filter: Option<String>,
    #[serde(default)]
    sort_by: Option<String>,
    #[serde(default)]
    sort_order: Option<String>,
    #[serde(default)]
    start_index: Option<i64>,
    #[serde(default)]
    count: Option<i64>,
    #[serde(default)]
    attributes: Vec<String>,
    #[serde(default)]
    excluded_attributes: Vec<String>,
}

fn number(v: Option<&str>, name: &str) -> Result<Option<i64>, ScimError> {
    v.map(|s| {
        s.trim()
            .parse::<i64>()
            .map_err(|_| ScimError::bad("invalidValue", format!("{name} must be a number")))
    })
    .transpose()
}

fn descending(order: Option<&str>) -> Result<bool, ScimError> {
    match order.map(str::to_ascii_lowercase).as_deref() {
        None | Some("ascending") => Ok(false),
        Some("descending") => Ok(true),
        Some(_) => Err(ScimError::bad(
            "invalidValue",
            "sortOrder is ascending or descending",
        )),
    }
}

fn query(
    filter: Option<String>,
    sort_by: Option<String>,
    sort_order: Option<&str>,
    start_index: Option<i64>,
    count: Option<i64>,
    projection: Projection,
) -> Result<Query, ScimError> {
    Ok(Query {
        filter: filter.filter(|f| !f.trim().is_empty()),
        sort_by: sort_by.filter(|s| !s.trim().is_empty()),
        descending: descending(sort_order)?,
        // Below 1 is 1; a negative count is 0 (RFC 7644 §3.4.2.4).
        start_index: start_index.unwrap_or(1).max(1) as usize,
        count: count.map_or(DEFAULT_COUNT, |c| c.clamp(0, MAX_RESULTS as i64) as usize),
        projection,
    })
}

impl Query {
    pub fn of_params(p: QueryParams) -> Result<Query, ScimError> {
        let projection =
            Projection::of_params(p.attributes.as_deref(), p.excluded_attributes.as_deref())?;
        query(
            p.filter,
            p.sort_by,
            p.sort_order.as_deref(),
            number(p.start_index.as_deref(), "startIndex")?,
            number(p.count.as_deref(), "count")?,
            projection,
        )
    }

    pub fn of_search(body: &Value) -> Result<Query, ScimError> {
        let s: SearchRequest = serde_json::from_value(body.clone())
            .map_err(|e| ScimError::bad("invalidSyntax", format!("not a SearchRequest: {e}")))?;
        let projection = Projection::new(&s.attributes, &s.excluded_attributes)?;
        query(
            s.filter,
            s.sort_by,
            s.sort_order.as_deref(),
            s.start_index,
            s.count,
            projection,
        )
    }
}

/// One page of what a query found.
pub struct Page<T> {
    pub total: usize,
    pub start_index: usize,
    pub items: Vec<T>,
}

/// What to sort a resource by: its first value of the path (strings without regard to case).
fn sort_key(resource: &Value, path: &AttrPath) -> Option<(u8, String, f64)> {
    let v = filter::values(resource, path).into_iter().next()?;
    Some(match v {
        Value::String(s) => (1, s.to_lowercase(), 0.0),
        Value::Number(n) => (0, String::new(), n.as_f64().unwrap_or(0.0)),
        Value::Bool(b) => (0, String::new(), f64::from(u8::from(*b))),
        _ => return None,
    })
}

/// Sorts `found` (each item with its resource) and cuts the page out: items without a value
/// to sort by come last.
pub fn sorted_page<T>(
    mut found: Vec<(T, Value)>,
    sort_by: Option<&AttrPath>,
    descending: bool,
    start_index: usize,
    count: usize,
) -> Page<(T, Value)> {
    if let Some(path) = sort_by {
        found.sort_by(|a, b| {
            let (ka, kb) = (sort_key(&a.1, path), sort_key(&b.1, path));
            match (ka, kb) {
                (Some(x), Some(y)) => {
                    let o =
                        x.0.cmp(&y.0)
                            .then(x.1.cmp(&y.1))
                            .then(x.2.partial_cmp(&y.2).unwrap_or(std::cmp::Ordering::Equal));
                    if descending {
                        o.reverse()
                    } else {
                        o
                    }
                }
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
        });
    }
    let total = found.len();
    let items = found
        .into_iter()
        .skip(start_index - 1)
        .take(count)
        .collect();
    Page {
        total,
        start_index,
        items,
    }
}

/// The list response of a page.
pub fn response(
    total: usize,
    start_index: usize,
    items: Vec<Value>,
    projection: &Projection,
) -> Value {
    let items: Vec<Value> = items.into_iter().map(|r| projection.apply(r)).collect();
    json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "itemsPerPage": items.len(),
        "startIndex": start_index,
        "Resources": items,
    })
}
