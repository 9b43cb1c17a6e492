"""Password hashes as other systems store them, made by their own libraries: bcrypt (PyPI
bcrypt, as Auth0 and most Node and Ruby apps), PBKDF2 in passlib's form (as Python apps; Django's
differs only in its name), argon2id (argon2-cffi, as Keycloak and ZITADEL), and scrypt in PHC
form (hashlib). Prints a JSON list of {kind, password, hash}."""

import base64
import hashlib
import json
import os

import argon2
import bcrypt
from passlib.hash import pbkdf2_sha256, pbkdf2_sha512


def b64(raw):
    return base64.b64encode(raw).decode().rstrip("=")


def scrypt_phc(password, ln=14, r=8, p=1):
    salt = os.urandom(16)
    derived = hashlib.scrypt(password.encode(), salt=salt, n=2**ln, r=r, p=p, dklen=32)
    return f"$scrypt$ln={ln},r={r},p={p}${b64(salt)}${b64(derived)}"


hashes = [
    ("bcrypt", "bcrypt secret 1", lambda pw: bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=10)).decode()),
    ("bcrypt-2y", "bcrypt secret 2", lambda pw: bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=10)).decode().replace("$2b$", "$2y$", 1)),
    ("pbkdf2-sha256", "passlib secret 1", lambda pw: pbkdf2_sha256.using(rounds=29000).hash(pw)),
    ("pbkdf2-sha512", "passlib secret 2", lambda pw: pbkdf2_sha512.using(rounds=25000).hash(pw)),
    ("argon2id", "argon2 secret", lambda pw: argon2.PasswordHasher(time_cost=2, memory_cost=8192, parallelism=1).hash(pw)),
    ("scrypt", "scrypt secret", scrypt_phc),
]
print(json.dumps([{"kind": k, "password": pw, "hash": make(pw)} for k, pw, make in hashes]))
