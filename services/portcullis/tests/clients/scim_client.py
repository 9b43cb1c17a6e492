"""scim2-client (PyPI), unchanged, on httpx2: a Bulk request with bulkId references and
failOnErrors, a Bulk over the server's limit, and a PATCH of several operations, each
validated by the client against the schemas the server publishes. Prints what it saw as JSON."""

import json
import os

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from tenant_host import domain, port

tag = os.environ["TAG"]

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

http = Client(
    base_url=f"http://{domain}:{port}/scim/v2/{os.environ['ORG']}",
    headers={"Authorization": f"Bearer {os.environ['TOKEN']}"},
    timeout=30,
)
scim = SyncSCIMClient(http, raise_scim_errors=False)
scim.discover()
User = scim.get_resource_model("User")


def user(name, **more):
    return {"schemas": [CORE, ENTERPRISE], "userName": name, "displayName": name,
            "name": {"givenName": "Test", "familyName": name},
            "emails": [{"value": f"{name}@example.com", "type": "work", "primary": True}],
            "active": True, **more}


boss, worker = f"boss-{tag}", f"worker-{tag}"
bulk = scim.bulk({"schemas": [BULK], "failOnErrors": 2, "Operations": [
    {"method": "POST", "path": "/Users", "bulkId": "boss", "data": user(boss)},
    {"method": "POST", "path": "/Users", "bulkId": "worker",
     "data": user(worker, **{ENTERPRISE: {"department": "Engines", "manager": {"value": "bulkId:boss"}}})},
    {"method": "PATCH", "path": "/Users/bulkId:worker", "data": {"schemas": [PATCH], "Operations": [
        {"op": "add", "path": "title", "value": "Engineer"}]}},
    {"method": "POST", "path": "/Users", "bulkId": "again", "data": user(boss)},
    {"method": "DELETE", "path": "/Users/00000000-0000-0000-0000-000000000000"},
    {"method": "POST", "path": "/Users", "bulkId": "never", "data": user(f"never-{tag}")},
]})
operations = [{"bulkId": o.bulk_id, "method": str(o.method.value if hasattr(o.method, "value") else o.method),
               "status": int(o.status), "location": o.location,
               "scimType": getattr(o.response, "scim_type", None) if o.response else None}
              for o in bulk.operations]
worker_id = operations[1]["location"].rsplit("/", 1)[-1]
boss_id = operations[0]["location"].rsplit("/", 1)[-1]
after_bulk = scim.query(User, worker_id)

patched = scim.modify(User, worker_id, {"schemas": [PATCH], "Operations": [
    {"op": "replace", "path": "name.familyName", "value": "Lovelace"},
    {"op": "add", "path": "phoneNumbers", "value": [{"value": "+41 79 123 45 67", "type": "mobile"}]},
    {"op": "remove", "path": "title"},
    {"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Analytics"},
]})
read_back = scim.query(User, worker_id)

too_many = scim.bulk(
    {"schemas": [BULK], "Operations": [
        {"method": "DELETE", "path": f"/Users/{worker_id}"}] * 1001},
    check_request_payload=False)

print(json.dumps({
    "operations": operations,
    "boss_id": boss_id,
    "manager": after_bulk.model_dump(mode="json")[ENTERPRISE]["manager"]["value"],
    "title_after_bulk": after_bulk.title,
    "patched_family_name": patched.name.family_name,
    "read_back": read_back.model_dump(mode="json"),
    "too_many": {"status": int(too_many.status), "scimType": too_many.scim_type},
}))
