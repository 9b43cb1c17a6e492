"""pysaml2 (PyPI, with Debian's xmlsec1), unchanged, as a customer's SAML identity provider
upstream of a tenant, Portcullis its service provider. The tenant's domain is resolved to the
test server, as an /etc/hosts entry would; the SP's metadata is read from Portcullis.

  saml_idp.py metadata   the IdP's metadata (XML)
  saml_idp.py respond    the IdP's answer to Portcullis's request, for the user NAME_ID:
                         {"action", "fields", "request_id", "assertion_id"}; the request is
                         the one in REQUEST_URL (HTTP-Redirect: where Portcullis sent the
                         browser) or SAML_REQUEST with RELAY_STATE (HTTP-POST)

Environment: DOMAIN, PORT (the tenant), IDP (its entity id), SSO (its single sign-on URL),
KEY_DIR (its key and certificate, made there when missing), SP_METADATA (the URL of
Portcullis's SP metadata for this IdP), SIGNED_REQUESTS=1 (requests must be signed); for
respond: NAME_ID (the user's), EMAIL, GIVEN_NAME, FAMILY_NAME, and what an attacker changes:
  SIGN             assertion (the default), response, both, or none
  SIGNING_KEY_DIR  signs with the key there instead of the IdP's (a response re-signed)
  AGE_S            every time in the response that many seconds earlier (an old response)
  AUDIENCE         this audience instead of the SP's
  NO_AUDIENCE      no audience at all (an assertion for anyone)
  AFTER_SIGNING    [[old, new], ...]: replaced in the signed XML (a comment in the NameID)
  WRAP             a NameID: an unsigned assertion for it put before the signed one"""

import base64
import datetime
import json
import os
import re
import sys
from urllib.parse import parse_qs, urlparse

import requests
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server
import tenant_host  # noqa: F401 (resolves the tenant's domain to the test server)
from test_keys import key_pair

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
PASSWORD = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"
RESPONSE = "urn:oasis:names:tc:SAML:2.0:protocol:Response"


command = sys.argv[1]
key_file, cert_file = key_pair(os.environ["KEY_DIR"], "idp")
sso = os.environ["SSO"]
metadata = []
if command != "metadata":
    answer = requests.get(os.environ["SP_METADATA"], timeout=10)
    answer.raise_for_status()
    metadata = [answer.text]

config = IdPConfig()
config.load({
    "entityid": os.environ["IDP"],
    "service": {"idp": {
        "endpoints": {"single_sign_on_service": [(sso, BINDING_HTTP_REDIRECT),
                                                 (sso, BINDING_HTTP_POST)]},
        "name_id_format": [NAMEID_FORMAT_PERSISTENT],
        "want_authn_requests_signed": os.environ.get("SIGNED_REQUESTS") == "1",
        "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None,
                               "name_form": NAME_FORMAT_URI}},
    }},
    "metadata": {"inline": metadata} if metadata else {},
    "key_file": key_file,
    "cert_file": cert_file,
    "xmlsec_binary": "/usr/bin/xmlsec1",
})
server = Server(config=config)

if command == "metadata":
    from saml2.metadata import entity_descriptor
    print(str(entity_descriptor(config)))
    sys.exit(0)
if command != "respond":
    sys.exit(f"unknown command {command}")

if os.environ.get("REQUEST_URL"):
    query = {k: v[0] for k, v in parse_qs(urlparse(os.environ["REQUEST_URL"]).query).items()}
    request = server.parse_authn_request(
        query["SAMLRequest"], BINDING_HTTP_REDIRECT, relay_state=query.get("RelayState"),
        sigalg=query.get("SigAlg"), signature=query.get("Signature"))
    relay_state = query.get("RelayState", "")
else:
    request = server.parse_authn_request(os.environ["SAML_REQUEST"], BINDING_HTTP_POST)
    relay_state = os.environ.get("RELAY_STATE", "")
message = request.message
acs = message.assertion_consumer_service_url
sp = message.issuer.text
sign = os.environ.get("SIGN", "assertion")
user = os.environ["NAME_ID"]
identity = {"uid": [user], "mail": [os.environ.get("EMAIL", f"{user}@customer.example")],
            "givenName": [os.environ.get("GIVEN_NAME", "Grace")],
            "sn": [os.environ.get("FAMILY_NAME", "Hopper")]}
response = server.create_authn_response(
    identity, in_response_to=message.id, destination=acs, sp_entity_id=sp,
    name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=user),
    authn={"class_ref": PASSWORD}, sign_response=sign in ("response", "both"),
    sign_assertion=sign in ("assertion", "both"), sign_alg=RSA_SHA256, digest_alg=SHA256)
xml = str(response)


def ids_of(xml, element):
    return re.findall(r"<(?:\w+:)?%s\b[^>]*?\sID=\"([^\"]+)\"" % element, xml)


def shifted(xml, seconds):
    def earlier(m):
        t = datetime.datetime.strptime(m.group(2)[:19], "%Y-%m-%dT%H:%M:%S")
        return f'{m.group(1)}="{(t - datetime.timedelta(seconds=seconds)).isoformat()}Z"'
    pattern = r'(IssueInstant|NotBefore|NotOnOrAfter|AuthnInstant|SessionNotOnOrAfter)="([^"]+)"'
    return re.sub(pattern, earlier, xml)


changed = False
if os.environ.get("AGE_S"):
    xml, changed = shifted(xml, int(os.environ["AGE_S"])), True
if os.environ.get("AUDIENCE"):
    xml = re.sub(r"(<(?:\w+:)?Audience>)[^<]*(</)", r"\g<1>" + os.environ["AUDIENCE"] + r"\2", xml)
    changed = True
if os.environ.get("NO_AUDIENCE"):
    xml = re.sub(r"<((?:\w+:)?)AudienceRestriction\b.*?</\1AudienceRestriction>", "", xml,
                 flags=re.S)
    changed = True
signing_key = key_file
if os.environ.get("SIGNING_KEY_DIR"):
    signing_key, changed = key_pair(os.environ["SIGNING_KEY_DIR"], "idp")[0], True
if changed and sign != "none":
    # Signed again over what changed (the inner signature first), with the key given.
    if sign in ("assertion", "both"):
        xml = server.sec.sign_statement(xml, ASSERTION, key_file=signing_key,
                                        node_id=ids_of(xml, "Assertion")[0])
    if sign in ("response", "both"):
        xml = server.sec.sign_statement(xml, RESPONSE, key_file=signing_key,
                                        node_id=ids_of(xml, "Response")[0])
for old, new in json.loads(os.environ.get("AFTER_SIGNING", "[]")):
    xml = xml.replace(old, new)
if os.environ.get("WRAP"):
    # Signature wrapping: an assertion of the attacker's (unsigned, for WRAP) before the
    # signed one, which stays as it was signed.
    signed = re.search(r"<((?:\w+:)?)Assertion\b.*?</\1Assertion>", xml, re.S).group(0)
    evil = re.sub(r"<((?:\w+:)?)Signature\b.*?</\1Signature>", "", signed, flags=re.S)
    evil = evil.replace(ids_of(signed, "Assertion")[0], "_evil" + ids_of(signed, "Assertion")[0])
    evil = re.sub(r"(<(?:\w+:)?NameID\b[^>]*>)[^<]*", r"\g<1>" + os.environ["WRAP"], evil)
    xml = xml.replace(signed, evil + signed)
print(json.dumps({
    "action": acs,
    "fields": {"SAMLResponse": base64.b64encode(xml.encode()).decode(),
               "RelayState": relay_state},
    "request_id": message.id,
    "assertion_id": ids_of(xml, "Assertion")[-1],
}))
