"""Deterministic images, indexes and artifacts, built in memory.

Every builder returns a ``Built``: manifest bytes, digest, blobs and child manifests,
ready for ``lab.push.Pusher.push`` or ``write_oci_layout`` + skopeo. Same arguments,
same bytes: nothing reads the clock or a random source.

Shapes follow real registries' content: BuildKit attestation manifests in an index
(``tests/fixtures/real-world/dockerhub/index-mysql-latest-2024.json`` and
``tests/fixtures/real-world/distribution/buildkit-attestation-*.json``), a
cosign signature manifest without a top-level ``mediaType``, OCI 1.1 artifacts with an
empty config and a ``subject``, and a Helm chart.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lab.oci import (
    COSIGN_SIMPLESIGNING,
    DOCKER_CONFIG,
    DOCKER_LAYER_GZIP,
    DOCKER_LIST,
    DOCKER_MANIFEST,
    EMPTY_JSON,
    HELM_CHART,
    HELM_CONFIG,
    IN_TOTO,
    MANIFEST_MEDIA_TYPES,
    OCI_CONFIG,
    OCI_EMPTY,
    OCI_INDEX,
    OCI_LAYER_GZIP,
    OCI_MANIFEST,
    SLSA_PREDICATE,
    SPDX_PREDICATE,
    Blob,
    Built,
    Platform,
    dump_json,
    fallback_tag,
    make_built,
    sha256_digest,
    tar_gz,
    write_oci_layout,
)

# The oci building blocks are part of this module's API too (``from lab.images import
# Built``), so name them for mypy's explicit re-export rule.
__all__ = [
    "COSIGN_SIMPLESIGNING",
    "DOCKER_CONFIG",
    "DOCKER_LAYER_GZIP",
    "DOCKER_LIST",
    "DOCKER_MANIFEST",
    "HELM_CHART",
    "HELM_CONFIG",
    "IN_TOTO",
    "MANIFEST_MEDIA_TYPES",
    "OCI_CONFIG",
    "OCI_EMPTY",
    "OCI_INDEX",
    "OCI_LAYER_GZIP",
    "OCI_MANIFEST",
    "Blob",
    "Built",
    "HistoryStep",
    "Platform",
    "artifact",
    "attestation_manifest",
    "cosign_signature",
    "fallback_tag",
    "helm_chart",
    "image",
    "index",
    "referrers_index",
    "sha256_digest",
    "write_oci_layout",
]


@dataclass(frozen=True)
class HistoryStep:
    """One ``history[]`` entry of an image config.

    Steps with ``empty_layer=False`` consume one layer each, in order, so the number of
    such steps must equal the number of layers (image-spec config.md "history").
    """

    created_by: str
    empty_layer: bool = False
    comment: str | None = None
    created: str | None = None


def image(
    *,
    os: str = "linux",
    architecture: str = "amd64",
    variant: str | None = None,
    os_version: str | None = None,
    created: str = "2024-01-01T00:00:00Z",
    labels: Mapping[str, str] | None = None,
    env: Sequence[str] | None = None,
    entrypoint: Sequence[str] | None = None,
    cmd: Sequence[str] | None = None,
    workdir: str | None = None,
    user: str | None = None,
    ports: Sequence[str] | None = None,
    volumes: Sequence[str] | None = None,
    stop_signal: str | None = None,
    history: Sequence[HistoryStep] | None = None,
    files: Sequence[Mapping[str, bytes]] = ({"/hello": b"hi"},),
    annotations: Mapping[str, str] | None = None,
    docker: bool = False,
    author: str | None = None,
) -> Built:
    """A single-platform image: one gzip'd layer per entry of ``files``.

    ``docker=True`` gives Docker v2 schema 2 media types (which cannot carry
    ``annotations``); otherwise OCI. ``ports`` look like ``"8080/tcp"``. Without
    ``history`` each layer gets a Dockerfile-like ``COPY`` step.
    """
    if docker and annotations:
        raise ValueError("Docker schema 2 manifests have no annotations")
    layers: list[Blob] = []
    diff_ids: list[str] = []
    for layer_files in files:
        compressed, uncompressed = tar_gz(layer_files)
        layers.append(Blob(DOCKER_LAYER_GZIP if docker else OCI_LAYER_GZIP, compressed))
        diff_ids.append(sha256_digest(uncompressed))
    steps = (
        list(history)
        if history is not None
        else [HistoryStep(f"COPY layer{n} / # buildkit") for n in range(len(layers))]
    )
    if sum(not step.empty_layer for step in steps) != len(layers):
        raise ValueError("history must have exactly one non-empty step per layer")

    container: dict[str, Any] = {}
    if user is not None:
        container["User"] = user
    if ports is not None:
        container["ExposedPorts"] = {port: {} for port in ports}
    if env is not None:
        container["Env"] = list(env)
    if entrypoint is not None:
        container["Entrypoint"] = list(entrypoint)
    if cmd is not None:
        container["Cmd"] = list(cmd)
    if volumes is not None:
        container["Volumes"] = {volume: {} for volume in volumes}
    if workdir is not None:
        container["WorkingDir"] = workdir
    if labels is not None:
        container["Labels"] = dict(labels)
    if stop_signal is not None:
        container["StopSignal"] = stop_signal

    config: dict[str, Any] = {"architecture": architecture, "os": os}
    if os_version is not None:
        config["os.version"] = os_version
    if variant is not None:
        config["variant"] = variant
    config["created"] = created
    if author is not None:
        config["author"] = author
    config["config"] = container
    config["rootfs"] = {"type": "layers", "diff_ids": diff_ids}
    config["history"] = [_history_json(step, created) for step in steps]
    config_blob = Blob(DOCKER_CONFIG if docker else OCI_CONFIG, dump_json(config))

    media_type = DOCKER_MANIFEST if docker else OCI_MANIFEST
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": config_blob.descriptor(),
        "layers": [layer.descriptor() for layer in layers],
    }
    if annotations:
        manifest["annotations"] = dict(annotations)
    platform = Platform(os=os, architecture=architecture, variant=variant, os_version=os_version)
    return make_built(media_type, manifest, [config_blob, *layers], platform=platform)


def _history_json(step: HistoryStep, default_created: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "created": step.created or default_created,
        "created_by": step.created_by,
    }
    if step.comment is not None:
        entry["comment"] = step.comment
    if step.empty_layer:
        entry["empty_layer"] = True
    return entry


def _in_toto(predicate_type: str, subject: Built, predicate: Mapping[str, Any]) -> Blob:
    statement = {
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": predicate_type,
        "subject": [
            {
                "name": "_",
                "digest": {"sha256": subject.digest.removeprefix("sha256:")},
            }
        ],
        "predicate": dict(predicate),
    }
    return Blob(IN_TOTO, dump_json(statement))


def attestation_manifest(
    subject: Built,
    sbom_predicate: Mapping[str, Any] | None = None,
    provenance_predicate: Mapping[str, Any] | None = None,
    more: Sequence[tuple[str, Mapping[str, Any]]] = (),
) -> Built:
    """A BuildKit attestation manifest for ``subject``: an SBOM and a provenance statement
    (SPDX and SLSA v0.2 predicates; small placeholders unless given), then a statement
    per (predicate type, predicate) of ``more``.

    Same shape as BuildKit's (``buildkit-attestation-manifest-example.json``): OCI
    manifest, config with os/architecture ``unknown``, in-toto layers annotated with
    ``in-toto.io/predicate-type``.
    """
    created = _created_of(subject)
    sbom = _in_toto(
        SPDX_PREDICATE,
        subject,
        sbom_predicate
        or {
            "spdxVersion": "SPDX-2.3",
            "dataLicense": "CC0-1.0",
            "SPDXID": "SPDXRef-DOCUMENT",
            "name": "sbom",
            "creationInfo": {"created": created, "creators": ["Tool: sitegen-lab"]},
            "packages": [],
        },
    )
    provenance = _in_toto(
        SLSA_PREDICATE,
        subject,
        provenance_predicate
        or {
            "builder": {"id": "https://example.invalid/sitegen-lab"},
            "buildType": "https://mobyproject.org/buildkit@v1",
            "metadata": {"buildStartedOn": created, "buildFinishedOn": created},
        },
    )
    layers = [sbom, provenance, *(_in_toto(t, subject, p) for t, p in more)]
    config = {
        "architecture": "unknown",
        "os": "unknown",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [layer.digest for layer in layers]},
    }
    config_blob = Blob(OCI_CONFIG, dump_json(config))
    layer_descriptors = []
    predicates = (SPDX_PREDICATE, SLSA_PREDICATE, *(t for t, _ in more))
    for layer, predicate in zip(layers, predicates, strict=True):
        descriptor = layer.descriptor()
        descriptor["annotations"] = {"in-toto.io/predicate-type": predicate}
        layer_descriptors.append(descriptor)
    manifest = {
        "mediaType": OCI_MANIFEST,
        "schemaVersion": 2,
        "config": config_blob.descriptor(),
        "layers": layer_descriptors,
    }
    return make_built(OCI_MANIFEST, manifest, [config_blob, *layers])


def _created_of(built: Built) -> str:
    """The ``created`` of an image's config, or a fixed date for anything else."""
    config = built.config
    if config is not None and config.media_type in (OCI_CONFIG, DOCKER_CONFIG):
        value = json.loads(config.data).get("created")
        if isinstance(value, str):
            return value
    return "2024-01-01T00:00:00Z"


def index(
    children: Sequence[Built],
    *,
    docker: bool = False,
    annotations: Mapping[str, str] | None = None,
    attestations: bool | Callable[[Built], Built] = False,
) -> Built:
    """An OCI image index (or, with ``docker=True``, a Docker manifest list).

    Platform descriptors come from the children's configs. ``attestations=True`` appends
    one BuildKit attestation manifest per platform child after the platform entries,
    exactly where BuildKit puts them (``platform`` unknown/unknown,
    ``vnd.docker.reference.type: attestation-manifest``); a function instead of ``True``
    makes each child's attestation manifest (``attestation_manifest`` with predicates).
    """
    if docker and (annotations or attestations):
        raise ValueError("Docker manifest lists carry neither annotations nor attestations")
    entries: list[dict[str, Any]] = []
    all_children: list[Built] = list(children)
    for child in children:
        entry = child.descriptor()
        if child.artifact_type is not None:
            entry["artifactType"] = child.artifact_type
        if child.platform is not None:
            entry["platform"] = child.platform.to_json()
        entries.append(entry)
    if attestations:
        for child in children:
            if child.platform is None:
                continue
            make = attestations if callable(attestations) else attestation_manifest
            attestation = make(child)
            entry = attestation.descriptor()
            entry["annotations"] = {
                "vnd.docker.reference.digest": child.digest,
                "vnd.docker.reference.type": "attestation-manifest",
            }
            entry["platform"] = {"architecture": "unknown", "os": "unknown"}
            entries.append(entry)
            all_children.append(attestation)
    media_type = DOCKER_LIST if docker else OCI_INDEX
    manifest: dict[str, Any] = {"schemaVersion": 2, "mediaType": media_type, "manifests": entries}
    if annotations:
        manifest["annotations"] = dict(annotations)
    return make_built(media_type, manifest, [], children=all_children)


def artifact(
    *,
    artifact_type: str,
    subject: Built | None = None,
    layers: Sequence[tuple[str, bytes]] = (("application/vnd.example+json", b"{}"),),
    annotations: Mapping[str, str] | None = None,
) -> Built:
    """An OCI 1.1 artifact: an image manifest with ``artifactType`` and the empty config.

    image-spec manifest.md "Guidelines for Artifact Usage" (case: config unused); the
    empty descriptor carries the optional ``data`` field like ``oras`` writes it.
    ``subject`` links it to the manifest it describes (a referrer).
    """
    empty = Blob(OCI_EMPTY, EMPTY_JSON)
    layer_blobs = [Blob(media_type, data) for media_type, data in layers]
    config = empty.descriptor()
    config["data"] = base64.b64encode(EMPTY_JSON).decode()
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": config,
        "layers": [blob.descriptor() for blob in layer_blobs],
    }
    if subject is not None:
        manifest["subject"] = subject.descriptor()
    if annotations:
        manifest["annotations"] = dict(annotations)
    return make_built(OCI_MANIFEST, manifest, [empty, *layer_blobs], artifact_type=artifact_type)


def referrers_index(referrers: Sequence[Built]) -> Built:
    """The index a client without the referrers API pushes to the fallback tag.

    OCI distribution-spec 1.1 "Referrers Tag Schema": an image index whose descriptors
    name each referrer with its ``artifactType`` and annotations; it is tagged
    ``fallback_tag(subject.digest)``.
    """
    entries: list[dict[str, Any]] = []
    for referrer in referrers:
        entry = referrer.descriptor()
        if referrer.artifact_type is not None:
            entry["artifactType"] = referrer.artifact_type
        body = json.loads(referrer.manifest)
        if body.get("annotations"):
            entry["annotations"] = body["annotations"]
        entries.append(entry)
    manifest = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
    return make_built(OCI_INDEX, manifest, [], children=referrers)


def helm_chart(
    name: str,
    version: str,
    *,
    description: str = "A Helm chart",
    app_version: str | None = None,
    created: str = "2024-01-01T00:00:00Z",
) -> Built:
    """A Helm 3 chart as ``helm push`` stores it: Helm config JSON plus the chart tgz.

    Not an image: no platform, no image config, no ``artifactType`` (Helm marks the
    kind through the config media type).
    """
    chart: dict[str, Any] = {
        "apiVersion": "v2",
        "name": name,
        "version": version,
        "description": description,
        "type": "application",
    }
    if app_version is not None:
        chart["appVersion"] = app_version
    chart_yaml = "".join(f"{key}: {value}\n" for key, value in chart.items()).encode()
    content, _ = tar_gz(
        {
            f"{name}/Chart.yaml": chart_yaml,
            f"{name}/values.yaml": b"replicaCount: 1\n",
            f"{name}/templates/NOTES.txt": b"Thank you for installing the demo chart.\n",
        }
    )
    config_blob = Blob(HELM_CONFIG, json.dumps(chart, separators=(",", ":")).encode())
    layer = Blob(HELM_CHART, content)
    annotations = {
        "org.opencontainers.image.created": created,
        "org.opencontainers.image.description": description,
        "org.opencontainers.image.title": name,
        "org.opencontainers.image.version": version,
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config_blob.descriptor(),
        "layers": [layer.descriptor()],
        "annotations": annotations,
    }
    return make_built(OCI_MANIFEST, manifest, [config_blob, layer])


def cosign_signature(
    subject: Built,
    reference: str = "registry.example/image",
    annotations: Sequence[Mapping[str, str]] = (),
) -> Built:
    """A cosign "simple signing" signature manifest for ``subject``.

    Shaped like ``cosign-signature-manifest-2021.json``: NO top-level ``mediaType``
    (cosign omitted it), descriptor keys in cosign's order (mediaType, size, digest),
    the signature in a layer annotation. The signature value is a deterministic
    placeholder, not a real ECDSA signature (those are randomised): it will not verify.
    ``annotations``: one signature layer each, with these annotations (a real
    signature's certificate and Rekor bundle: ``lab.signatures``) over the placeholder.
    The manifest is pushed with the OCI manifest Content-Type.
    """
    payload = dump_json(
        {
            "critical": {
                "identity": {"docker-reference": reference},
                "image": {"docker-manifest-digest": subject.digest},
                "type": "cosign container image signature",
            },
            "optional": None,
        }
    )
    layer = Blob(COSIGN_SIMPLESIGNING, payload)
    config = {
        "architecture": "",
        "created": "0001-01-01T00:00:00Z",
        "history": [{"created": "0001-01-01T00:00:00Z"}],
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": [layer.digest]},
        "config": {},
    }
    config_blob = Blob(OCI_CONFIG, dump_json(config))
    signature = base64.b64encode(hashlib.sha512(b"sitegen-lab:" + payload).digest()).decode()
    manifest = {
        "schemaVersion": 2,
        "config": {
            "mediaType": config_blob.media_type,
            "size": config_blob.size,
            "digest": config_blob.digest,
        },
        "layers": [
            {
                "mediaType": layer.media_type,
                "size": layer.size,
                "digest": layer.digest,
                "annotations": {"dev.cosignproject.cosign/signature": signature, **extra},
            }
            for extra in (annotations or ({},))
        ],
    }
    return make_built(OCI_MANIFEST, manifest, [config_blob, layer])
