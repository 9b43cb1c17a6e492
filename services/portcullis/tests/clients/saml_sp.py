"""pysaml2 (PyPI, with Debian's xmlsec1), unchanged, as a SAML service provider of a tenant.
The tenant's domain is resolved to the test server, as an /etc/hosts entry would; the IdP's
metadata is read from Portcullis at /saml/v2/metadata.

  saml_sp.py metadata   the SP's metadata (XML)
  saml_sp.py request    an AuthnRequest: {"url"} (HTTP-Redirect) or {"action", "fields"}
                        (HTTP-POST), with "request_id"
  saml_sp.py response   the response in SAML_RESPONSE, checked as pysaml2 checks it
                        (signatures against the IdP's metadata, audience, recipient,
                        InResponseTo = REQUEST_ID, times): {"name_id", "attributes", ...};
                        a response pysaml2 refuses: {"refused": "<why>"}
  saml_sp.py logout     a LogoutRequest for NAME_ID and SESSION_INDEX: {"url"} or {"action",
                        "fields"} as for a request, with "request_id"
  saml_sp.py logout_response  the LogoutResponse in the query URL LOGOUT_URL, or posted as
                        SAML_RESPONSE, checked

Environment: DOMAIN, PORT (the tenant), SP (its entity id), ACS, SLO, SIGN=1 (sign requests),
BINDING=redirect|post, SLO_BINDING=redirect|post (where the SP hears logouts), RELAY_STATE,
NAME_ID_FORMAT, ENCRYPT=1 (the SP's key decrypts assertions), KEY_DIR (the SP's key and
certificate, made there when missing)."""

import html
import json
import os
import re
import sys

import requests
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from tenant_host import issuer
from test_keys import key_pair

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"


idp = f"{issuer}/saml/v2/metadata"
sign = os.environ.get("SIGN") == "1"
binding = BINDING_HTTP_POST if os.environ.get("BINDING") == "post" else BINDING_HTTP_REDIRECT
slo_binding = (BINDING_HTTP_POST if os.environ.get("SLO_BINDING") == "post"
               else BINDING_HTTP_REDIRECT)
key_file, cert_file = key_pair(os.environ["KEY_DIR"], "sp")


def sent(request_id, info):
    """How pysaml2 sends a message: {"url"} (HTTP-Redirect) or {"action", "fields"}
    (HTTP-POST), with "request_id"."""
    out = {"request_id": request_id}
    if binding == BINDING_HTTP_REDIRECT:
        out["url"] = dict(info["headers"])["Location"]
    else:
        form = info["data"]
        out["action"] = html.unescape(re.search(r'action="([^"]+)"', form).group(1))
        out["fields"] = {name: html.unescape(value) for name, value in
                         re.findall(r'name="([^"]+)" value="([^"]*)"', form)}
    return out


command = sys.argv[1]
metadata = []
if command != "metadata":
    answer = requests.get(idp, timeout=10)
    answer.raise_for_status()
    metadata = [answer.text]

sp = {
    "endpoints": {
        "assertion_consumer_service": [(os.environ["ACS"], BINDING_HTTP_POST)],
        "single_logout_service": [(os.environ.get("SLO", os.environ["ACS"] + "/slo"),
                                   slo_binding)],
    },
    "authn_requests_signed": sign,
    "logout_requests_signed": sign,
    "want_response_signed": True,
    "want_assertions_signed": True,
    "allow_unsolicited": os.environ.get("UNSOLICITED") == "1",
}
if os.environ.get("NAME_ID_FORMAT"):
    sp["name_id_format"] = [os.environ["NAME_ID_FORMAT"]]
settings = {
    "entityid": os.environ["SP"],
    "service": {"sp": sp},
    "metadata": {"inline": metadata} if metadata else {},
    "key_file": key_file,
    "cert_file": cert_file,
    "xmlsec_binary": "/usr/bin/xmlsec1",
    "allow_unknown_attributes": True,
}
if os.environ.get("ENCRYPT") == "1":
    # The SP's key decrypts too: its metadata names it for encryption.
    settings["encryption_keypairs"] = [{"key_file": key_file, "cert_file": cert_file}]
config = SPConfig()
config.load(settings)
client = Saml2Client(config)

if command == "metadata":
    from saml2.metadata import entity_descriptor
    print(str(entity_descriptor(config)))
elif command == "request":
    request_id, info = client.prepare_for_authenticate(
        entityid=idp, relay_state=os.environ.get("RELAY_STATE", ""), binding=binding, sign=sign,
        sigalg=RSA_SHA256, digest_alg=SHA256, nameid_format=os.environ.get("NAME_ID_FORMAT"))
    print(json.dumps(sent(request_id, info)))
elif command == "response":
    request_id = os.environ.get("REQUEST_ID")
    outstanding = {request_id: "/"} if request_id else {}
    try:
        response = client.parse_authn_request_response(
            os.environ["SAML_RESPONSE"], BINDING_HTTP_POST, outstanding=outstanding)
    except Exception as e:  # pysaml2 refuses with many exception types
        print(json.dumps({"refused": f"{type(e).__name__}: {e}"}))
        sys.exit(0)
    if response is None or response.assertion is None or response.name_id is None:
        print(json.dumps({"refused": "no assertion it could read"}))
        sys.exit(0)
    assertion = response.assertion
    name_id = response.name_id
    print(json.dumps({
        "name_id": name_id.text,
        "name_id_format": name_id.format,
        "attributes": response.ava,
        "issuer": response.issuer(),
        "in_response_to": response.in_response_to,
        "session_index": assertion.authn_statement[0].session_index,
        "audience": assertion.conditions.audience_restriction[0].audience[0].text,
        "signed_assertion": assertion.signature is not None,
        "authn_context": assertion.authn_statement[0].authn_context
                                  .authn_context_class_ref.text,
    }))
elif command == "logout":
    from saml2.saml import NameID
    name_id = NameID(format=os.environ.get("NAME_ID_FORMAT") or
                     "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
                     text=os.environ["NAME_ID"])
    # By HTTP-POST the request carries its signature; by HTTP-Redirect the query does.
    enveloped = sign and binding == BINDING_HTTP_POST
    request_id, request = client.create_logout_request(
        f"{issuer}/saml/v2/SLO", idp, name_id=name_id,
        session_indexes=[os.environ["SESSION_INDEX"]], sign=enveloped,
        sign_alg=RSA_SHA256, digest_alg=SHA256)
    info = client.apply_binding(binding, str(request), f"{issuer}/saml/v2/SLO",
                                relay_state=os.environ.get("RELAY_STATE", ""),
                                sign=sign and not enveloped, sigalg=RSA_SHA256)
    print(json.dumps(sent(request_id, info)))
elif command == "logout_response":
    # From the query of LOGOUT_URL (HTTP-Redirect), or SAML_RESPONSE as posted (HTTP-POST).
    from urllib.parse import parse_qs, urlparse
    if os.environ.get("SAML_RESPONSE"):
        message, by = os.environ["SAML_RESPONSE"], BINDING_HTTP_POST
    else:
        query = parse_qs(urlparse(os.environ["LOGOUT_URL"]).query)
        message, by = query["SAMLResponse"][0], BINDING_HTTP_REDIRECT
    try:
        response = client.parse_logout_request_response(message, by)
        print(json.dumps({"status": response.response.status.status_code.value,
                          "in_response_to": response.response.in_response_to,
                          "signed": response.response.signature is not None}))
    except Exception as e:
        print(json.dumps({"refused": f"{type(e).__name__}: {e}"}))
else:
    sys.exit(f"unknown command {command}")
