"""A software authenticator made of PyPI fido2's WebAuthn structures and a P-256 key of the
`cryptography` package: it answers the creation and request options of Portcullis's API as a
browser's authenticator would, at the API level, without a browser.

Usage: soft_key.py create|get, one JSON object on stdin, one on stdout:
  create {"options", "origin"}        -> {"credential", "key"}
  get    {"options", "origin", "key"} -> {"credential", "key"}
`key` is the authenticator's state (its private key, credential id, user handle, counter),
kept by the caller between calls.
"""

import base64
import hashlib
import json
import os
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.cose import ES256
from fido2.webauthn import (AttestationObject, AttestedCredentialData, AuthenticatorData,
                            CollectedClientData)

FLAGS = AuthenticatorData.FLAG


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def create(options, origin):
    public_key = options["publicKey"]
    private = ec.generate_private_key(ec.SECP256R1())
    credential_id = os.urandom(32)
    rp_id = public_key["rp"]["id"]
    attested = AttestedCredentialData.create(
        b"\0" * 16, credential_id, ES256.from_cryptography_key(private.public_key()))
    auth_data = AuthenticatorData.create(
        hashlib.sha256(rp_id.encode()).digest(), FLAGS.UP | FLAGS.UV | FLAGS.AT, 0, attested)
    client_data = CollectedClientData.create(
        CollectedClientData.TYPE.CREATE, unb64(public_key["challenge"]), origin)
    attestation = AttestationObject.create("none", auth_data, {})
    key = {
        "private": private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode(),
        "id": b64(credential_id), "rp_id": rp_id, "user": public_key["user"]["id"],
        "counter": 0,
    }
    credential = {
        "id": key["id"], "rawId": key["id"], "type": "public-key",
        "response": {"attestationObject": b64(bytes(attestation)),
                     "clientDataJSON": b64(bytes(client_data))},
        "extensions": {},
    }
    return {"credential": credential, "key": key}


def get(options, origin, key):
    public_key = options["publicKey"]
    private = serialization.load_pem_private_key(key["private"].encode(), None)
    key["counter"] += 1
    auth_data = AuthenticatorData.create(
        hashlib.sha256(key["rp_id"].encode()).digest(), FLAGS.UP | FLAGS.UV, key["counter"])
    client_data = CollectedClientData.create(
        CollectedClientData.TYPE.GET, unb64(public_key["challenge"]), origin)
    signature = private.sign(bytes(auth_data) + client_data.hash, ec.ECDSA(hashes.SHA256()))
    credential = {
        "id": key["id"], "rawId": key["id"], "type": "public-key",
        "response": {"authenticatorData": b64(bytes(auth_data)),
                     "clientDataJSON": b64(bytes(client_data)),
                     "signature": b64(signature), "userHandle": key["user"]},
        "extensions": {},
    }
    return {"credential": credential, "key": key}


def main():
    asked = json.load(sys.stdin)
    if sys.argv[1] == "create":
        answer = create(asked["options"], asked["origin"])
    else:
        answer = get(asked["options"], asked["origin"], asked["key"])
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
