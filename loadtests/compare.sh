#!/usr/bin/env bash
# Two builds of Portcullis under the same load, one after the other, in two rounds (A B A B),
# each on a fresh data directory: for a change's before/after figures in one run.
#
#   bash loadtests/compare.sh BEFORE_BIN AFTER_BIN [scenario ...]
#   WORKERS=64 DURATION=10 bash loadtests/compare.sh /tmp/portcullis-a /tmp/portcullis-b create-user
#
# Prints loadgen's table rows for each run; the ratio of the means is the figure to report.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/portcullis-target}"
BEFORE="$1"; AFTER="$2"; shift 2
SCENARIOS=("${@:-client-credentials introspect}")
WORKERS="${WORKERS:-32}"; DURATION="${DURATION:-10}"; WARMUP="${WARMUP:-3}"
LOADGEN="${LOADGEN:-$CARGO_TARGET_DIR/release/loadgen}"
[ -x "$LOADGEN" ] || cargo build --release --locked -p loadtests >&2
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
args=()
for s in ${SCENARIOS[@]}; do args+=(--scenario "$s"); done
for round in 1 2; do
    for which in before after; do
        bin="$BEFORE"; [ "$which" = after ] && bin="$AFTER"
        work="$(mktemp -d)"; port="$(free_port)"; grpc="$(free_port)"
        PORTCULLIS_DATA_DIR="$work/data" "$bin" start --listen "127.0.0.1:$port" \
            --grpc-listen "127.0.0.1:$grpc" 2>"$work/log" &
        pid=$!
        for _ in $(seq 1 300); do curl -fs "127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
        echo "== round $round, $which ($bin)"
        "$LOADGEN" --base "http://127.0.0.1:$port" --grpc "127.0.0.1:$grpc" \
            --pat-file "$work/data/admin.pat" --workers "$WORKERS" --warmup "$WARMUP" \
            --duration "$DURATION" "${args[@]}" 2>/dev/null | grep '^| portcullis' || true
        kill "$pid"; wait "$pid" 2>/dev/null || true; rm -rf "$work"
    done
done
