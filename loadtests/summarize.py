"""Writes the Markdown results of a load-test run from loadgen's JSON reports, the criterion
estimates of the benchmarks run since the run began, and the startup benchmark's table.

    python3 loadtests/summarize.py --command "<command>" [--criterion DIR --since EPOCH]
        [--startup startup.md] report.json [report.json ...] > results.md
"""

import argparse
import datetime
import json
import os
import platform
from pathlib import Path

# The targets on this 2-core machine, closed loop at 32 connections: (req/s at least,
# p99 ms below, p95 ms below). None where a target does not apply.
TARGETS = {
    "client-credentials": (16_000, 10, None),
    "client-credentials-opaque": (28_000, 10, None),
    "introspect": (27_000, 10, None),
    "userinfo": (27_000, 10, None),
    "discovery": (50_000, 10, None),
    "jwks": (50_000, 10, None),
    "create-user": (2_000, None, None),
    "list-users": (None, None, 20),
}


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


def runs(reports):
    print("| server | scenario | load | ok | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---|---|---:|---|---:|---:|---:|---:|---:|")
    for r in reports:
        errors = ", ".join(f"{k}: {v}" for k, v in r["errors"].items()) or "0"
        print(
            f"| {r['server']} | {r['scenario']} | {r['load']} | {r['ok']} | {errors} | "
            f"{r['throughput']:.0f} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.2f} |"
        )


def ratios(reports):
    ours = {(r["scenario"], r["load"]): r for r in reports if r["server"] == "portcullis"}
    peers = [r for r in reports if r["server"] != "portcullis" and (r["scenario"], r["load"]) in ours]
    if not peers:
        return
    print("\n## Portcullis / peer, same run, same machine\n")
    print("| scenario | load | peer | throughput ratio | p99 ratio (lower is better) |")
    print("|---|---|---|---:|---:|")
    for p in peers:
        o = ours[(p["scenario"], p["load"])]
        tput = o["throughput"] / p["throughput"] if p["throughput"] else float("inf")
        p99 = o["p99_ms"] / p["p99_ms"] if p["p99_ms"] else float("inf")
        print(f"| {p['scenario']} | {p['load']} | {p['server']} | {tput:.2f}× | {p99:.2f}× |")


def ratio_table(title, pairs):
    """`(label, baseline, measured)` rows: the measured run over its baseline."""
    if not pairs:
        return
    print(f"\n## {title}\n")
    print("| scenario | load | throughput ratio | p99 ratio (lower is better) |")
    print("|---|---|---:|---:|")
    for label, base, got in pairs:
        tput = got["throughput"] / base["throughput"] if base["throughput"] else float("inf")
        p99 = got["p99_ms"] / base["p99_ms"] if base["p99_ms"] else float("inf")
        print(f"| {label} | {base['load']} | {tput:.2f}× | {p99:.2f}× |")


def transports(reports):
    """Each scenario run over gRPC beside its REST twin (`<name>-grpc` and `<name>`)."""
    ours = {(r["scenario"], r["load"]): r for r in reports if r["server"] == "portcullis"}
    ratio_table("gRPC / REST, same operation, same run",
                [(s[:-5], ours[(s[:-5], l)], r) for (s, l), r in ours.items()
                 if s.endswith("-grpc") and (s[:-5], l) in ours])


def machines(reports):
    """The JWT profile (a signed assertion per token) beside client credentials (a secret)."""
    ours = {(r["scenario"], r["load"]): r for r in reports if r["server"] == "portcullis"}
    ratio_table("JWT profile / client credentials, same run",
                [("jwt-profile", ours[("client-credentials", l)], r) for (s, l), r in ours.items()
                 if s == "jwt-profile" and ("client-credentials", l) in ours])


def targets(reports):
    rows = []
    for r in reports:
        target = TARGETS.get(r["scenario"])
        if r["server"] != "portcullis" or not target or not r["load"].startswith("closed/"):
            continue
        rate, p99, p95 = target
        checks = []
        if rate is not None:
            checks.append((f"≥ {rate:,} req/s", f"{r['throughput']:,.0f} req/s", r["throughput"] >= rate))
        if p99 is not None:
            checks.append((f"p99 < {p99} ms", f"{r['p99_ms']:.2f} ms", r["p99_ms"] < p99))
        if p95 is not None:
            checks.append((f"p95 < {p95} ms", f"{r['p95_ms']:.2f} ms", r["p95_ms"] < p95))
        for want, got, met in checks:
            rows.append(f"| {r['scenario']} | {r['load']} | {want} | {got} | {'met' if met else '**below**'} |")
    if rows:
        print("\n## Against the targets\n")
        print("| scenario | load | target | measured | |")
        print("|---|---|---|---|---|")
        print("\n".join(rows))


def criterion(root, since):
    rows = []
    for bench in sorted(Path(root).glob("**/new/benchmark.json")):
        if bench.stat().st_mtime < since:
            continue
        info = json.loads(bench.read_text())
        estimates = json.loads((bench.parent / "estimates.json").read_text())
        ns = estimates["mean"]["point_estimate"]
        rows.append((info["full_id"], ns))
    if not rows:
        return
    print("\n## Benchmarks of the hot paths (criterion, mean)\n")
    print("| benchmark | time | per second, one core |")
    print("|---|---:|---:|")
    for name, ns in rows:
        shown = f"{ns / 1e6:.2f} ms" if ns >= 1e6 else f"{ns / 1e3:.2f} µs" if ns >= 1e3 else f"{ns:.0f} ns"
        print(f"| {name} | {shown} | {1e9 / ns:,.0f} |")


def main():
    args = argparse.ArgumentParser()
    args.add_argument("--command", required=True)
    args.add_argument("--criterion")
    args.add_argument("--since", type=float, default=0)
    args.add_argument("--startup")
    args.add_argument("reports", nargs="+")
    a = args.parse_args()
    reports = [r for p in a.reports for r in json.load(open(p))]
    print(f"# Load test, {datetime.date.today().isoformat()}\n")
    print(f"- Machine: {machine()}; every server and the load generator on it, over loopback.")
    print(f"- Command: `{a.command}`")
    print("- Latency counts from a request's send (closed loop) or its scheduled time (open loop);")
    print("  the warm-up is not recorded. `req/s` counts successful requests.\n")
    runs(reports)
    ratios(reports)
    transports(reports)
    machines(reports)
    targets(reports)
    if a.startup:
        print("\n## Startup with a large log (`cargo bench -p portcullis --bench startup`)\n")
        print(Path(a.startup).read_text().strip())
    if a.criterion:
        criterion(a.criterion, a.since)


if __name__ == "__main__":
    main()
