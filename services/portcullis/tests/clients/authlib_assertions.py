"""authlib (PyPI), unchanged, with signed assertions: the JWT bearer grant with a machine
user's key file and with an uploaded EC key, private_key_jwt and client_secret_jwt client
authentication. Then joserfc (PyPI) makes the assertions an attacker would try. Prints what
it saw as JSON."""

import base64
import hashlib
import hmac
import json
import os
import time
import uuid

import requests
from authlib.integrations.requests_client import AssertionSession, OAuth2Session
from authlib.oauth2.rfc7523 import ClientSecretJWT, PrivateKeyJWT
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

issuer = os.environ["ISSUER"]
meta = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
token_endpoint = meta["token_endpoint"]
key_file = json.loads(os.environ["MACHINE_KEY_FILE"])
other_file = json.loads(os.environ["OTHER_KEY_FILE"])
machine = key_file["user_id"]
seen = {"discovery": {k: meta[k] for k in ("grant_types_supported", "token_endpoint_auth_methods_supported")}}

# The JWT bearer grant, as a ZITADEL-style key file is used: iss and sub the user's id.
bearer = AssertionSession(token_endpoint, issuer=machine, subject=machine, audience=issuer,
                          key=key_file["key"], alg="RS256", header={"kid": key_file["key_id"]},
                          scope="openid")
seen["jwt_bearer"] = bearer.refresh_token()["token_type"]

# An uploaded EC key, without a kid: every key of the user is tried.
ec = AssertionSession(token_endpoint, issuer=machine, subject=machine, audience=issuer,
                      key=os.environ["EC_PRIVATE_KEY"], alg="ES256")
ec_token = ec.refresh_token()["access_token"]

# private_key_jwt: a key file of the app; the assertion's audience is the token endpoint.
app_file = json.loads(os.environ["APP_KEY_FILE"])
pkj = OAuth2Session(app_file["client_id"], app_file["key"], token_endpoint_auth_method="private_key_jwt")
pkj.register_client_auth_method(PrivateKeyJWT(token_endpoint, headers={"kid": app_file["key_id"]}))
seen["private_key_jwt"] = pkj.fetch_token(token_endpoint, grant_type="client_credentials")["token_type"]
seen["introspected"] = pkj.introspect_token(meta["introspection_endpoint"], token=ec_token).json()

# client_secret_jwt: HS256 with the app's client secret.
csj = OAuth2Session(os.environ["CSJ_CLIENT_ID"], os.environ["CSJ_SECRET"],
                    token_endpoint_auth_method="client_secret_jwt")
csj.register_client_auth_method(ClientSecretJWT(token_endpoint))
seen["client_secret_jwt"] = csj.fetch_token(token_endpoint, grant_type="client_credentials")["token_type"]

# What an attacker would try. Each answer's OAuth error (None when a token was issued).
rsa_key = RSAKey.import_key(key_file["key"])
other_key = RSAKey.import_key(other_file["key"])


def assertion(key=rsa_key, kid=key_file["key_id"], alg="RS256", **changes):
    now = int(time.time())
    claims = {"iss": machine, "sub": machine, "aud": issuer, "iat": now, "exp": now + 300,
              "jti": str(uuid.uuid4())}
    claims.update(changes)
    header = {"alg": alg, **({"kid": kid} if kid else {})}
    return jwt.encode(header, claims, key, algorithms=[alg])


def forged_hs256(key_bytes, **claims):
    """An HS256 token keyed with what is public (joserfc refuses to make one: made by hand)."""
    part = lambda v: base64.urlsafe_b64encode(json.dumps(v).encode()).rstrip(b"=").decode()
    signing_input = f"{part({'alg': 'HS256'})}.{part(claims)}"
    mac = hmac.new(key_bytes, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def grant(a):
    r = requests.post(token_endpoint, data={
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": a}, timeout=10)
    return None if r.status_code == 200 else r.json()["error"]


def client_auth(a, client_id=None):
    data = {"grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": a}
    if client_id:
        data["client_id"] = client_id
    r = requests.post(token_endpoint, data=data, timeout=10)
    return None if r.status_code == 200 else r.json()["error"]


once = assertion()
now = int(time.time())
public_pem = rsa_key.as_pem(private=False)
seen["attacks"] = {
    "first_use": grant(once),
    "replayed": grant(once),
    "wrong_audience": grant(assertion(aud="https://elsewhere.example")),
    "expired": grant(assertion(iat=now - 600, exp=now - 1)),
    "two_hours": grant(assertion(exp=now + 7200)),
    "no_exp": grant(assertion(exp=None)),
    "other_users_key": grant(assertion(key=other_key, kid=other_file["key_id"])),
    "other_users_key_no_kid": grant(assertion(key=other_key, kid=None)),
    "for_another_subject": grant(assertion(sub=other_file["user_id"], iss=other_file["user_id"])),
    "sub_is_not_iss": grant(assertion(iss="someone-else")),
    "hs256_with_the_public_key": grant(forged_hs256(
        public_pem, iss=machine, sub=machine, aud=issuer, exp=now + 300, jti=str(uuid.uuid4()))),
    "unsigned": grant(once.rsplit(".", 1)[0] + "."),
    "garbage": grant("not.a.jwt"),
}


def app_assertion(client_id, key, alg, kid=None, **changes):
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": token_endpoint, "iat": now,
              "exp": now + 300, "jti": str(uuid.uuid4())}
    claims.update(changes)
    header = {"alg": alg, **({"kid": kid} if kid else {})}
    return jwt.encode(header, claims, key, algorithms=[alg])


app_key = RSAKey.import_key(app_file["key"])
pkj_once = app_assertion(app_file["client_id"], app_key, "RS256", app_file["key_id"])
csj_id = os.environ["CSJ_CLIENT_ID"]
seen["client_attacks"] = {
    "first_use": client_auth(pkj_once),
    "replayed": client_auth(pkj_once),
    "another_client_id_beside_it": client_auth(
        app_assertion(app_file["client_id"], app_key, "RS256"), client_id=csj_id),
    "signed_by_a_machine_users_key": client_auth(
        app_assertion(app_file["client_id"], rsa_key, "RS256", key_file["key_id"])),
    "csj_wrong_secret": client_auth(
        app_assertion(csj_id, OctKey.import_key("not-the-secret-" * 3), "HS256")),
    "csj_right_secret": client_auth(
        app_assertion(csj_id, OctKey.import_key(os.environ["CSJ_SECRET"]), "HS256")),
    "pkj_app_with_hs256": client_auth(forged_hs256(
        app_key.as_pem(private=False), iss=app_file["client_id"], sub=app_file["client_id"],
        aud=token_endpoint, exp=now + 300, jti=str(uuid.uuid4()))),
}

# Unused assertions for the test to present where they must fail, then where they work.
seen["fresh"] = [assertion(), assertion()]
print(json.dumps(seen))
