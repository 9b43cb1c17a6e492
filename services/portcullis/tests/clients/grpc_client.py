"""A Python grpcio client of the gRPC API: stubs generated from proto/ with grpc_tools, the
scenario of the Rust test run again, every answer printed as one JSON line for the test to
compare with REST.

Environment: TARGET (host:port of the gRPC API), AUTHORITY (the instance's domain), TOKEN (an
IAM_OWNER's token), DENIED_TOKEN (a token of a user without roles), AT (a position to read at),
PROTO_DIR (the repository's proto/).
"""

import importlib
import json
import os
import sys
import tempfile

import grpc
from google.protobuf.descriptor_pool import DescriptorPool
from google.protobuf.json_format import MessageToDict
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from grpc_tools import protoc


def stubs(proto_dir, out):
    files = sorted(
        os.path.join("portcullis/v1", f)
        for f in os.listdir(os.path.join(proto_dir, "portcullis/v1"))
        if f.endswith(".proto")
    )
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    args = ["protoc", f"-I{proto_dir}", f"-I{include}", f"--python_out={out}",
            f"--grpc_python_out={out}"] + files
    if protoc.main(args) != 0:
        sys.exit(f"protoc failed on {files}")
    sys.path.insert(0, out)


def as_dict(message):
    return MessageToDict(message, preserving_proto_field_name=True,
                         always_print_fields_with_no_presence=True)


def failure(call):
    """The status code and the ErrorInfo of a failed call (and the answer of one that was not)."""
    try:
        answer = call()
    except grpc.RpcError as e:
        status = rpc_status.from_call(e)
        info = error_details_pb2.ErrorInfo()
        for detail in status.details if status else []:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                detail.Unpack(info)
        return {"code": e.code().name, "reason": info.reason, "domain": info.domain,
                "metadata": dict(info.metadata)}
    return {"code": "OK", "answer": answer}


def outcome(call):
    """As `failure`, for printing: the answer of a call that did not fail is left out."""
    result = failure(call)
    result.pop("answer", None)
    return result


def discovered(channel):
    """What reflection tells a client that has no stubs: the services and their methods."""
    database = ProtoReflectionDescriptorDatabase(channel)
    pool = DescriptorPool(database)
    services = {}
    for name in database.get_services():
        service = pool.FindServiceByName(name)
        services[name] = sorted(m.name for m in service.methods)
    return services


def health(channel, service):
    stub = health_pb2_grpc.HealthStub(channel)
    reply = stub.Check(health_pb2.HealthCheckRequest(service=service))
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


def main():
    out = tempfile.mkdtemp(prefix="portcullis-grpc-")
    stubs(os.environ["PROTO_DIR"], out)
    pb = {name: importlib.import_module(f"portcullis.v1.{name}_pb2")
          for name in ["common", "org", "user", "event"]}
    rpc = {name: importlib.import_module(f"portcullis.v1.{name}_pb2_grpc")
           for name in ["org", "user", "event"]}
    channel = grpc.insecure_channel(
        os.environ["TARGET"], options=[("grpc.default_authority", os.environ["AUTHORITY"])])
    orgs = rpc["org"].OrgServiceStub(channel)
    users = rpc["user"].UserServiceStub(channel)
    events = rpc["event"].EventServiceStub(channel)
    token = [("authorization", "Bearer " + os.environ["TOKEN"])]

    org = orgs.CreateOrg(pb["org"].CreateOrgRequest(name="Python"), metadata=token)
    user = users.CreateHumanUser(pb["user"].CreateHumanUserRequest(
        org_id=org.id, username="grace",
        profile=pb["user"].CreateHumanUserRequest.NewProfile(
            given_name="Grace", family_name="Hopper", preferred_language="en"),
        email=pb["user"].CreateHumanUserRequest.NewEmail(address="grace@example.com"),
        password="a long password"), metadata=token)
    member = orgs.AddOrgMember(pb["org"].AddOrgMemberRequest(
        org_id=org.id, member=pb["common"].Member(user_id=user.id, roles=["ORG_OWNER"])),
        metadata=token)
    at = token + [("x-portcullis-position", member.position)]
    got = users.GetUser(pb["user"].GetUserRequest(id=user.id), metadata=at)
    listed = users.ListUsers(pb["user"].ListUsersRequest(org_id=org.id), metadata=at)
    members = orgs.ListOrgMembers(pb["org"].ListOrgMembersRequest(org_id=org.id), metadata=at)
    trail = events.ListEvents(pb["event"].ListEventsRequest(aggregate_id=user.id), metadata=at)

    denied_token = [("authorization", "Bearer " + os.environ["DENIED_TOKEN"]),
                    ("x-portcullis-position", os.environ["AT"])]
    print(json.dumps({
        "org_id": org.id,
        "user_id": user.id,
        "position": member.position,
        "user": as_dict(got),
        "listed": [as_dict(u) for u in listed.items],
        "members": [as_dict(m) for m in members.items],
        "events": [{"position": e.position, "type": e.type, "sequence": str(e.sequence),
                    "payload_keys": sorted(as_dict(e.payload).keys())}
                   for e in trail.items],
        "denied": outcome(lambda: users.GetUser(
            pb["user"].GetUserRequest(id=user.id), metadata=denied_token)),
        "bad_input": outcome(lambda: orgs.CreateOrg(
            pb["org"].CreateOrgRequest(name=""), metadata=token)),
        "no_token": outcome(lambda: users.GetMe(pb["user"].GetMeRequest())),
        "reflection": discovered(channel),
        "health": {name: health(channel, name)
                   for name in ["", "portcullis.v1.UserService", "portcullis.v1.EventService"]},
    }))


if __name__ == "__main__":
    main()
