"""The commands a reader runs to use what a page shows, by kind of artifact.

An image is pulled with docker or podman (the page lets the reader switch between the
two: a command with ``ref`` is ``<tool> pull <ref>``) and built upon with ``FROM``; a
Helm chart is pulled and installed with ``helm`` (``helm pull`` takes the registry
reference as an ``oci://`` URL and the chart version, not a tag); a signature is checked
with ``cosign verify`` against the image it signs, an attestation or SBOM downloaded
with ``cosign download attestation`` (or with ``oras`` when it is an OCI 1.1 referrer);
any other OCI artifact is fetched with ``oras pull``. None of them gets a ``docker
pull``: docker cannot run it.

Every value comes from the registry (names, tags, digests, chart versions) and is
shown escaped by the templates; here it is only joined into text.
"""

from __future__ import annotations

from sitegen.oci import kinds
from sitegen.oci.kinds import HelmChart
from sitegen.site.pages.shapes import Command


def use_commands(
    repository: str,
    digest: str,
    kind: str,
    *,
    tag: str | None = None,
    chart: HelmChart | None = None,
    subject: str = "",
) -> list[Command]:
    """The commands to show for one manifest.

    ``repository`` is ``pull_host/name``; ``tag`` the tag the page is about (None on a
    digest page); ``chart`` what a Helm chart's config says; ``subject`` the digest a
    signature or attestation refers to, when known.
    """
    by_digest = f"{repository}@{digest}"
    if kind in (kinds.IMAGE, kinds.INDEX):
        commands: list[Command] = []
        if tag is not None:
            by_tag = f"{repository}:{tag}"
            commands.append(_command("By tag", f"docker pull {by_tag}", ref=by_tag))
        commands.append(_command("By digest", f"docker pull {by_digest}", ref=by_digest))
        commands.append(_command("Dockerfile", f"FROM {by_digest}"))
        return commands
    if kind == kinds.HELM_CHART:
        return _helm(repository, tag, digest, chart)
    if kind == kinds.SIGNATURE and subject:
        return [
            _command("Verify", f"cosign verify --key cosign.pub {repository}@{subject}"),
            _command("Download", f"oras pull {by_digest}"),
        ]
    if kind in (kinds.ATTESTATION, kinds.SBOM) and subject:
        return [
            _command("Download", f"cosign download attestation {repository}@{subject}"),
            _command("Pull", f"oras pull {by_digest}"),
        ]
    commands = []
    if tag is not None:
        commands.append(_command("By tag", f"oras pull {repository}:{tag}"))
    commands.append(_command("By digest", f"oras pull {by_digest}"))
    return commands


def _helm(repository: str, tag: str | None, digest: str, chart: HelmChart | None) -> list[Command]:
    """``helm pull`` / ``helm install`` by chart version.

    Helm resolves ``--version`` to the tag of that name (with ``+`` written ``_``, as
    ``helm push`` tags it); without a known version, the digest pins the chart
    (``oci://host/repo@sha256:...``, Helm 3.14 and later).
    """
    url = f"oci://{repository}"
    version = chart.version if chart is not None else (tag or "")
    release = chart.name if chart is not None else repository.rsplit("/", 1)[-1]
    if version:
        return [
            _command("Pull", f"helm pull {url} --version {version}"),
            _command("Install", f"helm install {release} {url} --version {version}"),
        ]
    return [
        _command("Pull", f"helm pull {url}@{digest}"),
        _command("Install", f"helm install {release} {url}@{digest}"),
    ]


def _command(label: str, text: str, *, ref: str = "") -> Command:
    return {"label": label, "text": text, "ref": ref}
