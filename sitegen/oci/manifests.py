"""Manifest, index and config documents -> model objects. Pure functions, no I/O.

Registry data is hostile: every field is type-checked and anything of the wrong type
is treated as absent, so a malformed manifest degrades one page instead of the build.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from sitegen.model import (
    EMPTY,
    Attestation,
    Descriptor,
    HistoryStep,
    Image,
    ImageConfig,
    IndexEntry,
    Platform,
)
from sitegen.oci import jsonload, kinds, mediatypes
from sitegen.oci.masking import NO_MASKING, NO_SECRETS, Masker, Secrets
from sitegen.oci.references import is_digest

ATTESTATION_TYPE = "attestation-manifest"
REFERENCE_TYPE = "vnd.docker.reference.type"
REFERENCE_DIGEST = "vnd.docker.reference.digest"
PREDICATE_TYPE = "in-toto.io/predicate-type"
MAX_ARTIFACT_CONFIG = 64 << 10
INT64_MAX = 2**63 - 1  # descriptor sizes are int64 (image-spec descriptor.md)


def text(value: Any) -> str:
    """``value`` if it is a string, else ''."""
    return value if isinstance(value, str) else ""


def strings(value: Any) -> tuple[str, ...]:
    """A list of strings (other items dropped); a lone string becomes a 1-tuple."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def string_map(value: Any) -> Mapping[str, str]:
    """A str -> str mapping, sorted by key; other entries dropped."""
    if not isinstance(value, dict):
        return EMPTY
    items = sorted((k, v) for k, v in value.items() if isinstance(k, str) and isinstance(v, str))
    return MappingProxyType(dict(items)) if items else EMPTY


def integer(value: Any) -> int:
    """A non-negative int64, else 0: whatever the type, sizes stay summable and printable."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= INT64_MAX:
        return value
    return 0


def platform(value: Any) -> Platform | None:
    """An OCI platform object, or None when absent or incomplete."""
    if not isinstance(value, dict):
        return None
    os_name, arch = text(value.get("os")), text(value.get("architecture"))
    if not os_name or not arch:
        return None
    return Platform(os_name, arch, text(value.get("variant")), text(value.get("os.version")))


def descriptor(value: Any) -> Descriptor | None:
    """A content descriptor, or None when it has no valid digest."""
    if not isinstance(value, dict) or not is_digest(text(value.get("digest"))):
        return None
    return Descriptor(
        media_type=text(value.get("mediaType")),
        digest=value["digest"],
        size=integer(value.get("size")),
        annotations=string_map(value.get("annotations")),
        platform=platform(value.get("platform")),
        artifact_type=text(value.get("artifactType")),
    )


def subject_digest(document: Mapping[str, Any]) -> str:
    """The ``subject`` descriptor's digest ('' when none)."""
    found = descriptor(document.get("subject"))
    return found.digest if found else ""


def is_attestation(entry: Descriptor) -> bool:
    """BuildKit attestation manifests in an index are not platforms (docs/protocol.md item 19)."""
    if entry.annotations.get(REFERENCE_TYPE) == ATTESTATION_TYPE:
        return True
    return entry.platform is not None and entry.platform.unknown


def split_index(document: Mapping[str, Any]) -> tuple[list[Descriptor], list[Descriptor]]:
    """(platform entries, attestation entries) of an index document."""
    entries: list[Descriptor] = []
    attestations: list[Descriptor] = []
    raw = document.get("manifests")
    for item in raw if isinstance(raw, list) else []:
        found = descriptor(item)
        if found is None:
            continue
        (attestations if is_attestation(found) else entries).append(found)
    return entries, attestations


def attestation(entry: Descriptor, manifest: Mapping[str, Any] | None) -> Attestation:
    """An attestation entry, with predicate types read from its manifest's layers."""
    predicates: set[str] = set()
    if manifest is not None:
        layers = manifest.get("layers")
        for layer in layers if isinstance(layers, list) else []:
            found = descriptor(layer)
            if found and found.annotations.get(PREDICATE_TYPE):
                predicates.add(found.annotations[PREDICATE_TYPE])
    return Attestation(
        descriptor=entry,
        subject=entry.annotations.get(REFERENCE_DIGEST, ""),
        predicate_types=tuple(sorted(predicates)),
    )


def image_config_needed(document: Mapping[str, Any]) -> Descriptor | None:
    """The config descriptor to fetch, when the manifest is a container image."""
    config = descriptor(document.get("config"))
    if config is None or text(document.get("artifactType")):
        return None
    if config.media_type not in mediatypes.IMAGE_CONFIG_TYPES or config.size == 0:
        return None
    return config


def artifact_config_wanted(document: Mapping[str, Any]) -> Descriptor | None:
    """A non-image artifact's config worth showing: small JSON that is not the empty ``{}``."""
    config = descriptor(document.get("config"))
    if config is None or image_config_needed(document) is not None:
        return None
    if not config.media_type.endswith("+json") or config.media_type == mediatypes.OCI_EMPTY:
        return None
    return config if 2 < config.size <= MAX_ARTIFACT_CONFIG else None


def image(
    document: Mapping[str, Any],
    *,
    digest: str,
    media_type: str,
    raw: bytes,
    config_data: bytes | None,
    problem: str = "",
    masker: Masker = NO_MASKING,
) -> tuple[Image, Secrets]:
    """An image (or artifact) manifest plus its parsed config, secrets masked.

    Returns the image and the secret values found in its config, which the caller
    masks in whatever else refers to this image (the index that holds it).
    """
    if media_type in mediatypes.SCHEMA1_TYPES:
        return schema1_image(document, digest=digest, media_type=media_type, raw=raw, masker=masker)
    is_image = image_config_needed(document) is not None
    config_document = _json_object(config_data)
    secrets = masker.collect(config_document) if is_image else NO_SECRETS
    run = config_document.get("config")
    masked_names = masker.secret_env_names(strings(run.get("Env")) if isinstance(run, dict) else ())
    size = len(raw)
    raw, document, redacted = publish(raw, document, masker, secrets)
    config_desc = descriptor(document.get("config")) or Descriptor("", "", 0)
    layers = document.get("layers")
    layer_list = tuple(
        d for d in (descriptor(x) for x in (layers if isinstance(layers, list) else [])) if d
    )
    config = None
    found_platform = None
    artifact_config = b""
    if config_data is not None:
        config_data, config_document, config_redacted = publish(
            config_data, config_document, masker, secrets
        )
        redacted = redacted or config_redacted
        if is_image:
            config = _image_config(
                config_document, config_data, config_desc.digest, layer_list, masked_names
            )
            found_platform = platform(config_document)
        else:
            artifact_config = config_data
    artifact_type = text(document.get("artifactType"))
    if not artifact_type and not is_image:
        artifact_type = config_desc.media_type
    built = Image(
        digest=digest,
        media_type=media_type,
        manifest_size=size,
        config_descriptor=config_desc,
        layers=layer_list,
        annotations=string_map(document.get("annotations")),
        platform=found_platform,
        config=config,
        artifact_type=artifact_type,
        subject=subject_digest(document),
        raw=raw,
        problem=problem,
        artifact_config=artifact_config,
        redacted=redacted,
        kind=kinds.manifest_kind(
            media_type,
            config_media_type=config_desc.media_type,
            artifact_type=text(document.get("artifactType")),
            layer_media_types=(layer.media_type for layer in layer_list),
        ),
    )
    return built, secrets


def publish(
    raw: bytes, document: Any, masker: Masker, secrets: Secrets = NO_SECRETS
) -> tuple[bytes, Any, bool]:
    """(bytes to publish, masked document, whether masking changed it).

    Unchanged documents keep the registry's exact bytes; masked ones are re-serialised
    from the masked document (raw bytes are never searched: an encoder may have
    escaped any character of a secret).
    """
    masked, changed = masker.document(document, secrets)
    if not changed:
        return raw, document, False
    try:
        data = json.dumps(masked, ensure_ascii=False, indent=2).encode()
    except UnicodeEncodeError:  # half a surrogate pair (a JSON escape): keep escapes
        data = json.dumps(masked, indent=2).encode()
    return data, masked, True


def _json_object(data: bytes | None) -> dict[str, Any]:
    """A JSON object from registry bytes, or {} when absent or unreadable."""
    if data is None:
        return {}
    try:
        return jsonload.load_object(data)
    except jsonload.JSONRefused:
        return {}


def _image_config(
    document: Mapping[str, Any],
    data: bytes,
    digest: str,
    layers: tuple[Descriptor, ...],
    masked_names: tuple[str, ...],
) -> ImageConfig:
    """The config from its (already masked) parsed document and published bytes."""
    run = document.get("config")
    run = run if isinstance(run, dict) else {}
    env = strings(run.get("Env"))
    return ImageConfig(
        digest=digest,
        created=text(document.get("created")),
        author=text(document.get("author")),
        env=env,
        entrypoint=strings(run.get("Entrypoint")) if run.get("Entrypoint") is not None else None,
        cmd=strings(run.get("Cmd")) if run.get("Cmd") is not None else None,
        working_dir=text(run.get("WorkingDir")),
        user=text(run.get("User")),
        exposed_ports=_keys(run.get("ExposedPorts")),
        volumes=_keys(run.get("Volumes")),
        stop_signal=text(run.get("StopSignal")),
        labels=string_map(run.get("Labels")),
        history=_history(document.get("history"), layers),
        raw=data,
        masked=masked_names,
    )


def _keys(value: Any) -> tuple[str, ...]:
    if isinstance(value, dict):
        return tuple(sorted(k for k in value if isinstance(k, str)))
    return ()


def _history(value: Any, layers: tuple[Descriptor, ...]) -> tuple[HistoryStep, ...]:
    """History steps, each non-empty one paired with the layer it produced, in order."""
    steps: list[HistoryStep] = []
    remaining = list(layers)
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict):
            continue
        empty = item.get("empty_layer") is True
        layer = None if empty or not remaining else remaining.pop(0)
        steps.append(
            HistoryStep(
                created_by=text(item.get("created_by")),
                created=text(item.get("created")),
                comment=text(item.get("comment")),
                author=text(item.get("author")),
                empty_layer=empty,
                layer=layer,
            )
        )
    return tuple(steps)


def schema1_image(
    document: Mapping[str, Any],
    *,
    digest: str,
    media_type: str,
    raw: bytes,
    masker: Masker = NO_MASKING,
) -> tuple[Image, Secrets]:
    """Docker schema1 (old registries): history lives in ``v1Compatibility`` strings.

    docs/protocol.md item 20: degrade gracefully - show what can be read, no sizes. The
    ``v1Compatibility`` strings repeat the config, so secrets are masked inside them too.
    """
    secrets = masker.collect(document)
    size = len(raw)
    masked_names = masker.secret_env_names(_schema1_env(document))
    raw, document, redacted = publish(raw, document, masker, secrets)
    history_raw = document.get("history")
    compat: list[dict[str, Any]] = []
    for item in history_raw if isinstance(history_raw, list) else []:
        parsed = _json_object(
            text(item.get("v1Compatibility")).encode() if isinstance(item, dict) else None
        )
        if parsed:
            compat.append(parsed)
    fs_layers = document.get("fsLayers")
    blob_sums = [
        text(x.get("blobSum"))
        for x in (fs_layers if isinstance(fs_layers, list) else [])
        if isinstance(x, dict)
    ]
    top: dict[str, Any] = compat[0] if compat else {}
    run_value = top.get("config")
    run: dict[str, Any] = run_value if isinstance(run_value, dict) else {}
    # fsLayers and history are newest-first; show oldest-first like every other image.
    steps = []
    layers = []
    for entry, blob in reversed(list(zip(compat, blob_sums, strict=False))):
        container = entry.get("container_config")
        created_by = " ".join(strings(container.get("Cmd"))) if isinstance(container, dict) else ""
        empty = entry.get("throwaway") is True
        layer = None
        if not empty and is_digest(blob):
            layer = Descriptor("application/vnd.docker.image.rootfs.diff.tar.gzip", blob, 0)
            layers.append(layer)
        steps.append(
            HistoryStep(
                created_by=created_by,
                created=text(entry.get("created")),
                empty_layer=empty,
                layer=layer,
            )
        )
    config = ImageConfig(
        digest="",
        created=text(top.get("created")),
        author=text(top.get("author")),
        env=strings(run.get("Env")),
        entrypoint=strings(run.get("Entrypoint")) if run.get("Entrypoint") else None,
        cmd=strings(run.get("Cmd")) if run.get("Cmd") else None,
        working_dir=text(run.get("WorkingDir")),
        user=text(run.get("User")),
        exposed_ports=_keys(run.get("ExposedPorts")),
        volumes=_keys(run.get("Volumes")),
        labels=string_map(run.get("Labels")),
        history=tuple(steps),
        masked=masked_names,
    )
    arch = text(document.get("architecture")) or text(top.get("architecture"))
    built = Image(
        digest=digest,
        media_type=media_type,
        manifest_size=size,
        config_descriptor=Descriptor("", "", 0),
        layers=tuple(layers),
        platform=Platform(text(top.get("os")) or "linux", arch) if arch else None,
        config=config,
        raw=raw,
        problem="Docker schema 1 manifest: sizes are not recorded in this old format",
        redacted=redacted,
    )
    return built, secrets


def _schema1_env(document: Mapping[str, Any]) -> tuple[str, ...]:
    """The env of a schema1 manifest's newest ``v1Compatibility`` entry."""
    history = document.get("history")
    first = history[0] if isinstance(history, list) and history else None
    top = _json_object(
        text(first.get("v1Compatibility")).encode() if isinstance(first, dict) else None
    )
    run = top.get("config")
    return strings(run.get("Env")) if isinstance(run, dict) else ()


def entry(descriptor_: Descriptor, image_: Image | None, problem: str = "") -> IndexEntry:
    """An index entry (helper that keeps the crawl readable)."""
    return IndexEntry(descriptor=descriptor_, image=image_, problem=problem)
