"""A bounded abuse run against a Portcullis on loopback (never anywhere else).

Started by `loadtests/abuse.sh`, which starts the server behind a pretend proxy
(`--trusted-proxies 127.0.0.1`, so each request names its client address in X-Forwarded-For).
It measures, in one run:

1. a baseline: a legitimate user logging in again and again (the whole code flow), alone;
2. the attack, at most DURATION seconds and MAX_REQUESTS requests: distinct long hosts at
   discovery, long made-up client ids at the token endpoint, made-up auth requests at the
   login page, a flood of wrong passwords at one victim from one address, and password
   spraying from many addresses, while the same legitimate user keeps logging in;
3. afterwards, how long until the victim logs in with the right password.

It prints one JSON object: resident memory before, at most during, and after; the legitimate
login's latencies without and with the attack; the attack's requests by answer; and the
victim's wait. Standard library only, plus nothing.
"""

import http.client
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import urllib.parse

BASE_PORT = int(os.environ["PORT"])
PID = int(os.environ["SERVER_PID"])
PAT = open(os.environ["PAT_FILE"]).read().strip()
DURATION = float(os.environ.get("DURATION", "60"))
MAX_REQUESTS = int(os.environ.get("MAX_REQUESTS", "200000"))
BASELINE = float(os.environ.get("BASELINE", "15"))
LOCK_SECONDS = int(os.environ.get("LOCK_SECONDS", "10"))
ATTACKERS = int(os.environ.get("ATTACKERS", "8"))
HOST = "localhost"
REDIRECT = "http://localhost:7777/callback"
PASSWORD = "the legitimate password"


def rss_kib():
    out = subprocess.run(["ps", "-o", "rss=", "-p", str(PID)], capture_output=True, text=True)
    return int(out.stdout.strip() or 0)


class Conn:
    """One keep-alive connection, reopened after errors."""

    def __init__(self):
        self.c = None

    def send(self, method, path, headers=None, body=None):
        for _ in range(2):
            try:
                if self.c is None:
                    self.c = http.client.HTTPConnection("127.0.0.1", BASE_PORT, timeout=30)
                self.c.request(method, path, body=body, headers=headers or {})
                r = self.c.getresponse()
                data = r.read()
                return r.status, {k.lower(): v for k, v in r.getheaders()}, data
            except (http.client.HTTPException, OSError):
                if self.c is not None:
                    self.c.close()
                self.c = None
        return 0, {}, b""


def api(conn, method, path, body=None):
    headers = {"Host": HOST, "Authorization": f"Bearer {PAT}", "Content-Type": "application/json"}
    status, _, data = conn.send(method, path, headers, json.dumps(body) if body is not None else None)
    if status >= 300:
        sys.exit(f"{method} {path}: {status} {data[:300]!r}")
    return json.loads(data or b"{}"), status


def setup():
    c = Conn()
    orgs, _ = api(c, "GET", "/v1/orgs")
    org = orgs["items"][0]["id"]
    project, _ = api(c, "POST", f"/v1/orgs/{org}/projects", {"name": f"abuse-{time.time_ns()}"})
    app, _ = api(
        c,
        "POST",
        f"/v1/projects/{project['id']}/apps/oidc",
        {
            "name": "web",
            "redirect_uris": [REDIRECT],
            "grant_types": ["authorization_code"],
            "auth_method": "none",
            "access_token_type": "jwt",
        },
    )
    for name in ["alice", "victim"]:
        api(
            c,
            "POST",
            f"/v1/orgs/{org}/users/human",
            {
                "username": name,
                "profile": {"given_name": name, "family_name": "Test"},
                "email": {"address": f"{name}@example.com", "verified": True},
                "password": PASSWORD,
            },
        )
    api(
        c,
        "PUT",
        "/v1/instance/settings/lockout",
        {"max_password_attempts": 10, "max_otp_attempts": 5, "lock_seconds": LOCK_SECONDS},
    )
    time.sleep(1)  # the read models catch up with the new users
    return app["client_id"]


CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def log_in(conn, client_id, username, password, ip):
    """The code flow as a browser does it; True when the redirect carries a code."""
    fwd = {"Host": HOST, "X-Forwarded-For": ip}
    q = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "scope": "openid",
            "state": "s",
            "code_challenge": CHALLENGE,
            "code_challenge_method": "S256",
        }
    )
    status, h, _ = conn.send("GET", f"/oauth/v2/authorize?{q}", fwd)
    if status != 302:
        return status
    status, h, page = conn.send("GET", h["location"], fwd)
    if status != 200:
        return status
    csrf_cookie = re.search(r"portcullis_csrf=([^;]+)", h.get("set-cookie", ""))
    fields = dict(re.findall(rb'name="(\w+)" value="([^"]*)"', page))
    form = urllib.parse.urlencode(
        {
            "authRequest": fields[b"authRequest"].decode(),
            "csrf": fields[b"csrf"].decode(),
            "username": username,
            "password": password,
        }
    )
    headers = dict(fwd)
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    headers["Cookie"] = f"portcullis_csrf={csrf_cookie.group(1)}" if csrf_cookie else ""
    status, h, _ = conn.send("POST", "/ui/login", headers, form)
    if status == 302 and "code=" in h.get("location", ""):
        return 200
    return status


def percentile(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(len(xs) * p))] * 1000, 1)


def legit_logins(client_id, until, out):
    conn = Conn()
    while time.monotonic() < until:
        start = time.monotonic()
        status = log_in(conn, client_id, "alice", PASSWORD, "203.0.113.10")
        out.append((time.monotonic() - start, status))


class Counter:
    def __init__(self):
        self.lock = threading.Lock()
        self.sent = 0
        self.by = {}

    def take(self):
        with self.lock:
            if self.sent >= MAX_REQUESTS:
                return False
            self.sent += 1
            return True

    def count(self, kind, status):
        with self.lock:
            key = f"{kind} {status}"
            self.by[key] = self.by.get(key, 0) + 1


def attacker(n, client_id, until, counter):
    conn = Conn()
    rnd = random.Random(n)
    while time.monotonic() < until and counter.take():
        kind = ["hosts", "client-ids", "auth-requests", "flood", "spray"][rnd.randrange(5)]
        if kind == "hosts":
            host = f"h{rnd.getrandbits(64):x}{'a' * 50}.test:{rnd.randrange(1, 65535)}"
            status, _, _ = conn.send("GET", "/.well-known/openid-configuration", {"Host": host})
        elif kind == "client-ids":
            cid = f"{rnd.getrandbits(64):x}" + "c" * 60000
            body = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": cid, "client_secret": "x"})
            status, _, _ = conn.send(
                "POST",
                "/oauth/v2/token",
                {"Host": HOST, "Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": "198.51.100.1"},
                body,
            )
        elif kind == "auth-requests":
            ar = f"ar1.{rnd.getrandbits(128):x}"
            status, _, _ = conn.send("GET", f"/ui/login?authRequest={ar}", {"Host": HOST})
        elif kind == "flood":
            status = log_in(conn, client_id, "victim", f"guess-{rnd.getrandbits(32)}", "198.51.100.2")
        else:
            ip = f"10.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(256)}"
            user = f"user{rnd.randrange(10000)}"
            status = log_in(conn, client_id, user, "Summer2026!", ip)
        counter.count(kind, status)


def main():
    client_id = setup()
    before = rss_kib()
    baseline = []
    legit_logins(client_id, time.monotonic() + BASELINE, baseline)
    after_baseline = rss_kib()

    counter = Counter()
    during = []
    until = time.monotonic() + DURATION
    threads = [threading.Thread(target=attacker, args=(n, client_id, until, counter)) for n in range(ATTACKERS)]
    threads.append(threading.Thread(target=legit_logins, args=(client_id, until, during)))
    peak = [after_baseline]
    started = time.monotonic()
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        peak[0] = max(peak[0], rss_kib())
        time.sleep(0.5)
    attack_seconds = time.monotonic() - started
    ended = time.monotonic()
    conn = Conn()
    victim_status = None
    while time.monotonic() - ended < LOCK_SECONDS + 120:
        victim_status = log_in(conn, client_id, "victim", PASSWORD, "203.0.113.20")
        if victim_status == 200:
            break
        time.sleep(0.5)
    victim_wait = time.monotonic() - ended

    def summary(samples):
        ok = [t for t, s in samples if s == 200]
        statuses = {}
        for _, s in samples:
            statuses[str(s)] = statuses.get(str(s), 0) + 1
        return {"logins": len(samples), "statuses": statuses, "p50_ms": percentile(ok, 0.5), "p99_ms": percentile(ok, 0.99)}

    print(
        json.dumps(
            {
                "rss_kib": {"before": before, "after_baseline": after_baseline, "peak_during_attack": peak[0], "after": rss_kib()},
                "legit_login_alone": summary(baseline),
                "legit_login_under_attack": summary(during),
                "attack": {"seconds": round(attack_seconds, 1), "requests": counter.sent, "answers": dict(sorted(counter.by.items()))},
                "victim": {"lock_seconds": LOCK_SECONDS, "logged_in": victim_status == 200, "seconds_after_attack": round(victim_wait, 1)},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
