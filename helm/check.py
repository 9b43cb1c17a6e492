"""Checks the Helm chart without a cluster; `scripts/test` runs it, and so can you:

    python3.12 -m venv venv && venv/bin/pip install helm-sdkpy check-jsonschema \
        helm-python-sdk kubernetes-validate checkov
    venv/bin/python helm/check.py

1. values.schema.json is a valid JSON schema (check-jsonschema --check-metaschema).
2. The chart's defaults and every file in helm/examples/ pass the schema (check-jsonschema on
   the values as Helm merges them) and lint clean in Helm's own linter (helm-sdkpy, the Helm
   library; strict: a warning fails too). Lint renders every template with those values.
3. Every file in helm/tests/invalid-values/ is rejected by the schema and by the linter, so
   `helm install` refuses it before anything is created.
4. The chart's `config` keys are keys of deploy/portcullis.reference.toml, so the file the
   chart writes is one `portcullis start` accepts.
5. The manifests the defaults and each example render to (Helm's engine, offline:
   helm-python-sdk) are valid Kubernetes 1.33 objects (kubernetes-validate --strict), pass
   checkov but for the exceptions in CHECKOV_EXCEPTIONS (each with its reason), and keep the
   chart's own rules: no service-account token mounted, every container with CPU and memory
   requests and a memory limit, a StatefulSet governed by a headless Service.
"""

import asyncio
import copy
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
import tomllib

from helm_python.chart import Chart
from helm_sdkpy import Configuration
from helm_sdkpy.chart import Lint
from ruamel.yaml import YAML

HELM = pathlib.Path(__file__).resolve().parent
CHART = HELM / "portcullis"
REFERENCE = HELM.parent / "deploy" / "portcullis.reference.toml"
# Helm's lint severities: 1 info, 2 warning, 3 error.
WARNING = 2
# Keys of the reference file that the chart sets itself.
CHART_OWNED = {"role", "data_dir", "listen", "grpc_listen", "external_scheme"}

# The Kubernetes release whose schemas the rendered objects must match.
KUBERNETES = "1.33.0"
# checkov's findings the chart accepts, and why.
CHECKOV_EXCEPTIONS = {
    "CKV_K8S_11": "no CPU limits: they throttle a server below its request under load; CPU "
    "requests and memory limits are set",
    "CKV_K8S_15": "imagePullPolicy IfNotPresent: release tags are never rebuilt",
    "CKV_K8S_43": "images by tag: a release tag is immutable; set image.tag to a digest where "
    "policy requires one",
    "CKV_K8S_35": "the master key and first tokens reach the binary as environment variables "
    "from the Secret; it has no file options for them",
    "CKV_K8S_21": "the chart sets no namespace: Helm installs into the release's (-n)",
    "CKV2_K8S_6": "no NetworkPolicy: which ingress controller, brokers and CQL nodes a pod "
    "talks to differs per cluster; the operator writes it",
}

yaml = YAML(typ="safe")
failures = []


def fail(message):
    failures.append(message)
    print(f"FAIL {message}")


def merged(overrides):
    """The values Helm renders with: the chart's defaults, overridden map by map."""

    def merge(base, top):
        for key, value in top.items():
            if value is None:
                base.pop(key, None)
            elif isinstance(value, dict) and isinstance(base.get(key), dict):
                merge(base[key], value)
            else:
                base[key] = value
        return base

    return merge(copy.deepcopy(yaml.load(CHART / "values.yaml")), overrides or {})


def schema_errors(values, workdir):
    instance = workdir / "values.json"
    instance.write_text(json.dumps(values))
    run = subprocess.run(
        [CHECK_JSONSCHEMA, "--schemafile", str(CHART / "values.schema.json"), str(instance)],
        capture_output=True,
        text=True,
    )
    return None if run.returncode == 0 else (run.stdout + run.stderr).strip()


def lint_problems(values, workdir):
    """Lints a copy of the chart whose values.yaml is `values`; returns its warnings and errors."""
    chart = workdir / "portcullis"
    shutil.rmtree(chart, ignore_errors=True)
    shutil.copytree(CHART, chart)
    with open(chart / "values.yaml", "w") as out:
        yaml.dump(values, out)
    result = asyncio.run(Lint(Configuration()).run(str(chart)))
    return [
        f"{m['Path']} (severity {m['Severity']})"
        for m in result.get("Messages") or []
        if m["Severity"] >= WARNING
    ]


def check_valid(name, overrides, workdir):
    values = merged(overrides)
    errors = schema_errors(values, workdir)
    if errors:
        fail(f"{name}: the schema rejects it:\n{errors}")
    problems = lint_problems(values, workdir)
    if problems:
        fail(f"{name}: helm lint reports {problems}")
    if not errors and not problems:
        print(f"ok   {name} ({values['mode']}): schema and lint pass")


def render(values, directory):
    """Renders the chart with `values` into `directory`; returns the objects rendered."""
    directory.mkdir(parents=True)
    objects = []
    rendered = Chart.load(str(CHART)).render(
        values, name="portcullis", namespace="iam", is_install=True
    )
    for template, manifest in rendered.items():
        docs = [d for d in yaml.load_all(manifest) if d]
        if docs:
            (directory / pathlib.Path(template).name).write_text(manifest)
            objects.extend(docs)
    return objects


def rule_breaks(objects):
    """The chart's own rules that the rendered objects break."""
    broken = []
    headless = {
        o["metadata"]["name"]
        for o in objects
        if o["kind"] == "Service" and o["spec"].get("clusterIP") == "None"
    }
    for o in objects:
        name = f"{o['kind']} {o['metadata']['name']}"
        if o["kind"] == "StatefulSet" and o["spec"]["serviceName"] not in headless:
            broken.append(f"{name}: serviceName is not a headless Service")
        pod = o.get("spec", {}).get("template", {}).get("spec")
        if pod is None:
            continue
        if pod.get("automountServiceAccountToken") is not False:
            broken.append(f"{name}: mounts a service-account token")
        for c in pod["containers"]:
            resources = c.get("resources") or {}
            requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
            if not {"cpu", "memory"} <= set(requests) or "memory" not in limits:
                broken.append(f"{name}/{c['name']}: needs cpu and memory requests and a memory limit")
    return broken


def check_manifests(name, overrides, workdir):
    directory = workdir / "rendered" / name
    objects = render(merged(overrides), directory)
    problems = rule_breaks(objects)
    validate = subprocess.run(
        [KUBERNETES_VALIDATE, "--kubernetes-version", KUBERNETES, "--strict", "--quiet"]
        + sorted(str(f) for f in directory.iterdir()),
        capture_output=True,
        text=True,
    )
    if validate.returncode != 0:
        problems.append(f"not valid for Kubernetes {KUBERNETES}:\n{validate.stdout}{validate.stderr}")
    scan = subprocess.run(
        [CHECKOV, "--directory", str(directory), "--framework", "kubernetes", "--quiet",
         "--compact", "--skip-download", "--output", "json",
         "--skip-check", ",".join(CHECKOV_EXCEPTIONS)],
        capture_output=True,
        text=True,
    )
    report = json.loads(scan.stdout or "{}")
    for reports in report if isinstance(report, list) else [report]:
        for check in reports.get("results", {}).get("failed_checks", []):
            problems.append(f"checkov {check['check_id']} ({check['check_name']}) on {check['resource']}")
    if problems:
        fail(f"{name}: rendered manifests:\n  " + "\n  ".join(problems))
    else:
        print(f"ok   {name}: {len(objects)} objects valid for Kubernetes {KUBERNETES}, checkov and the chart's rules pass")


def check_invalid(path, workdir):
    values = merged(yaml.load(path))
    if schema_errors(values, workdir) is None:
        fail(f"{path.name}: the schema accepts it")
    if not lint_problems(values, workdir):
        fail(f"{path.name}: helm lint accepts it")
    else:
        print(f"ok   {path.name}: rejected")


def check_config_keys():
    reference = set(tomllib.loads(REFERENCE.read_text())) - CHART_OWNED
    defaults = set(yaml.load(CHART / "values.yaml")["config"])
    schema = set(json.loads((CHART / "values.schema.json").read_text())["properties"]["config"]["properties"])
    for name, keys in (("values.yaml config", defaults), ("values.schema.json config", schema)):
        if not keys <= reference:
            fail(f"{name} has keys the reference config does not: {sorted(keys - reference)}")
    if schema != reference:
        fail(f"values.schema.json config should allow exactly {sorted(reference)}, not {sorted(schema)}")
    else:
        print("ok   config keys match deploy/portcullis.reference.toml")


def main():
    run = subprocess.run(
        [CHECK_JSONSCHEMA, "--check-metaschema", str(CHART / "values.schema.json")],
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        fail(f"values.schema.json is not a valid schema:\n{run.stdout}{run.stderr}")
    check_config_keys()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = pathlib.Path(tmp)
        check_valid("defaults", {}, workdir)
        check_manifests("defaults", {}, workdir)
        for example in sorted((HELM / "examples").glob("*.yaml")):
            check_valid(example.name, yaml.load(example), workdir)
            check_manifests(example.name, yaml.load(example), workdir)
        invalid = sorted((HELM / "tests" / "invalid-values").glob("*.yaml"))
        if not invalid:
            fail("helm/tests/invalid-values/ is empty")
        for path in invalid:
            check_invalid(path, workdir)
    if failures:
        print(f"{len(failures)} chart check(s) failed", file=sys.stderr)
        sys.exit(1)


CHECK_JSONSCHEMA = str(pathlib.Path(sys.executable).parent / "check-jsonschema")
KUBERNETES_VALIDATE = str(pathlib.Path(sys.executable).parent / "kubernetes-validate")
CHECKOV = str(pathlib.Path(sys.executable).parent / "checkov")

if __name__ == "__main__":
    main()
