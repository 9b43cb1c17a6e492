//! What the SCIM server says of itself (RFC 7643 §5–7): its configuration, its one resource
//! type (User, with the enterprise extension) and the schemas of both. The schemas list only
//! attributes the server keeps, so a client that reads them knows what it gets back.

use serde_json::{json, Value};

pub const MEDIA_TYPE: &str = "application/scim+json";
pub const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The most results one page holds.
pub const MAX_RESULTS: usize = 1000;
/// The most operations of one Bulk request.
pub const MAX_OPERATIONS: usize = 1000;
/// The largest Bulk request body.
pub const MAX_PAYLOAD: usize = 4 << 20;

const USER_SCHEMA: &str = include_str!("../../assets/scim/user.json");
const ENTERPRISE_SCHEMA: &str = include_str!("../../assets/scim/enterprise-user.json");

fn with_location(text: &str, base: &str) -> Value {
    let mut schema: Value = serde_json::from_str(text).expect("the bundled schema is JSON");
    let location = format!(
        "{base}/Schemas/{}",
        schema["id"].as_str().unwrap_or_default()
    );
    schema["meta"]["location"] = json!(location);
    schema
}

/// The schemas, by id.
pub fn schemas(base: &str) -> Vec<Value> {
    vec![
        with_location(USER_SCHEMA, base),
        with_location(ENTERPRISE_SCHEMA, base),
    ]
}

/// The resource types: users.
pub fn resource_types(base: &str) -> Vec<Value> {
    vec![json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "The org's users",
        "schema": CORE_USER,
        "schemaExtensions": [{"schema": ENTERPRISE_USER, "required": false}],
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")},
    })]
}

/// What the server supports.
pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": {"supported": true},
        "bulk": {"supported": true, "maxOperations": MAX_OPERATIONS, "maxPayloadSize": MAX_PAYLOAD},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": true},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A personal access token, or an access token for the instance's API, of a user with user.read (reads) and user.write (writes) on the org",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig"),
        },
    })
}

/// A list response of all of `items`.
pub fn list(items: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": items.len(),
        "itemsPerPage": items.len(),
        "startIndex": 1,
        "Resources": items,
    })
}
