"""DPoP proofs made with joserfc (PyPI), as a client makes them and as an attacker would: a
machine user gets a DPoP-bound token by client credentials (after the server asks for its
nonce), uses it at userinfo and the REST API, and then every proof is bent one way. Requests go
to ADDR with the instance's host from ISSUER (as a DNS entry would send them). Prints what it
saw as JSON: each attack's HTTP status and OAuth error.

Environment: ISSUER, ADDR (host:port), CLIENT_ID and CLIENT_SECRET (the machine user's login
name and secret), CONFIDENTIAL_ID and CONFIDENTIAL_SECRET (an app that may introspect)."""

import base64
import hashlib
import json
import os
import time
import uuid
from urllib.parse import urlsplit

import requests
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

issuer = os.environ["ISSUER"]
host = urlsplit(issuer).netloc
addr = os.environ["ADDR"]
machine = (os.environ["CLIENT_ID"], os.environ["CLIENT_SECRET"])
confidential = (os.environ["CONFIDENTIAL_ID"], os.environ["CONFIDENTIAL_SECRET"])
TOKEN = f"{issuer}/oauth/v2/token"
USERINFO = f"{issuer}/oidc/v1/userinfo"
ME = f"{issuer}/v1/users/me"


def send(method, url, **kw):
    """Sends to the test server what was meant for `url` (its host in the Host header)."""
    path = url[len(issuer):]
    headers = {"Host": host, **kw.pop("headers", {})}
    return requests.request(method, f"http://{addr}{path}", headers=headers, timeout=10, **kw)


def b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def ath(token):
    return b64(hashlib.sha256(token.encode()).digest())


key = ECKey.generate_key("P-256")
other = ECKey.generate_key("P-256")
public = key.as_dict(private=False)
thumbprint = b64(hashlib.sha256(json.dumps(
    {k: public[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True
).encode()).digest())


def proof(method, url, signer=key, jwk=None, typ="dpop+jwt", alg="ES256", **claims):
    header = {"typ": typ, "alg": alg, "jwk": jwk if jwk is not None else signer.as_dict(private=False)}
    body = {"jti": str(uuid.uuid4()), "htm": method, "htu": url, "iat": int(time.time())}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(header, body, signer, algorithms=[alg])


def token_request(dpop):
    return send("POST", TOKEN, auth=machine, headers={"DPoP": dpop},
                data={"grant_type": "client_credentials", "scope": "openid urn:portcullis:api:aud"})


def outcome(r):
    try:
        return [r.status_code, r.json().get("error") or r.json().get("code")]
    except ValueError:
        return [r.status_code, None]


seen = {"thumbprint": thumbprint}
# The first proof has no nonce: the server hands one out.
asked = token_request(proof("POST", TOKEN))
nonce = asked.headers.get("DPoP-Nonce")
seen["without_nonce"] = outcome(asked)
seen["nonce_handed_out"] = bool(nonce)
first = proof("POST", TOKEN, nonce=nonce)
issued = token_request(first)
seen["issued"] = outcome(issued)
body = issued.json()
seen["token_type"] = body["token_type"]
access = body["access_token"]
seen["next_nonce"] = bool(issued.headers.get("DPoP-Nonce"))

token_attacks = {
    "replayed": first,
    "forged_nonce": proof("POST", TOKEN, nonce=b64(os.urandom(40))),
    "another_url": proof("POST", USERINFO, nonce=nonce),
    "another_method": proof("GET", TOKEN, nonce=nonce),
    "signed_by_another_key": proof("POST", TOKEN, signer=other, jwk=public, nonce=nonce),
    "typ_jwt": proof("POST", TOKEN, typ="JWT", nonce=nonce),
    "private_key_in_header": proof("POST", TOKEN, jwk=key.as_dict(private=True), nonce=nonce),
    "hs256": proof("POST", TOKEN, signer=OctKey.generate_key(256), alg="HS256",
                   jwk={"kty": "oct", "k": "c2VjcmV0"}, nonce=nonce),
    "ten_minutes_old": proof("POST", TOKEN, iat=int(time.time()) - 600, nonce=nonce),
    "from_the_future": proof("POST", TOKEN, iat=int(time.time()) + 600, nonce=nonce),
    "no_jti": proof("POST", TOKEN, jti=None, nonce=nonce),
    "unsigned": proof("POST", TOKEN, nonce=nonce).rsplit(".", 1)[0] + ".",
    "garbage": "not.a.proof",
}
seen["token_attacks"] = {name: outcome(token_request(p)) for name, p in token_attacks.items()}
rsa = RSAKey.generate_key(2048)
seen["rs256_proof"] = outcome(token_request(proof("POST", TOKEN, signer=rsa, alg="RS256", nonce=nonce)))
seen["ps256_proof"] = outcome(token_request(proof("POST", TOKEN, signer=rsa, alg="PS256", nonce=nonce)))


def at(url, scheme="DPoP", dpop=None, method="GET", token=access):
    headers = {"Authorization": f"{scheme} {token}"}
    if dpop is not None:
        headers["DPoP"] = dpop
    return send(method, url, headers=headers)


seen["userinfo"] = outcome(at(USERINFO, dpop=proof("GET", USERINFO, ath=ath(access))))
seen["userinfo_sub"] = at(USERINFO, dpop=proof("GET", USERINFO, ath=ath(access))).json().get("sub")
good = proof("GET", ME, ath=ath(access))
me = at(ME, dpop=good)
seen["api"] = outcome(me)
seen["api_user"] = me.json().get("id")
seen["resource_attacks"] = {name: outcome(r) for name, r in {
    "replayed": at(ME, dpop=good),
    "as_bearer": at(ME, scheme="Bearer"),
    "as_bearer_at_userinfo": at(USERINFO, scheme="Bearer"),
    "no_proof": at(ME),
    "no_ath": at(ME, dpop=proof("GET", ME)),
    "ath_of_another_token": at(ME, dpop=proof("GET", ME, ath=ath(access + "x"))),
    "another_method": at(ME, dpop=proof("POST", ME, ath=ath(access))),
    "another_url": at(ME, dpop=proof("GET", USERINFO, ath=ath(access))),
    "another_key": at(ME, dpop=proof("GET", ME, signer=other, ath=ath(access))),
    "another_key_at_userinfo": at(USERINFO, dpop=proof("GET", USERINFO, signer=other, ath=ath(access))),
}.items()}
challenge = at(USERINFO, dpop=proof("GET", USERINFO, signer=other, ath=ath(access)))
seen["userinfo_challenge"] = challenge.headers.get("WWW-Authenticate")
seen["introspected"] = send("POST", f"{issuer}/oauth/v2/introspect", auth=confidential,
                            data={"token": access}).json()
print(json.dumps(seen))
