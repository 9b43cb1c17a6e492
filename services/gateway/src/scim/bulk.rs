//! SCIM Bulk (RFC 7644 §3.7): up to 1,000 operations on users in one request, in order,
//! each answered on its own; `bulkId:<id>` in a path or a value names the user an earlier
//! operation of the request created; `failOnErrors` stops after that many errors.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ScimError;
use super::resource::etag;
use super::schemas::{BULK_RESPONSE, MAX_OPERATIONS};
use super::users::Org;
use crate::reads::if_match;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkRequest {
    #[serde(default)]
    fail_on_errors: Option<usize>,
    #[serde(rename = "Operations")]
    operations: Vec<Operation>,
}

#[derive(Deserialize)]
pub struct Operation {
    method: String,
    #[serde(default, rename = "bulkId")]
    bulk_id: Option<String>,
    #[serde(default)]
    path: String,
    #[serde(default)]
    data: Option<Value>,
    /// The ETag the operation's `If-Match` would carry.
    #[serde(default)]
    version: Option<String>,
}

/// Reads a Bulk request: `tooMany` (413) beyond the operations allowed.
pub fn request(body: &Value) -> Result<BulkRequest, ScimError> {
    let r: BulkRequest = serde_json::from_value(body.clone())
        .map_err(|e| ScimError::bad("invalidSyntax", format!("not a BulkRequest: {e}")))?;
    if r.operations.len() > MAX_OPERATIONS {
        return Err(ScimError {
            status: 413,
            scim_type: Some("tooMany"),
            detail: format!(
                "REQ-0002: {} operations; a Bulk request holds at most {MAX_OPERATIONS}",
                r.operations.len()
            ),
            retry_after: None,
        });
    }
    Ok(r)
}

/// `bulkId:<id>` in every string of `v` replaced by the id it created.
fn resolve(v: &mut Value, created: &HashMap<String, String>) -> Result<(), ScimError> {
    match v {
        Value::String(s) => {
            if let Some(bulk_id) = s.strip_prefix("bulkId:") {
                *s = created
                    .get(bulk_id)
                    .cloned()
                    .ok_or_else(|| unresolved(bulk_id))?;
            }
        }
        Value::Array(items) => {
            for i in items {
                resolve(i, created)?;
            }
        }
        Value::Object(o) => {
            for (_, v) in o.iter_mut() {
                resolve(v, created)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn unresolved(bulk_id: &str) -> ScimError {
    ScimError {
        status: 409,
        scim_type: Some("invalidValue"),
        detail: format!("bulkId {bulk_id:?} names no user an earlier operation created"),
        retry_after: None,
    }
}

/// The user id of a path `/Users/<id>` (a `bulkId:` one resolved).
fn user_id(path: &str, created: &HashMap<String, String>) -> Result<String, ScimError> {
    let id = path
        .strip_prefix("/Users/")
        .filter(|id| !id.is_empty() && !id.contains('/'))
        .ok_or_else(|| ScimError::bad("invalidPath", format!("{path:?} is not /Users/<id>")))?;
    match id.strip_prefix("bulkId:") {
        Some(b) => created.get(b).cloned().ok_or_else(|| unresolved(b)),
        None => Ok(id.to_string()),
    }
}

impl Org<'_> {
    async fn operation(
        &self,
        op: &Operation,
        created: &HashMap<String, String>,
    ) -> Result<(u16, Option<String>, Option<String>), ScimError> {
        let mut data = op.data.clone().unwrap_or(Value::Null);
        resolve(&mut data, created)?;
        let version = if_match(op.version.as_deref())?;
        let method = op.method.to_ascii_uppercase();
        let done = match (method.as_str(), op.path.as_str()) {
            ("POST", "/Users") => (201, Some(self.create(&data).await?)),
            ("PUT", path) => (
                200,
                Some(
                    self.replace(&user_id(path, created)?, &data, version)
                        .await?,
                ),
            ),
            ("PATCH", path) => (
                200,
                Some(self.patch(&user_id(path, created)?, &data, version).await?),
            ),
            ("DELETE", path) => {
                self.delete(&user_id(path, created)?, version).await?;
                (204, None)
            }
            (m, path) => {
                return Err(ScimError::bad(
                    "invalidSyntax",
                    format!("{m} {path} is no operation on users"),
                ))
            }
        };
        Ok(match done {
            (status, Some(user)) => (status, Some(user.id.clone()), user.version.map(etag)),
            (status, None) => (status, None, None),
        })
    }

    /// Runs a Bulk request's operations in order.
    pub async fn bulk(&self, r: BulkRequest) -> Value {
        let mut created: HashMap<String, String> = HashMap::new();
        let mut errors = 0;
        let mut results = Vec::new();
        for op in &r.operations {
            if r.fail_on_errors.is_some_and(|max| errors >= max) {
                break;
            }
            let mut result = json!({"method": op.method});
            if let Some(b) = &op.bulk_id {
                result["bulkId"] = json!(b);
            }
            if op.method.eq_ignore_ascii_case("POST") && op.bulk_id.is_none() {
                errors += 1;
                let e = ScimError::bad("invalidSyntax", "a POST operation has a bulkId");
                result["status"] = json!(e.status.to_string());
                result["response"] = e.body();
                results.push(result);
                continue;
            }
            // Every operation but a POST names its user, whatever became of it.
            if let Some(named) = op.path.strip_prefix("/Users/") {
                let id = user_id(&op.path, &created).unwrap_or_else(|_| named.to_string());
                result["location"] = json!(format!("{}/Users/{id}", self.base));
            }
            match self.operation(op, &created).await {
                Ok((status, id, version)) => {
                    if let (Some(b), Some(id)) = (&op.bulk_id, &id) {
                        created.insert(b.clone(), id.clone());
                    }
                    if let Some(id) = id {
                        result["location"] = json!(format!("{}/Users/{id}", self.base));
                    }
                    if let Some(v) = version {
                        result["version"] = json!(v);
                    }
                    result["status"] = json!(status.to_string());
                }
                Err(e) => {
                    errors += 1;
                    result["status"] = json!(e.status.to_string());
                    result["response"] = e.body();
                }
            }
            results.push(result);
        }
        json!({"schemas": [BULK_RESPONSE], "Operations": results})
    }
}
