"""The tenant's domain resolved to the test server, as an /etc/hosts entry would: the Python
clients import it before they connect. DOMAIN and PORT name the tenant."""

import os
import socket

domain, port = os.environ["DOMAIN"], int(os.environ["PORT"])
issuer = f"http://{domain}:{port}"
_resolve = socket.getaddrinfo


def _to_test_server(host, *args, **kwargs):
    return _resolve("127.0.0.1" if host == domain else host, *args, **kwargs)


socket.getaddrinfo = _to_test_server
