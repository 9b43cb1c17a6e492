"""authlib (PyPI), unchanged: client credentials with a machine user, introspection and
revocation. Prints what it saw as JSON."""

import json
import os

import requests
from authlib.integrations.requests_client import OAuth2Session

issuer = os.environ["ISSUER"]
meta = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()

machine = OAuth2Session(os.environ["MACHINE_ID"], os.environ["MACHINE_SECRET"])
token = machine.fetch_token(meta["token_endpoint"], grant_type="client_credentials", scope="openid")

app = OAuth2Session(os.environ["CLIENT_ID"], os.environ["CLIENT_SECRET"])
active = app.introspect_token(meta["introspection_endpoint"], token=token["access_token"]).json()
revoked = app.revoke_token(meta["revocation_endpoint"], token=token["access_token"]).status_code
wrong = OAuth2Session(os.environ["MACHINE_ID"], "not-the-secret")
try:
    wrong.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
    refused = False
except Exception:  # authlib raises OAuthError for invalid_client
    refused = True

print(json.dumps({"token_type": token["token_type"], "introspected": active, "revoked": revoked, "wrong_secret_refused": refused}))
