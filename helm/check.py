"""Checks the Helm chart without a cluster; `scripts/test` runs it, and so can you:

    python3.12 -m venv venv && venv/bin/pip install helm-sdkpy check-jsonschema
    venv/bin/python helm/check.py

1. values.schema.json is a valid JSON schema (check-jsonschema --check-metaschema).
2. The chart's defaults and every file in helm/examples/ pass the schema (check-jsonschema on
   the values as Helm merges them) and lint clean in Helm's own linter (helm-sdkpy, the Helm
   library; strict: a warning fails too). Lint renders every template with those values.
3. Every file in helm/tests/invalid-values/ is rejected by the schema and by the linter, so
   `helm install` refuses it before anything is created.
4. The chart's `config` keys are keys of deploy/portcullis.reference.toml, so the file the
   chart writes is one `portcullis start` accepts.
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
        for example in sorted((HELM / "examples").glob("*.yaml")):
            check_valid(example.name, yaml.load(example), workdir)
        invalid = sorted((HELM / "tests" / "invalid-values").glob("*.yaml"))
        if not invalid:
            fail("helm/tests/invalid-values/ is empty")
        for path in invalid:
            check_invalid(path, workdir)
    if failures:
        print(f"{len(failures)} chart check(s) failed", file=sys.stderr)
        sys.exit(1)


CHECK_JSONSCHEMA = str(pathlib.Path(sys.executable).parent / "check-jsonschema")

if __name__ == "__main__":
    main()
