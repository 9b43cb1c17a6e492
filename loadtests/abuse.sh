#!/usr/bin/env bash
# The bounded abuse run: builds the release binary, starts Portcullis on loopback behind a
# pretend proxy (--trusted-proxies 127.0.0.1, so each request names its client address), and
# runs loadtests/abuse.py: a baseline of legitimate logins, then at most DURATION seconds and
# MAX_REQUESTS requests of attack (distinct hosts, long client ids, made-up auth requests, a
# login flood at one victim, password spraying) with the legitimate logins going on, then the
# victim's wait. Prints the figures as JSON; writes nothing else.
#
#   bash loadtests/abuse.sh                     # 60 s, 200,000 requests at most
#   DURATION=30 ATTACKERS=16 bash loadtests/abuse.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/portcullis-target}"
echo "== building the release binary" >&2
cargo build --release --locked -p portcullis >&2
WORK="$(mktemp -d)"
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
PORTCULLIS_DATA_DIR="$WORK/data" "$CARGO_TARGET_DIR/release/portcullis" start \
    --listen "127.0.0.1:$PORT" --trusted-proxies 127.0.0.1 2>"$WORK/portcullis.log" &
PID=$!
for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
echo "== abuse run against 127.0.0.1:$PORT (pid $PID)" >&2
PORT="$PORT" SERVER_PID="$PID" PAT_FILE="$WORK/data/admin.pat" python3 loadtests/abuse.py
