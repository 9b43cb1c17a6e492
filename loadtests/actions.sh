#!/usr/bin/env bash
# Measures actions in one run, on one fresh server, against a receiver on loopback
# (`loadgen receive`: a thread a connection, answering at once):
# 1. event delivery: a webhook target on `user.human.added` while USERS users are created by
#    `loadgen seed` (WORKERS in flight); events delivered a second, from the first creation to
#    the last event received, beside the creations a second;
# 2. the token endpoint: `client-credentials` (closed loop, WORKERS in flight, DURATION
#    seconds) without actions, then with a `preaccesstoken` hook that appends a claim (with
#    interrupt_on_error, so a token the hook did not answer for is an error, not skipped).
#
#   bash loadtests/actions.sh
#   USERS=5000 DURATION=10 bash loadtests/actions.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/portcullis-target}"
USERS="${USERS:-20000}"
WORKERS="${WORKERS:-32}"
DURATION="${DURATION:-20}"
CLIENTS="${CLIENTS:-100}"

echo "== building release binaries" >&2
cargo build --release --locked -p portcullis -p loadtests >&2
BIN="$CARGO_TARGET_DIR/release"
WORK="$(mktemp -d)"
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

RECEIVER_PORT="$(free_port)"
"$BIN/loadgen" receive --port "$RECEIVER_PORT" &
PIDS+=($!)
RECEIVER="http://127.0.0.1:$RECEIVER_PORT"

PORT="$(free_port)"
PORTCULLIS_ALLOW_PRIVATE_HOSTS=true PORTCULLIS_DATA_DIR="$WORK/data" "$BIN/portcullis" start \
    --listen "127.0.0.1:$PORT" 2>"$WORK/portcullis.log" &
PIDS+=($!)
for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
for _ in $(seq 1 100); do curl -fs "$RECEIVER/count/events" >/dev/null 2>&1 && break; sleep 0.1; done
API="http://127.0.0.1:$PORT"
PAT="$(cat "$WORK/data/admin.pat")"
echo "$PAT" >"$WORK/pat"
api() { curl -fs -X "$1" -H "Authorization: Bearer $PAT" -H 'content-type: application/json' "$API$2" -d "$3"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }

echo "== event delivery: $USERS users created, each user.human.added delivered" >&2
EVENTS="$(api POST /v1/actions/targets "{\"name\": \"Receiver\", \"endpoint\": \"$RECEIVER/events\", \"type\": \"webhook\"}" | field id)"
api PUT /v1/actions/executions "{\"condition\": {\"event\": {\"type\": \"user.human.added\"}}, \"targets\": [\"$EVENTS\"]}" >/dev/null
START="$(date +%s.%N)"
SEEDED="$("$BIN/loadgen" seed --base "$API" --pat-file "$WORK/pat" --users "$USERS" --workers "$WORKERS")"
echo "$SEEDED" >&2
while [ "$(curl -fs "$RECEIVER/count/events")" -lt "$USERS" ]; do sleep 0.1; done
DELIVERY_SECS="$(python3 -c "import time; print(time.time() - $START)")"

echo "== the token endpoint without actions, then with a preaccesstoken hook" >&2
LOAD=(--base "$API" --pat-file "$WORK/pat" --scenario client-credentials --size "$CLIENTS"
      --workers "$WORKERS" --warmup 3 --duration "$DURATION")
"$BIN/loadgen" "${LOAD[@]}" --json "$WORK/plain.json" >&2
HOOK="$(api POST /v1/actions/targets "{\"name\": \"Claims\", \"endpoint\": \"$RECEIVER/claims\", \"type\": \"call\", \"timeout_ms\": 1000, \"interrupt_on_error\": true}" | field id)"
api PUT /v1/actions/executions "{\"condition\": {\"function\": \"preaccesstoken\"}, \"targets\": [\"$HOOK\"]}" >/dev/null
sleep 1
"$BIN/loadgen" "${LOAD[@]}" --json "$WORK/hooked.json" >&2
CALLED="$(curl -fs "$RECEIVER/count/claims")"

python3 - "$USERS" "$DELIVERY_SECS" "$SEEDED" "$WORK/plain.json" "$WORK/hooked.json" "$CALLED" <<'PYEOF'
import json, re, sys
users, secs, seeded = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
plain, hooked = (json.load(open(p))[0] for p in sys.argv[4:6])
called = int(sys.argv[6])
created = float(re.search(r"\(([\d.]+)/s\)", seeded).group(1))
delivered = users / secs
print(f"events:  {users} created at {created:.0f}/s; all delivered in {secs:.1f} s: {delivered:.0f} events/s delivered, {delivered / created:.2f}x the creation rate")
print(f"tokens:  {plain['throughput']:.0f} tokens/s without actions (p99 {plain['p99_ms']:.1f} ms), {hooked['throughput']:.0f}/s with a preaccesstoken hook (p99 {hooked['p99_ms']:.1f} ms): {hooked['throughput'] / plain['throughput']:.2f}x")
errors = {**plain["errors"], **hooked["errors"]}
print(f"checks:  the hook was called {called} times; errors {errors or 'none'}")
if called < hooked["ok"]:
    sys.exit("the hook was not called for every token")
PYEOF
