"""Every method of every gRPC service, called by a user of the instance without any role on
real resources: PERMISSION_DENIED naming (in ErrorInfo's metadata) the permission the method's
comment in proto/ states, as REST's denials test does for every route. Lists that filter to
what the caller may read answer instead, with the caller alone; GetMe answers.

Environment: TARGET, AUTHORITY, TOKEN (the roleless caller's), PROTO_DIR, and FIXTURES (JSON:
the ids of the resources to call on).
"""

import importlib
import json
import os
import re
import sys
import tempfile

import grpc
from google.protobuf.json_format import ParseDict

from grpc_client import failure, stubs

# Lists answer with what the caller may read (here: only itself) rather than deny.
FILTERED = {"ListOrgs", "ListUsers", "ListProjects", "ListUserGrants"}
OPEN = {"GetMe"}


def documented(proto_dir):
    """Each method's permission, as its comment states it: {(service, method): permission}."""
    found = {}
    folder = os.path.join(proto_dir, "portcullis/v1")
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".proto"):
            continue
        text = open(os.path.join(folder, name)).read()
        for service, body in re.findall(r"service (\w+) \{(.*?)\n\}", text, re.S):
            for comment, method in re.findall(r"((?:[ \t]*//[^\n]*\n)+)[ \t]*rpc (\w+)\(", body):
                words = " ".join(l.strip().lstrip("/") for l in comment.splitlines())
                m = re.search(r"Permission:\s+([a-z_]+(?:\.[a-z_]+)+)", words)
                found[(service, method)] = m.group(1) if m else ""
    return found


def request(service, method, message_class, f):
    """A valid request of the method, on the fixtures."""
    level = {"InstanceService": "IAM_OWNER", "OrgService": "ORG_OWNER"}.get(service, "PROJECT_OWNER")
    if "Grant" in method and service == "ProjectService" and "Member" in method:
        level = "PROJECT_GRANT_OWNER"
    ids = {
        "UserService": f["user"], "AuthorizationService": f["user"],
        "NotificationService": f["user"], "FactorService": f["user"],
        "ProjectService": f["project"], "SystemService": f["instance"],
    }
    values = {
        "id": ids.get(service, ""),
        "org_id": f["org"], "user_id": f["user"], "app_id": f["app"], "pat_id": f["pat"],
        "grant_id": f["user_grant"] if service == "AuthorizationService" else f["grant"],
        "key": "editor" if method == "RemoveRole" else "k",
        "project_id": f["project"], "granted_org_id": f["org_b"], "name": "Denied",
        "username": "denied", "new_password": "a new password", "address": "z@b.io",
        "role_keys": ["editor"], "permission": "user.read", "domains": ["denied.test"],
        "value": "eA==", "phone": "+41791234567",
        "member": {"user_id": f["user"], "roles": [level]},
        "profile": {"given_name": "A", "family_name": "B"},
        "email": {"address": "a@b.io"},
        "admin": {"username": "a"},
        "settings": {"name": "web", "redirect_uris": ["https://a.example.com/cb"],
                     "auth_method": "none"},
        "role": {"key": "denied"},
        "resource": {"type": "instance"},
        "kind": "session", "session_id": f["session"],
        "checks": {"user": {"login_name": "target"}}, "auth_request_id": "ar1.x",
        "session_token": "s.t",
        "session": {"idle_lifetime_s": 60, "absolute_lifetime_s": 120},
        "host": "smtp.example.com", "port": 587, "sender_address": "a@b.io", "sender_name": "A",
        "to": "a@b.io", "code": "ABCDEFGH", "template": "init", "language": "de",
        "endpoint": "https://sms.example.com/send",
        "texts": {"subject": "Denied"},
        "key_id": "any-key",
        "public_key_credential_json": json.dumps({
            "id": "AA", "rawId": "AA", "type": "public-key",
            "response": {"attestationObject": "AA", "clientDataJSON": "AA"}}),
    }
    if method in ("CreateSamlApp", "UpdateSamlApp"):
        values["settings"] = {"name": "Denied", "metadata_xml": SP_METADATA}
    if service == "IdpService":
        values["settings"] = {"name": "Denied", "oidc": {
            "issuer": "https://sso.example.com", "client_id": "c", "client_secret": "s"}}
    fields = message_class.DESCRIPTOR.fields_by_name
    return ParseDict({k: v for k, v in values.items() if k in fields}, message_class())


# A service provider's metadata, for the SAML app methods.
SP_METADATA = (
    '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
    'entityID="https://denied.example.com/saml"><md:SPSSODescriptor '
    'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
    '<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
    'Location="https://denied.example.com/acs" index="0"/></md:SPSSODescriptor>'
    '</md:EntityDescriptor>')


def main():
    out = tempfile.mkdtemp(prefix="portcullis-grpc-")
    proto_dir = os.environ["PROTO_DIR"]
    stubs(proto_dir, out)
    fixtures = json.loads(os.environ["FIXTURES"])
    channel = grpc.insecure_channel(
        os.environ["TARGET"], options=[("grpc.default_authority", os.environ["AUTHORITY"])])
    metadata = [("authorization", "Bearer " + os.environ["TOKEN"]),
                ("x-portcullis-position", fixtures["position"])]
    permissions = documented(proto_dir)
    wrong, checked = [], 0
    for name in ["system", "instance", "org", "user", "project", "authorization", "event",
                 "settings", "login_session", "notification", "factor", "idp"]:
        module = importlib.import_module(f"portcullis.v1.{name}_pb2")
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                input_class = getattr(importlib.import_module(
                    f"portcullis.v1.{method.input_type.file.name.split('/')[-1][:-6]}_pb2"),
                    method.input_type.name)
                output_class = getattr(importlib.import_module(
                    f"portcullis.v1.{method.output_type.file.name.split('/')[-1][:-6]}_pb2"),
                    method.output_type.name)
                path = f"/{service.full_name}/{method.name}"
                req = request(service.name, method.name, input_class, fixtures)
                if method.server_streaming:
                    stream = channel.unary_stream(path, request_serializer=input_class.SerializeToString)
                    call = lambda: next(iter(stream(req, metadata=metadata, timeout=10)))
                else:
                    unary = channel.unary_unary(path, request_serializer=input_class.SerializeToString,
                                                response_deserializer=output_class.FromString)
                    call = lambda: unary(req, metadata=metadata, timeout=10)
                checked += 1
                got = failure(call)
                permission = permissions.get((service.name, method.name))
                if method.name in FILTERED:
                    ok = got["code"] == "OK" and all(
                        item.id == fixtures["caller"] for item in got["answer"].items)
                elif method.name in OPEN:
                    ok = got["code"] == "OK"
                else:
                    ok = (got["code"] == "PERMISSION_DENIED" and got["reason"] == "AUTHZ-0001"
                          and got["metadata"].get("missing") == permission)
                if not ok:
                    wrong.append(f"{path} (documents {permission!r}): {got}")
    print(json.dumps({"checked": checked, "wrong": wrong}))


if __name__ == "__main__":
    main()
