"""authlib (PyPI), unchanged: a machine user's token by client credentials from a tenant whose
preaccesstoken and preuserinfo actions append claims. The tenant's domain is resolved to the test server, as an
/etc/hosts entry would. Prints the access token's claims and what userinfo answers as JSON."""

import base64
import json
import os

import requests
from authlib.integrations.requests_client import OAuth2Session
from tenant_host import issuer

meta = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
machine = OAuth2Session(os.environ["MACHINE_ID"], os.environ["MACHINE_SECRET"])
token = machine.fetch_token(meta["token_endpoint"], grant_type="client_credentials", scope="openid")
payload = token["access_token"].split(".")[1]
claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
userinfo = machine.get(meta["userinfo_endpoint"], timeout=10)
userinfo.raise_for_status()
print(json.dumps({"claims": claims, "userinfo": userinfo.json()}))
