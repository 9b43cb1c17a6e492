"""scim2-tester (PyPI), unchanged: every check of the SCIM compliance checker against an org's
SCIM server, through scim2-client on httpx2. The tenant's domain is resolved to the test
server, as an /etc/hosts entry would. Prints each check's status as JSON."""

import json
import os

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import check_server
from tenant_host import domain, port

http = Client(
    base_url=f"http://{domain}:{port}/scim/v2/{os.environ['ORG']}",
    headers={"Authorization": f"Bearer {os.environ['TOKEN']}"},
    timeout=30,
)
results = check_server(SyncSCIMClient(http))
print(json.dumps([
    {"title": r.title, "status": r.status.name, "reason": r.reason,
     "resource_type": r.resource_type}
    for r in results
]))
