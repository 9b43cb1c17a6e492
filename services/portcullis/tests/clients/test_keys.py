"""A test party's RSA key and self-signed certificate, made with openssl where missing."""

import os
import subprocess


def key_pair(directory, name):
    """The key and certificate files `name`.key and `name`.crt in `directory` (made there
    when missing, valid for 30 days)."""
    key_file = os.path.join(directory, f"{name}.key")
    cert_file = os.path.join(directory, f"{name}.crt")
    if not os.path.exists(cert_file):
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
             "-subj", f"/CN=saml-{name}", "-keyout", key_file, "-out", cert_file],
            check=True, capture_output=True)
    return key_file, cert_file
