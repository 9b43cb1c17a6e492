#!/usr/bin/env bash
# Measures the user import against plain creations in one run, on one fresh server: USERS
# users with a bcrypt hash each imported by `portcullis import-users` (NDJSON, 10,000 a
# request), then as many users created one a request by `loadgen seed` (32 in flight, the
# way a migration without an import would make them). Prints both rates and their ratio.
#
#   bash loadtests/import.sh                  # 100,000 users each way
#   USERS=20000 bash loadtests/import.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/portcullis-target}"
USERS="${USERS:-100000}"
PY="${PORTCULLIS_VENV:-$HOME/.cache/portcullis-venv-3.12}/bin/python"

echo "== building release binaries" >&2
cargo build --release --locked -p portcullis -p loadtests >&2
BIN="$CARGO_TARGET_DIR/release"
WORK="$(mktemp -d)"
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
PORTCULLIS_DATA_DIR="$WORK/data" "$BIN/portcullis" start --listen "127.0.0.1:$PORT" 2>"$WORK/portcullis.log" &
PID=$!
for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
PAT="$(cat "$WORK/data/admin.pat")"
ORG="$(curl -fs -H "Authorization: Bearer $PAT" "http://127.0.0.1:$PORT/v1/orgs" | python3 -c 'import json,sys; print([o["id"] for o in json.load(sys.stdin)["items"] if o["name"]=="Default"][0])')"

echo "== writing $USERS users with bcrypt hashes" >&2
"$PY" - "$USERS" >"$WORK/users.ndjson" <<'PYEOF'
import json, sys, bcrypt
hash = bcrypt.hashpw(b"moved along", bcrypt.gensalt(rounds=10)).decode()
for n in range(int(sys.argv[1])):
    print(json.dumps({"username": f"imported{n}", "password_hash": hash,
                      "profile": {"given_name": "Moved", "family_name": f"User {n}"},
                      "email": {"address": f"imported{n}@example.com", "verified": True}}))
PYEOF

echo "== importing" >&2
START="$(date +%s.%N)"
PORTCULLIS_TOKEN="$PAT" "$BIN/portcullis" import-users "$WORK/users.ndjson" --org "$ORG" \
    --url "http://127.0.0.1:$PORT" >"$WORK/refused.ndjson"
IMPORT_SECS="$(python3 -c "import time; print(time.time() - $START)")"
REFUSED="$(wc -l <"$WORK/refused.ndjson")"

echo "== creating as many, one a request" >&2
echo "$PAT" >"$WORK/pat"
SEEDED="$("$BIN/loadgen" seed --base "http://127.0.0.1:$PORT" --pat-file "$WORK/pat" --users "$USERS" --workers 32)"
echo "$SEEDED" >&2
python3 - "$USERS" "$IMPORT_SECS" "$REFUSED" "$SEEDED" <<'PYEOF'
import re, sys
users, secs, refused, seeded = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
imported = users / secs
created = float(re.search(r"\(([\d.]+)/s\)", seeded).group(1))
print(f"import:   {users} users with bcrypt hashes in {secs:.1f} s, {imported:.0f} users/s ({refused} refused)")
print(f"creation: {users} users one a request, {created:.0f} users/s")
print(f"ratio:    {imported / created:.2f}x")
PYEOF
