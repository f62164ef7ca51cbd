"""Repositories rendered while the crawl goes on (``sitegen.site.stream``), against the
real registry: the site is the one a build that renders after its crawl writes, file
for file, whether the guess of each repository's inputs held or not (a cold build, a
night in which tags and a base moved, a guess file from another night or garbage),
a failure in the render process fails the build and keeps the old site, and a render
process that cannot start leaves every page to the render after the crawl."""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import jinja2
import pytest

import sitegen.build
import sitegen.site.stream
from lab.fakeregistry import FakeRegistry, from_samples
from lab.images import image
from lab.registry import RunningRegistry, running_registry
from lab.samples import push_samples, release_update
from sitegen import modeljson
from sitegen.build import build
from sitegen.config import Config, load_config
from sitegen.model import Catalog, Change, Registry, Repository
from sitegen.site import channel, paths
from sitegen.site.guess import GUESS_FILE, Guess
from sitegen.site.output import MARKER, Staging
from sitegen.site.pages.catalog import digest_locations
from sitegen.site.pages.history import Timeline
from sitegen.site.pages.inputs import CatalogInputs
from sitegen.site.render import Renderer
from sitegen.site.renderprocess import Renders
from sitegen.site.stream import Stream, _Renderer
from sitegen.site.write import PageBudget
from tests.helpers import tree, write_config

STAMP = "api/stamp.js"  # holds the crawls' durations: the one file two builds differ in
KEPT = re.compile(r"rendered during the crawl: (\d+) repositories kept, (\d+) rendered again")


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    work = tmp_path_factory.mktemp("stream-registry")
    with running_registry(work) as running:
        push_samples(running)
        yield running


def _config(tmp_path: Path, registry: RunningRegistry, theme: Path | None = None) -> Path:
    # Two registries over the same repositories: digests tagged in several places.
    site = f"site:\n  theme_dir: {theme}\n" if theme else ""
    return write_config(
        tmp_path,
        f"{site}registries:\n  - name: lab\n    url: {registry.url}\n"
        "  - name: again\n"
        f"    url: {registry.url}\n    repositories: [apps/web, tools/cli, base/alpine]\n",
    )


class Builds:
    """The same nights built twice: streamed (from the first repository on) and with
    every page rendered after the crawl, each with its own cache."""

    def __init__(
        self,
        tmp_path: Path,
        config: Path,
        monkeypatch: pytest.MonkeyPatch,
        transport: httpx.MockTransport | None = None,
    ) -> None:
        self.tmp_path = tmp_path
        self.config = config
        self.monkeypatch = monkeypatch
        self.transport = transport  # the registries, when not the real one
        self.night = 0
        self.last: sitegen.build.BuildResult | None = None
        self.failures = False  # a night may have failed repositories (the same both ways)

    def both(self, caplog: pytest.LogCaptureFixture) -> tuple[int, int]:
        """Build the night both ways, check the sites are the same; return (kept,
        rendered again) of the streamed build."""
        self.night += 1
        self.monkeypatch.setenv("SOURCE_DATE_EPOCH", str(1717200000 + 86400 * self.night))
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="sitegen.site"):
            streamed = self.last = self.build("streamed", stream=True)
        counts = [m.groups() for m in map(KEPT.search, caplog.messages) if m]
        after = self.build("after", stream=False)
        assert streamed.failures == after.failures
        assert self.failures or after.failures == ()
        one, other = tree(self.tmp_path / "streamed"), tree(self.tmp_path / "after")
        one.pop(STAMP)
        other.pop(STAMP)
        assert sorted(one) == sorted(other)
        assert [name for name in one if one[name] != other[name]] == []
        assert multiprocessing.active_children() == []
        assert len(counts) == 1, caplog.messages
        return int(counts[0][0]), int(counts[0][1])

    def build(self, name: str, *, stream: bool) -> sitegen.build.BuildResult:
        self.monkeypatch.setattr(sitegen.build, "PARALLEL_MIN_TAGS", 1)
        # Every repository handed over is rendered beside the crawl: counts to check.
        self.monkeypatch.setattr(sitegen.site.stream, "GIVE_UP_UNSENT", False)
        self.monkeypatch.setenv("SITEGEN_STREAM", "1" if stream else "0")
        config = load_config(self.config, environ={})
        return build(
            config,
            self.tmp_path / name,
            cache_dir=self.tmp_path / f"cache-{name}",
            transport=self.transport,
        )


def test_a_streamed_build_writes_the_site_a_build_after_the_crawl_writes(
    tmp_path: Path,
    registry: RunningRegistry,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    builds = Builds(tmp_path, _config(tmp_path, registry), monkeypatch)
    kept, again = builds.both(caplog)  # cold: no previous build to guess from
    repositories = kept + again
    assert repositories >= 8
    # Each repository is guessed from those crawled before it; one crawled earlier is
    # rendered again during the crawl once another tags its digests (the registry
    # "again" holds three repositories of "lab"). Only bases, found once the whole
    # catalog is known, are past guessing on a first night.
    assert builds.last is not None
    with_bases = {(key[0], key[1]) for key in builds.last.catalog.bases}
    assert again == len(with_bases) >= 1
    # The next night: tags and a base moved. Only the repositories whose images' bases
    # changed (found once the whole catalog is known) are past guessing; the site is
    # the same.
    assert builds.last is not None
    before = _bases_by_repository(builds.last.catalog)
    release_update(registry)
    kept, again = builds.both(caplog)
    assert kept + again == repositories
    after = _bases_by_repository(builds.last.catalog)
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    assert again == len(changed) >= 1
    # A night without news: every guess holds, nothing is rendered twice.
    kept, again = builds.both(caplog)
    assert (kept, again) == (repositories, 0)


def _bases_by_repository(catalog: Catalog) -> dict[tuple[str, str], dict[object, object]]:
    found: dict[tuple[str, str], dict[object, object]] = {}
    for key, base in catalog.bases.items():
        found.setdefault((key[0], key[1]), {})[key] = base
    return found


def test_a_night_of_new_moved_and_removed_tags_is_rendered_once_beside_the_crawl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fake = from_samples()
    worker = fake.repositories["apps/worker"]
    fake.repositories["mirror/worker"] = {"main": worker["main"]}
    config = write_config(tmp_path, "registries:\n  - name: lab\n    url: https://lab.test\n")
    builds = Builds(tmp_path, config, monkeypatch, transport=fake.transport)
    kept, again = builds.both(caplog)  # cold: bases are past guessing
    repositories = kept + again
    # The night's news is in the repositories' own tags: a release with ``latest``
    # moved to it (from an image another tag still holds), a tag moved off an image no
    # other tag of its repository holds (another repository's still does), a tag
    # removed, a new tag for an image, a repository new in the registry. The guess of
    # each one's history, and of the manifests its diff pages compare, holds.
    fake.add("apps/web", image(files=({"/web": b"1.3"},)), ["v1.3.0", "latest"])
    main, worker["main"] = worker["main"], worker["v2.0.0"]
    del fake.repositories["apps/web"]["v1.0.0"]
    cli = fake.repositories["tools/cli"]
    cli["1"] = cli["1.0"]
    fake.add("apps/new", image(files=({"/new": b"new"},)), ["v0.1.0"])
    kept, again = builds.both(caplog)
    assert (kept, again) == (repositories + 1, 0)
    assert builds.last is not None
    assert {change.kind for change in builds.last.changes} == {
        "tag-added",
        "tag-moved",
        "tag-removed",
        "repository-added",
    }
    diff = paths.diff_path("lab", "apps/worker", main, worker["main"])
    assert (tmp_path / "streamed" / diff / "index.html").is_file()


def test_a_repository_that_failed_the_night_before_is_guessed_as_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fake, failing = from_samples(), {"/v2/tools/cli/tags/list"}

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path in failing:
            return httpx.Response(403, text="denied")
        return fake.handle(request)

    config = write_config(tmp_path, "registries:\n  - name: lab\n    url: https://lab.test\n")
    builds = Builds(tmp_path, config, monkeypatch, transport=httpx.MockTransport(answer))
    builds.failures = True
    builds.both(caplog)  # tools/cli fails, with no earlier data to show
    failing.clear()
    kept, again = builds.both(caplog)
    assert again == 0 and kept >= 1
    assert builds.last is not None
    added = [c for c in builds.last.changes if c.repository == "tools/cli"]
    assert [c.kind for c in added][:1] == ["repository-added"]


def test_a_wrong_or_broken_guess_file_changes_nothing_but_the_time(
    tmp_path: Path,
    registry: RunningRegistry,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    builds = Builds(tmp_path, _config(tmp_path, registry), monkeypatch)
    repositories = sum(builds.both(caplog))
    guess = tmp_path / "cache-streamed" / GUESS_FILE
    # A guess that names, in every repository's history, a tag nobody pushed.
    last = modeljson.loads(guess.read_bytes())
    ghosts = tuple(
        Change("2024-01-01T00:00:00Z", r.name, repo.name, "tag-added", "ghost", new="sha256:0")
        for r in last.registries
        for repo in r.repositories
    )
    guess.write_bytes(modeljson.dumps(replace(last, changes=ghosts)))
    assert builds.both(caplog) == (0, repositories)
    assert builds.both(caplog) == (repositories, 0)  # and the next night's guess is right
    for broken in (b"{", b'{"format": "sitegen-catalog", "version": "old"}', b"\xff" * 64):
        guess.write_bytes(broken)
        kept, again = builds.both(caplog)
        assert kept + again == repositories


def test_a_failure_in_the_render_process_fails_the_build_and_keeps_the_site(
    tmp_path: Path, registry: RunningRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    theme = tmp_path / "theme"
    builds = Builds(tmp_path, _config(tmp_path, registry), monkeypatch)
    builds.build("streamed", stream=True)
    before = tree(tmp_path / "streamed")
    # Tag pages break: the render process meets them first.
    theme.mkdir()
    (theme / "tag.html").write_text("{{ no_such_value.at_all }}\n")
    builds.config = _config(tmp_path, registry, theme)
    with pytest.raises(jinja2.UndefinedError) as raised:
        builds.build("streamed", stream=True)
    assert any("in the render process" in note for note in raised.value.__notes__)
    assert tree(tmp_path / "streamed") == before
    assert multiprocessing.active_children() == []
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".sitegen-staging")] == []


def test_the_guess_from_the_same_catalog_is_its_inputs_and_learns_from_this_build(
    tmp_path: Path,
) -> None:
    config = load_config(
        write_config(
            tmp_path,
            "registries:\n  - name: one\n    url: https://one.registry.test\n"
            "  - name: two\n    url: https://two.registry.test\n",
        ),
        environ={},
    )
    catalog = build(
        config, tmp_path / "site", cache_dir=None, transport=from_samples().transport
    ).catalog
    inputs = CatalogInputs(catalog, Timeline(catalog), digest_locations(catalog))
    names = [registry.name for registry in config.registries]
    pairs = [(registry, repo) for registry in catalog.registries for repo in registry.repositories]
    # Last night's catalog is tonight's: every guess holds, in any order of the crawl.
    same = Guess(config.site, names, catalog)
    assert [same(r, repo) for r, repo in reversed(pairs)] == [
        inputs(r, repo) for r, repo in reversed(pairs)
    ]
    # No previous build: a repository seen after every other holding its digests has
    # them all, in the catalog's order; the first one seen only its own.
    cold = Guess(config.site, names, None)
    guessed = [cold(r, repo) for r, repo in reversed(pairs)]
    first, last = guessed[0], guessed[-1]
    assert last.locations == inputs(*pairs[0]).locations
    assert {e["registry"] for found in first.locations.values() for e in found} == {"two"}


def test_a_program_that_builds_when_run_as_a_script_streams_once(tmp_path: Path) -> None:
    # No ``if __name__ == "__main__"``: a process started the multiprocessing way would
    # run this program again. The render process must not, and the build must stream.
    config = write_config(
        tmp_path, "registries:\n  - name: one\n    url: https://one.registry.test\n"
    )
    script = tmp_path / "nightly.py"
    script.write_text(
        "import logging, os\n"
        "import sitegen.build\n"
        "from lab.fakeregistry import from_samples\n"
        "from pathlib import Path\n"
        "from sitegen.config import load_config\n"
        "logging.basicConfig(level=logging.INFO)\n"
        "print('program started', flush=True)\n"
        "sitegen.build.PARALLEL_MIN_TAGS = 1\n"
        "import sitegen.site.stream\n"
        "sitegen.site.stream.GIVE_UP_UNSENT = False\n"
        "os.environ['SITEGEN_STREAM'] = '1'\n"
        f"config = load_config(Path({str(config)!r}), environ={{}})\n"
        f"sitegen.build.build(config, Path({str(tmp_path / 'site')!r}), cache_dir=None,\n"
        "                     transport=from_samples().transport)\n"
    )
    # Run from a directory that holds another ``sitegen``: the render process must not
    # import it (``python -c`` puts the working directory first on its path).
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "sitegen").mkdir(parents=True)
    (elsewhere / "sitegen" / "__init__.py").write_text("raise SystemExit('another sitegen')\n")
    ran = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.count("program started") == 1
    found = KEPT.search(ran.stderr)
    assert found is not None and int(found[1]) >= 1, ran.stderr


def _three_registries(
    tmp_path: Path,
) -> tuple[Config, Catalog, list[tuple[Registry, Repository]]]:
    """Three registries over the same repositories (each digest tagged three times),
    built: the config, the catalog, and each (registry, repository) in crawl order."""
    config = load_config(
        write_config(
            tmp_path,
            "".join(
                f"  - name: {name}\n    url: https://{name}.registry.test\n"
                for name in ("one", "two", "three")
            ).join(("registries:\n", "")),
        ),
        environ={},
    )
    catalog = build(
        config, tmp_path / "site", cache_dir=None, transport=from_samples().transport
    ).catalog
    pairs = [(registry, repo) for registry in catalog.registries for repo in registry.repositories]
    return config, catalog, pairs


def test_a_repository_whose_guess_a_later_one_changes_is_rendered_again_in_its_place(
    tmp_path: Path,
) -> None:
    config, catalog, pairs = _three_registries(tmp_path)
    stage = Staging(tmp_path / "streamed")
    budget = PageBudget(10**6)
    guess = Guess(config.site, [registry.name for registry in config.registries], None)
    renders = Renders(stage, Renderer(config.site), budget, guess)
    sent = {}  # what went back to the build, with each request for more
    for registry, repo in pairs:  # each as the crawl hands it over, none waiting after it
        renders.add(registry, [repo])
        assert (registry.name, repo.name) not in renders.stale
        sent.update(renders.take())
        while renders.stale:
            renders.refresh()
            sent.update(renders.take())
    assert renders.take() == {}
    assert sent == renders.done  # the last render of each
    inputs = CatalogInputs(catalog, Timeline(catalog), digest_locations(catalog))
    for registry, repo in pairs:
        guessed, _ = renders.done[(registry.name, repo.name)]
        assert guessed.locations == inputs(registry, repo).locations
    assert max(renders.times.values()) == 3  # the first of three, once per registry
    # What is on disk is what the last renders wrote, counted once.
    files = {name for _, rendered in renders.done.values() for name in rendered.files}
    assert set(tree(stage.root)) - {MARKER} == files
    assert budget.count == sum(len(rendered.paths) for _, rendered in renders.done.values())
    stage.discard()


@pytest.mark.parametrize("together", [True, False])
def test_copies_handed_over_together_are_each_rendered_once(tmp_path: Path, together: bool) -> None:
    fake = FakeRegistry()
    app, web = image(files=({"/app": b"app"},)), image(files=({"/web": b"web"},))
    for name, built in (("dev/app", app), ("prod/app", app), ("dev/web", web)):
        fake.add(name, built, ["1.0"])
    config = load_config(
        write_config(tmp_path, "registries:\n  - name: lab\n    url: https://registry.test\n"),
        environ={},
    )
    catalog = build(config, tmp_path / "site", cache_dir=None, transport=fake.transport).catalog
    [registry] = catalog.registries
    repos = {repo.name: repo for repo in registry.repositories}
    copies, alone = [repos["dev/app"], repos["prod/app"]], [repos["dev/web"]]
    stage = Staging(tmp_path / "streamed")
    renders = Renders(
        stage, Renderer(config.site), PageBudget(10**6), Guess(config.site, ["lab"], None)
    )
    for group in [copies, alone] if together else [[repo] for repo in [*copies, *alone]]:
        renders.add(registry, group)
    while renders.stale:
        renders.refresh()
    inputs = CatalogInputs(catalog, Timeline(catalog), digest_locations(catalog))
    for repo in registry.repositories:
        guessed, _ = renders.done[("lab", repo.name)]
        assert guessed.locations == inputs(registry, repo).locations
    # Rendered one by one, the first copy learns of the other only once rendered.
    assert renders.times[("lab", "dev/app")] == (1 if together else 2)
    assert renders.times[("lab", "prod/app")] == renders.times[("lab", "dev/web")] == 1
    stage.discard()


def test_two_render_processes_learn_of_each_others_repositories(tmp_path: Path) -> None:
    # Handed out in turn to two processes.
    config, catalog, pairs = _three_registries(tmp_path)
    stage = Staging(tmp_path / "streamed")
    budget = PageBudget(10**6)
    names = [registry.name for registry in config.registries]
    both = [Renders(stage, Renderer(config.site), budget, Guess(config.site, names, None))
            for _ in range(2)]  # fmt: skip
    for number, (registry, repo) in enumerate(pairs):
        both[number % 2].add(registry, [repo])
        both[1 - number % 2].learn(registry, [repo])
        assert (registry.name, repo.name) not in both[1 - number % 2].done
        for renders in both:
            while renders.stale:
                renders.refresh()
    inputs = CatalogInputs(catalog, Timeline(catalog), digest_locations(catalog))
    for number, (registry, repo) in enumerate(pairs):
        guessed, _ = both[number % 2].done[(registry.name, repo.name)]
        assert guessed.locations == inputs(registry, repo).locations
    files = {name for renders in both for _, done in renders.done.values() for name in done.files}
    assert set(tree(stage.root)) - {MARKER} == files
    stage.discard()


def test_a_render_process_that_cannot_start_leaves_every_page_to_after_the_crawl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    config = load_config(
        write_config(tmp_path, "registries:\n  - name: one\n    url: https://one.registry.test\n"),
        environ={},
    )
    # No interpreter to start: no render process (and no search index, in both builds).
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
    monkeypatch.setattr(sitegen.build, "PARALLEL_MIN_TAGS", 1)
    sites = {}
    for streamed in ("1", "0"):
        monkeypatch.setenv("SITEGEN_STREAM", streamed)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="sitegen.site"):
            result = build(config, tmp_path / streamed, cache_dir=None,
                           transport=from_samples().transport)  # fmt: skip
        assert result.failures == ()
        tried = [m for m in caplog.messages if "no render process" in m]
        assert len(tried) == (streamed == "1")  # tried once, then off
        assert not [m for m in caplog.messages if KEPT.search(m)]
        sites[streamed] = tree(tmp_path / streamed)
        sites[streamed].pop(STAMP)
    assert sites["1"] == sites["0"]
    # Off, the stream keeps nothing it is handed.
    [registry] = result.catalog.registries
    stage = Staging(tmp_path / "2")
    with Stream(config, stage, None, min_tags=1) as stream:
        for repo in registry.repositories:
            stream.submit(registry, [repo], {})
        assert stream.state == "off" and stream.submitted == {}
        assert stream.finish() == {}
    stage.discard()


def test_render_processes_are_one_per_cpu_up_to_a_few(tmp_path: Path) -> None:
    config = load_config(
        write_config(tmp_path, "registries:\n  - name: one\n    url: https://one.registry.test\n"),
        environ={},
    )
    stage = Staging(tmp_path / "stage")
    for cpus, expected in ((1, 1), (2, 2), (64, sitegen.site.stream.MAX_PROCESSES)):
        stream = Stream(config, stage, None, min_tags=1, processes=cpus)
        assert stream.processes == expected
    stage.discard()


def test_what_every_process_has_learned_of_is_not_kept(tmp_path: Path) -> None:
    """Each process learns of the repositories the others took; once all have, the
    stream drops them (a 100,000-tag crawl would otherwise keep every one pickled)."""
    config, _, pairs = _three_registries(tmp_path)
    stage = Staging(tmp_path / "stage")
    stream = Stream(config, stage, None, min_tags=1, processes=2)
    stream._renderers = [_Renderer(None, None) for _ in range(2)]  # type: ignore[arg-type]
    for registry, repo in pairs:
        stream._queue.put((registry, (repo,)))
    taken: list[list[str]] = [[], []]
    learned: list[list[str]] = [[], []]
    for turn in range(len(pairs)):
        number = turn % 2
        news, item = stream._next(number, wait=False)
        assert isinstance(item, bytes)
        taken[number].append(channel.loads(item)[1][0].name)
        learned[number] += [channel.loads(data)[1][0].name for data in news]
        assert len(stream._taken) <= 2  # at most what one of the two has not learned yet
    for number in (0, 1):
        news, item = stream._next(number, wait=False)
        assert item == channel.IDLE
        learned[number] += [channel.loads(data)[1][0].name for data in news]
    assert learned == [taken[1], taken[0]]
    assert stream._taken == []
    stage.discard()
