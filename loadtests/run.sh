#!/usr/bin/env bash
# Builds release binaries, starts Portcullis (embedded, fresh data directory) and the peer
# (panva's oidc-provider) on loopback, runs the scenarios against both one after the other,
# then the benchmarks (startup with a large log, criterion on the hot paths), and writes
# loadtests/results/<date>.md with the machine, the command, the ratios and the targets.
#
#   bash loadtests/run.sh                      # defaults below
#   DURATION=30 WORKERS=64 bash loadtests/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/portcullis-target}"
DURATION="${DURATION:-15}"          # recorded seconds per scenario
WARMUP="${WARMUP:-3}"               # unrecorded seconds before each
WORKERS="${WORKERS:-32}"            # closed loop: requests in flight
CLIENTS="${CLIENTS:-100}"           # distinct machine clients (client-credentials, jwt-profile)
LIST_USERS="${LIST_USERS:-100000}"  # users on the instance for list-users
RATE="${RATE:-1000}"                # the open-loop run's arrival rate (req/s)
STARTUP_EVENTS="${STARTUP_EVENTS:-1000000}"  # events in the log for the startup benchmark
OUT="loadtests/results/$(date +%F).md"

echo "== building release binaries" >&2
cargo build --release --locked -p portcullis -p loadtests >&2
BIN="$CARGO_TARGET_DIR/release"
PEER_DIR=loadtests/peers/oidc-provider
[ -d "$PEER_DIR/node_modules/oidc-provider" ] || (cd "$PEER_DIR" && npm ci --no-audit --no-fund --loglevel=error)

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # <what> <command...>
    local what="$1"; shift
    for _ in $(seq 1 600); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "$what did not start" >&2; exit 1
}

PORT="$(free_port)"
GRPC_PORT="$(free_port)"
PORTCULLIS_DATA_DIR="$WORK/data" "$BIN/portcullis" start --listen "127.0.0.1:$PORT" \
    --grpc-listen "127.0.0.1:$GRPC_PORT" 2>"$WORK/portcullis.log" &
PIDS+=($!)
wait_for portcullis curl -fs "http://127.0.0.1:$PORT/readyz"
PEER_PORT="$(free_port)"
(cd "$PEER_DIR" && exec node server.mjs "$PEER_PORT" "$WORK/peer-fixtures.json" "$CLIENTS") >"$WORK/peer.log" 2>&1 &
PIDS+=($!)
wait_for oidc-provider test -s "$WORK/peer-fixtures.json"

COMMON=(--workers "$WORKERS" --warmup "$WARMUP" --duration "$DURATION")
OURS=(--base "http://127.0.0.1:$PORT" --grpc "127.0.0.1:$GRPC_PORT" --pat-file "$WORK/data/admin.pat")
PEER=(--base "http://127.0.0.1:$PEER_PORT" --peer "oidc-provider=$WORK/peer-fixtures.json")
TOKENS=(--scenario client-credentials --scenario client-credentials-opaque --scenario introspect
        --scenario userinfo --scenario discovery --scenario jwks)
run() { echo "== loadgen $*" >&2; "$BIN/loadgen" "$@" >&2; }

run "${OURS[@]}" "${COMMON[@]}" "${TOKENS[@]}" --scenario jwt-profile --size "$CLIENTS" --json "$WORK/01-ours.json"
run "${PEER[@]}" "${COMMON[@]}" "${TOKENS[@]}" --json "$WORK/02-peer.json"
run "${OURS[@]}" "${COMMON[@]}" --rate "$RATE" --scenario client-credentials --size "$CLIENTS" --json "$WORK/03-ours-open.json"
run "${PEER[@]}" "${COMMON[@]}" --rate "$RATE" --scenario client-credentials --json "$WORK/04-peer-open.json"
run "${OURS[@]}" "${COMMON[@]}" --scenario login --size 20 --json "$WORK/05-login.json"
run "${OURS[@]}" "${COMMON[@]}" --scenario create-user --json "$WORK/06-writes.json"
run "${OURS[@]}" "${COMMON[@]}" --scenario mixed --size "$CLIENTS" --json "$WORK/07-mixed.json"
run "${OURS[@]}" "${COMMON[@]}" --scenario read-user --scenario read-user-grpc --json "$WORK/09-reads.json"
echo "== seeding $LIST_USERS users for list-users" >&2
run "${OURS[@]}" "${COMMON[@]}" --scenario list-users --size "$LIST_USERS" --json "$WORK/08-lists.json"
for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
wait 2>/dev/null || true
PIDS=()

echo "== benchmarks: startup with $STARTUP_EVENTS events, then the hot paths" >&2
SINCE="$(date +%s)"
STARTUP_EVENTS="$STARTUP_EVENTS" cargo bench --locked -p portcullis --bench startup >"$WORK/startup.md"
CRITERION=(-- --warm-up-time 1 --measurement-time 3 --noplot)
cargo bench --locked -p domain --bench decide_apply "${CRITERION[@]}" >&2
cargo bench --locked -p authz --bench check "${CRITERION[@]}" >&2
cargo bench --locked -p gateway --bench credentials "${CRITERION[@]}" >&2

mkdir -p loadtests/results
python3 loadtests/summarize.py \
    --command "DURATION=$DURATION WARMUP=$WARMUP WORKERS=$WORKERS CLIENTS=$CLIENTS LIST_USERS=$LIST_USERS RATE=$RATE STARTUP_EVENTS=$STARTUP_EVENTS bash loadtests/run.sh" \
    --startup "$WORK/startup.md" --criterion "$CARGO_TARGET_DIR/criterion" --since "$SINCE" \
    "$WORK"/0[1-9]-*.json > "$OUT"
echo "== wrote $OUT" >&2
cat "$OUT"
