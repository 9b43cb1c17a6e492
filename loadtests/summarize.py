"""Writes the Markdown results of a load-test run from loadgen's JSON reports.

    python3 loadtests/summarize.py "<command>" report.json [report.json ...] > results.md
"""

import datetime
import json
import os
import platform
import sys


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kib = int(next(l.split()[1] for l in f if l.startswith("MemTotal")))
            mem = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores ({cpu}){mem}, {platform.system()} {platform.release()}"


def main():
    command, paths = sys.argv[1], sys.argv[2:]
    reports = [r for p in paths for r in json.load(open(p))]
    print(f"# Load test, {datetime.date.today().isoformat()}\n")
    print(f"- Machine: {machine()}; every server and the load generator on it, over loopback.")
    print(f"- Command: `{command}`")
    print("- Latency counts from a request's send (closed loop) or its scheduled time (open loop);")
    print("  the warm-up is not recorded. `req/s` counts successful requests.\n")
    print("| server | scenario | load | ok | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---|---|---:|---|---:|---:|---:|---:|---:|")
    for r in reports:
        errors = ", ".join(f"{k}: {v}" for k, v in r["errors"].items()) or "0"
        print(
            f"| {r['server']} | {r['scenario']} | {r['load']} | {r['ok']} | {errors} | "
            f"{r['throughput']:.0f} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.2f} |"
        )
    ours = {(r["scenario"], r["load"]): r for r in reports if r["server"] == "portcullis"}
    peers = [r for r in reports if r["server"] != "portcullis" and (r["scenario"], r["load"]) in ours]
    if peers:
        print("\n## Portcullis / peer, same run, same machine\n")
        print("| scenario | load | peer | throughput ratio | p99 ratio (lower is better) |")
        print("|---|---|---|---:|---:|")
        for p in peers:
            o = ours[(p["scenario"], p["load"])]
            tput = o["throughput"] / p["throughput"] if p["throughput"] else float("inf")
            p99 = o["p99_ms"] / p["p99_ms"] if p["p99_ms"] else float("inf")
            print(f"| {p['scenario']} | {p['load']} | {p['server']} | {tput:.2f}× | {p99:.2f}× |")


if __name__ == "__main__":
    main()
