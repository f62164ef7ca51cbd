"""THE sample catalog: a small, varied, deterministic set of repositories.

The demo and the end-to-end tests push exactly this. Each repository exercises
something a catalog must render or survive:

=================  ===================================================================
``base/alpine``    multi-arch OCI index (amd64, arm64/v8, arm/v7) with BuildKit
                   attestation manifests (real SLSA v0.2 provenance and SPDX statements);
                   four alias tags on one digest, one older index
``apps/web``       Docker v2 schema 2 image with a rich config (secret-looking Env, ports,
                   volumes, user, history with empty layers), a cosign signature tag,
                   an SPDX SBOM, a real Trivy report and an OpenVEX document as
                   referrers under the referrers fallback tag
``apps/worker``    OCI image; version order and creation-date order disagree; a notation
                   signature and a sigstore bundle (``lab.signedsamples``, which also
                   signs ``apps/web:v1.1.0`` with a key)
``tools/cli``      Docker manifest list with a Windows entry (``os.version``), signed with
                   a cosign signature tag carrying a real keyless signature's certificate
``charts/demo``    a Helm chart: an OCI artifact that is not an image
``public/hello``   tiny OCI image, anonymously pullable under token auth
``old/empty``      a tag pushed and deleted: in ``_catalog``, ``tags/list`` says null
=================  ===================================================================
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lab.attestations import buildkit_attestations
from lab.images import (
    DOCKER_LIST,
    DOCKER_MANIFEST,
    Built,
    HistoryStep,
    cosign_signature,
    fallback_tag,
    helm_chart,
    image,
    index,
    referrers_index,
    write_oci_layout,
)
from lab.push import Pusher, skopeo_copy
from lab.registry import RunningRegistry
from lab.sboms import alpine_spdx, sbom_referrer
from lab.signatures import KEYLESS, layer_annotations
from lab.signedsamples import bundle_signed, key_signed, notation_signed
from lab.vulnsamples import TRIVY_DEBIAN, openvex, plain, report_referrer, vex_referrer

PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# A value that looks like a secret, so masking of Env values can be tested.
SECRET_ENV = "DB_PASSWORD=hunter2-sample"
DOCKER_TYPES = (DOCKER_MANIFEST, DOCKER_LIST)


@dataclass(frozen=True)
class SampleRepo:
    """One sample repository: its tags (tag -> manifest) and a markdown description.

    ``deleted`` holds tags that ``push_samples`` pushes and then deletes by digest, so
    they exist nowhere afterwards; ``tags`` is what the registry lists.
    """

    name: str
    tags: dict[str, Built]
    description: str | None
    deleted: dict[str, Built] = field(default_factory=dict)

    def manifests(self) -> list[tuple[Built, list[str]]]:
        """Each distinct tagged manifest with its tags, in first-tag order."""
        grouped: dict[str, tuple[Built, list[str]]] = {}
        for tag, built in self.tags.items():
            grouped.setdefault(built.digest, (built, []))[1].append(tag)
        return list(grouped.values())


def _revision(*parts: str) -> str:
    """A stable fake git commit id."""
    return hashlib.sha1("/".join(parts).encode(), usedforsecurity=False).hexdigest()


def _oci_labels(
    title: str, version: str, created: str, source: str, description: str
) -> dict[str, str]:
    return {
        "org.opencontainers.image.created": created,
        "org.opencontainers.image.description": description,
        "org.opencontainers.image.licenses": "Apache-2.0",
        "org.opencontainers.image.revision": _revision(title, version),
        "org.opencontainers.image.source": source,
        "org.opencontainers.image.title": title,
        "org.opencontainers.image.version": version,
    }


ALPINE_PLATFORMS = (("amd64", None), ("arm64", "v8"), ("arm", "v7"))


def alpine_rootfs(version: str, platform: str) -> dict[str, bytes]:
    """The files of ``base/alpine``'s one layer: an image built on it starts with them."""
    return {
        "/etc/alpine-release": f"{version}\n".encode(),
        "/etc/os-release": f'NAME="Alpine Linux"\nVERSION_ID={version}\n'.encode(),
        "/bin/busybox": f"busybox for {platform}\n".encode(),
    }


def _alpine(version: str, created: str) -> Built:
    labels = _oci_labels(
        "alpine",
        version,
        created,
        "https://github.com/example/alpine-base",
        "A minimal Alpine-style base image",
    )
    labels["org.opencontainers.image.licenses"] = "MIT"
    labels["org.opencontainers.image.url"] = "https://example.com/alpine"
    children = []
    for architecture, variant in ALPINE_PLATFORMS:
        platform = architecture + (f"/{variant}" if variant else "")
        rootfs = alpine_rootfs(version, platform)
        children.append(
            image(
                architecture=architecture,
                variant=variant,
                created=created,
                labels=labels,
                env=[PATH_ENV],
                cmd=["/bin/sh"],
                files=[rootfs],
                history=[
                    HistoryStep(f"/bin/sh -c #(nop) ADD file:{_revision(version, platform)} in / "),
                    HistoryStep('/bin/sh -c #(nop)  CMD ["/bin/sh"]', empty_layer=True),
                ],
                annotations={
                    "org.opencontainers.image.created": created,
                    "org.opencontainers.image.version": version,
                },
            )
        )
    return index(
        children,
        attestations=buildkit_attestations(
            source=labels["org.opencontainers.image.source"],
            revision=labels["org.opencontainers.image.revision"],
            args={"ALPINE_VERSION": version},
        ),
        annotations={
            "org.opencontainers.image.created": created,
            "org.opencontainers.image.source": labels["org.opencontainers.image.source"],
            "org.opencontainers.image.version": version,
        },
    )


def _web(version: str, created: str) -> Built:
    labels = {
        "org.opencontainers.image.description": "The example web front end",
        "org.opencontainers.image.licenses": "Apache-2.0",
        "org.opencontainers.image.revision": _revision("web", version),
        "org.opencontainers.image.source": "https://github.com/example/web",
        "org.opencontainers.image.version": version,
    }
    history = [
        HistoryStep("/bin/sh -c #(nop) ADD file:3b7f2b1c5e0a9d84 in / "),
        HistoryStep('/bin/sh -c #(nop)  CMD ["/bin/sh"]', empty_layer=True),
        HistoryStep(f"/bin/sh -c #(nop)  ENV {PATH_ENV}", empty_layer=True),
        HistoryStep(
            "RUN /bin/sh -c apk add --no-cache ca-certificates tzdata # buildkit",
            comment="buildkit.dockerfile.v0",
        ),
        HistoryStep("WORKDIR /app", empty_layer=True, comment="buildkit.dockerfile.v0"),
        HistoryStep("COPY ./dist /app # buildkit", comment="buildkit.dockerfile.v0"),
        HistoryStep("EXPOSE map[8080/tcp:{} 9090/tcp:{}]", empty_layer=True),
        HistoryStep("USER 10001:10001", empty_layer=True),
        HistoryStep('ENTRYPOINT ["/app/web"]', empty_layer=True),
    ]
    return image(
        docker=True,
        created=created,
        author="Example Web Team <web@example.com>",
        labels=labels,
        env=[PATH_ENV, SECRET_ENV, f"WEB_VERSION={version}", "LOG_LEVEL=info"],
        entrypoint=["/app/web"],
        cmd=["--listen", ":8080"],
        workdir="/app",
        user="10001:10001",
        ports=["8080/tcp", "9090/tcp"],
        volumes=["/data"],
        stop_signal="SIGTERM",
        history=history,
        files=[
            {"/etc/os-release": b'NAME="Alpine Linux"\n', "/bin/busybox": b"busybox\n"},
            {"/etc/ssl/certs/ca-certificates.crt": b"# sample CA bundle\n"},
            {
                "/app/web": f"web {version}\n".encode(),
                "/app/static/index.html": f"<h1>web {version}</h1>\n".encode(),
            },
        ],
    )


def _worker(version: str, created: str) -> Built:
    return image(
        created=created,
        labels=_oci_labels(
            "worker",
            version,
            created,
            "https://github.com/example/worker",
            "Background job runner",
        ),
        env=[PATH_ENV, "QUEUE=default"],
        entrypoint=["/usr/bin/worker"],
        files=[
            {"/etc/os-release": b'NAME="Debian GNU/Linux"\n'},
            {"/usr/bin/worker": f"worker {version}\n".encode()},
        ],
    )


def _cli(architecture: str, variant: str | None, os: str, os_version: str | None) -> Built:
    binary = (
        {"/Files/cli/cli.exe": b"MZ cli 1.0\n"}
        if os == "windows"
        else {"/usr/local/bin/cli": f"cli 1.0 for {os}/{architecture}\n".encode()}
    )
    return image(
        docker=True,
        os=os,
        architecture=architecture,
        variant=variant,
        os_version=os_version,
        created="2024-02-29T08:00:00Z",
        labels={"org.opencontainers.image.source": "https://github.com/example/cli"},
        entrypoint=["cli.exe" if os == "windows" else "/usr/local/bin/cli"],
        files=[binary],
    )


def _spdx_sbom(subject: Built) -> Built:
    # syft's real SPDX of alpine 3.16: the web image is built on it (lab/sboms.py).
    return sbom_referrer(subject, alpine_spdx(f"apps/web@{subject.digest}"))


DESCRIPTIONS: Mapping[str, str] = {
    "base/alpine": (
        "# alpine\n\nA minimal base image for **amd64**, **arm64** and **arm/v7**.\n\n"
        "```sh\ndocker run --rm base/alpine:3.20 cat /etc/alpine-release\n```\n"
    ),
    "apps/web": (
        "# web\n\nThe example web front end. Listens on `:8080`, metrics on `:9090`.\n\n"
        "- signed with cosign\n- ships an SPDX SBOM\n"
    ),
    "apps/worker": "# worker\n\nRuns background jobs from the `default` queue.\n",
    "tools/cli": "# cli\n\nCommand-line client for Linux and **Windows Server 2022**.\n",
    "charts/demo": "# demo chart\n\nA Helm chart: `helm install demo oci://REGISTRY/charts/demo`.\n",
    "public/hello": "# hello\n\nPrints a greeting. Anyone may pull this one.\n",
    "old/empty": "# empty\n\nEvery tag was deleted; the repository lingers in the catalog.\n",
}


def sample_repos() -> list[SampleRepo]:
    """The sample repositories, built fresh (same bytes and digests on every call)."""
    alpine_new = _alpine("3.20.1", "2024-06-18T10:00:00Z")
    alpine_old = _alpine("3.19.4", "2024-03-02T10:00:00Z")
    web = {
        version: _web(version, created)
        for version, created in (
            ("v1.0.0", "2024-01-15T09:30:00Z"),
            ("v1.1.0", "2024-03-10T14:00:00Z"),
            ("v1.2.0", "2024-05-20T12:00:00Z"),
        )
    }
    current = web["v1.2.0"]
    signature = cosign_signature(current, reference="registry.example/apps/web")
    # What a scan found (Trivy's report as a referrer), and the maintainers' word that
    # one finding does not affect the image (an OpenVEX document naming its digest).
    vex = openvex(
        current.digest,
        name="apps/web",
        statuses=[
            ("CVE-2019-18276", "bash", "not_affected", "vulnerable_code_not_in_execute_path")
        ],
    )
    sbom_referrers = referrers_index(
        [
            _spdx_sbom(current),
            report_referrer(current, plain(TRIVY_DEBIAN)),
            vex_referrer(current, vex),
        ]
    )
    worker = {
        # v2.0.0-rc1 predates v2.0.0, and the v1.9.0 maintenance release came after both.
        "v2.0.0": _worker("v2.0.0", "2024-04-15T16:00:00Z"),
        "v2.0.0-rc1": _worker("v2.0.0-rc1", "2024-04-01T16:00:00Z"),
        "v1.9.0": _worker("v1.9.0", "2024-05-10T16:00:00Z"),
        "main": _worker("main", "2024-06-01T00:00:00Z"),
    }
    cli = index(
        [
            _cli("amd64", None, "linux", None),
            _cli("arm64", "v8", "linux", None),
            _cli("amd64", None, "windows", "10.0.20348.2527"),
        ],
        docker=True,
    )
    hello = image(
        created="2023-11-01T00:00:00Z",
        cmd=["/hello"],
        files=[{"/hello": b"Hello from the sitegen lab!\n"}],
        labels={"org.opencontainers.image.title": "hello"},
    )
    gone = image(created="2022-01-01T00:00:00Z", files=[{"/gone": b"deleted\n"}])

    return [
        SampleRepo(
            "base/alpine",
            {
                "3.20.1": alpine_new,
                "3.20": alpine_new,
                "3": alpine_new,
                "latest": alpine_new,
                "3.19.4": alpine_old,
            },
            DESCRIPTIONS["base/alpine"],
        ),
        SampleRepo(
            "apps/web",
            {
                **web,
                "latest": current,
                f"{fallback_tag(current.digest)}.sig": signature,
                **key_signed(web["v1.1.0"], "registry.example/apps/web"),
                # Registry 2.8 has no referrers API, so referrers go in an index under
                # the fallback tag (distribution-spec 1.1 "Referrers Tag Schema").
                fallback_tag(current.digest): sbom_referrers,
            },
            DESCRIPTIONS["apps/web"],
        ),
        SampleRepo(
            "apps/worker",
            {
                **worker,
                **notation_signed(worker["v2.0.0"]),
                **bundle_signed(worker["v1.9.0"]),
            },
            DESCRIPTIONS["apps/worker"],
        ),
        SampleRepo(
            "tools/cli",
            {
                "1.0": cli,
                "latest": cli,
                # A signed multi-platform image: cosign signs the index's digest. The
                # claims (certificate, Rekor bundle) are a real keyless signature's.
                f"{fallback_tag(cli.digest)}.sig": cosign_signature(
                    cli,
                    reference="registry.example/tools/cli",
                    annotations=layer_annotations(KEYLESS),
                ),
            },
            DESCRIPTIONS["tools/cli"],
        ),
        SampleRepo(
            "charts/demo",
            {"0.1.0": helm_chart("demo", "0.1.0", app_version="1.2.0", description="Demo app")},
            DESCRIPTIONS["charts/demo"],
        ),
        SampleRepo("public/hello", {"latest": hello, "1": hello}, DESCRIPTIONS["public/hello"]),
        SampleRepo("old/empty", {}, DESCRIPTIONS["old/empty"], deleted={"gone": gone}),
    ]


def push_samples(
    target: RunningRegistry | Pusher,
    *,
    via_skopeo: Collection[str] = (),
    workdir: Path | None = None,
) -> list[SampleRepo]:
    """Push every sample repository and return them.

    Repositories named in ``via_skopeo`` go through ``skopeo copy`` from an OCI layout
    (digests preserved) instead of the HTTP API; that needs a ``RunningRegistry``
    target. ``workdir`` holds the layouts (default: a temporary directory).
    """
    repos = sample_repos()
    if via_skopeo and not isinstance(target, RunningRegistry):
        raise ValueError("pushing with skopeo needs a RunningRegistry, not a Pusher")
    pusher = target.pusher() if isinstance(target, RunningRegistry) else target
    try:
        with tempfile.TemporaryDirectory(dir=workdir, prefix="oci-layouts-") as layouts:
            for repo in repos:
                if repo.name in via_skopeo and isinstance(target, RunningRegistry):
                    _push_with_skopeo(target, repo, Path(layouts))
                    continue
                for built, tags in repo.manifests():
                    pusher.push(repo.name, built, tags)
                for tag, built in repo.deleted.items():
                    pusher.push(repo.name, built, [tag])
                    pusher.delete_manifest(repo.name, built.digest)
    finally:
        if pusher is not target:
            pusher.close()
    return repos


def _push_with_skopeo(registry: RunningRegistry, repo: SampleRepo, layouts: Path) -> None:
    if repo.deleted:
        raise ValueError(f"{repo.name}: deleted tags need the API pusher, not skopeo")
    docker = [
        tag for built, tags in repo.manifests() if built.media_type in DOCKER_TYPES for tag in tags
    ]
    if docker:
        # skopeo 1.9 (containers/image) only resolves OCI media types in an OCI
        # layout's index.json: a Docker manifest there is "no descriptor found".
        # (skopeo can still make Docker manifests from OCI ones with --format v2s2, but
        # that changes the digests the samples promise.)
        raise ValueError(f"{repo.name}: Docker-typed tags {docker} cannot go through skopeo")
    layout = layouts / repo.name.replace("/", "_")
    for number, (built, tags) in enumerate(repo.manifests()):
        ref = f"m{number}"
        write_oci_layout(layout, built, ref)
        for tag in tags:
            skopeo_copy(layout, ref, registry.ref(f"{repo.name}:{tag}"), registry.creds())


def release_update(target: RunningRegistry | Pusher) -> None:
    """The next night's news: ``apps/web`` v1.3.0 is released and ``latest`` moves to it;
    ``base/alpine`` 3.20.2 is released and ``3.20``, ``3`` and ``latest`` move to it, so
    the images built on them (``lab.basesamples``) have a stale base.

    The demo builds once, applies this, and builds again, so its site shows a change,
    the feeds, a diff page and the Rebuild page as a nightly build would.
    """
    pusher = target.pusher() if isinstance(target, RunningRegistry) else target
    try:
        pusher.push("apps/web", _web("v1.3.0", "2024-06-20T09:00:00Z"), ["v1.3.0", "latest"])
        alpine = _alpine("3.20.2", "2024-06-25T10:00:00Z")
        pusher.push("base/alpine", alpine, ["3.20.2", "3.20", "3", "latest"])
    finally:
        if pusher is not target:
            pusher.close()
