"""The tests' stand-in for the internet an org's domain lives on: a DNS server (PyPI dnslib)
and a web server on loopback, both answering from a directory the tests write to.

- DNS: a TXT query for NAME answers the lines of DIR/txt/NAME (NXDOMAIN without the file);
  an A query answers 127.0.0.1 for every name (the web server below).
- HTTP: GET /.well-known/portcullis-challenge/TOKEN with `Host: DOMAIN[:port]` answers the file
  DIR/http/DOMAIN/TOKEN (404 without it).

Prints {"dns": port, "http": port} once both listen; exits when its stdin closes (the test
process ended).
"""

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from dnslib import QTYPE, RCODE, RR, TXT, A
from dnslib.server import BaseResolver, DNSLogger, DNSServer

ROOT = sys.argv[1]
PREFIX = "/.well-known/portcullis-challenge/"


def safe(part, lower=True):
    """A path component a query or a request may name (nothing that climbs out of ROOT)."""
    part = part.rstrip(".")
    part = part.lower() if lower else part
    if not part or "/" in part or part.startswith(".") or "\\" in part:
        return None
    return part


class Resolver(BaseResolver):
    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname)
        qtype = QTYPE[request.q.qtype]
        if qtype == "A":
            reply.add_answer(RR(name, QTYPE.A, rdata=A("127.0.0.1"), ttl=1))
            return reply
        if qtype == "TXT":
            file = safe(name)
            path = os.path.join(ROOT, "txt", file) if file else None
            if path and os.path.exists(path):
                with open(path, encoding="utf-8") as f:
                    for line in f.read().splitlines():
                        reply.add_answer(RR(name, QTYPE.TXT, rdata=TXT(line), ttl=1))
                return reply
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


class Challenges(BaseHTTPRequestHandler):
    def do_GET(self):
        host = safe((self.headers.get("Host") or "").split(":")[0])
        token = safe(self.path[len(PREFIX):], lower=False) if self.path.startswith(PREFIX) else None
        path = os.path.join(ROOT, "http", host, token) if host and token else None
        if not path or not os.path.exists(path):
            self.send_response(404)
            self.end_headers()
            return
        with open(path, "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    quiet = DNSLogger("-request,-reply,-truncated,-error,-recv,-send,-data", prefix=False)
    dns = DNSServer(Resolver(), port=0, address="127.0.0.1", logger=quiet)
    dns.start_thread()
    web = ThreadingHTTPServer(("127.0.0.1", 0), Challenges)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    dns_port = dns.server.server_address[1]
    print(json.dumps({"dns": dns_port, "http": web.server_address[1]}), flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
