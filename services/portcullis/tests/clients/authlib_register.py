"""authlib (PyPI), unchanged: the code flow with PKCE and nonce through registration at the
hosted login (a requests session follows the login's "Create an account" link and fills in
the form), the ID token checked against the JWKS with joserfc (authlib's JOSE library), then
userinfo. Prints what it saw as JSON."""

import html
import json
import os
import re
from urllib.parse import urljoin

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

issuer = os.environ["ISSUER"]
meta = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()

app = OAuth2Session(
    os.environ["CLIENT_ID"],
    os.environ["CLIENT_SECRET"],
    scope="openid profile email",
    redirect_uri=os.environ["REDIRECT_URI"],
    code_challenge_method="S256",
)
verifier, nonce = generate_token(48), generate_token(20)
url, state = app.create_authorization_url(
    meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
)

browser = requests.Session()
to_login = browser.get(url, allow_redirects=False, timeout=10)
login = browser.get(urljoin(issuer, to_login.headers["location"]), timeout=10).text
href = re.search(r'href="([^"]*/ui/login/register[^"]*)"', login).group(1)
page = browser.get(urljoin(issuer, html.unescape(href)), timeout=10).text


def field(name):
    return html.unescape(re.search(f'name="{name}" value="([^"]*)"', page).group(1))


registered = browser.post(
    urljoin(issuer, "/ui/login/register"),
    data={
        "authRequest": field("authRequest"),
        "csrf": field("csrf"),
        "given_name": "Grace",
        "family_name": "Hopper",
        "email": os.environ["EMAIL"],
        "username": os.environ["USERNAME"],
        "password": os.environ["PASSWORD"],
    },
    allow_redirects=False,
    timeout=10,
)
back = registered.headers["location"]
token = app.fetch_token(
    meta["token_endpoint"], authorization_response=back, code_verifier=verifier, state=state
)
keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
id_token = jwt.decode(token["id_token"], keys).claims
userinfo = app.get(meta["userinfo_endpoint"], timeout=10).json()
print(json.dumps({
    "id_token": id_token,
    "nonce_matches": id_token.get("nonce") == nonce,
    "userinfo": userinfo,
}))
