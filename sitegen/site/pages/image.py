"""One image manifest and its config as the pages show them: the image document of
tag and digest pages (``shapes.ImageDocument``), and what an image says about itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sitegen.model import Image, Manifest, images_of, platform_label
from sitegen.oci import jsonload
from sitegen.site.pages.shapes import ConfigEntry, HistoryEntry, ImageDocument, PlatformDetail

DESCRIPTION_KEYS = ("org.opencontainers.image.description", "org.opencontainers.image.title")


def image_document(image: Image) -> ImageDocument:
    """Everything about one image manifest and its config."""
    created, source = image.created_and_source
    config = image.config
    detail: PlatformDetail | None = None
    if image.platform is not None:
        detail = {
            "os": image.platform.os,
            "architecture": image.platform.architecture,
            "variant": image.platform.variant,
            "os_version": image.platform.os_version,
        }
    config_entry: ConfigEntry | None = None
    history: list[HistoryEntry] = []
    if config is not None:
        config_entry = {
            "author": config.author,
            "env": list(config.env),
            "entrypoint": None if config.entrypoint is None else list(config.entrypoint),
            "cmd": None if config.cmd is None else list(config.cmd),
            "working_dir": config.working_dir,
            "user": config.user,
            "exposed_ports": list(config.exposed_ports),
            "volumes": list(config.volumes),
            "stop_signal": config.stop_signal,
            "labels": dict(config.labels),
            "masked": list(config.masked),
        }
        history = [
            {
                "created_by": step.created_by,
                "created": step.created,
                "comment": step.comment,
                "empty_layer": step.empty_layer,
                "layer_digest": step.layer.digest if step.layer else "",
                "layer_size": step.layer.size if step.layer else 0,
            }
            for step in config.history
        ]
    return {
        "digest": image.digest,
        "media_type": image.media_type,
        "artifact_type": image.artifact_type,
        "platform": platform_label(image.platform) if image.platform else "",
        "platform_detail": detail,
        "created": created,
        "created_source": source,
        "size": image.size,
        "manifest_size": image.manifest_size,
        "config_digest": image.config_descriptor.digest,
        "config_media_type": image.config_descriptor.media_type,
        "subject": image.subject,
        "problem": image.problem,
        "annotations": dict(image.annotations),
        "layers": [
            {
                "digest": layer.digest,
                "size": layer.size,
                "media_type": layer.media_type,
                "annotations": dict(layer.annotations),
            }
            for layer in image.layers
        ],
        "config": config_entry,
        "history": history,
        "artifact_config": parsed(image.artifact_config) if image.artifact_config else None,
        "manifest": parsed(image.raw),
        "config_blob": parsed(config.raw) if config is not None else None,
        "redacted": image.redacted,
    }


def described(manifest: Manifest) -> str:
    """The image's own one-line description: its OCI description (or title) label."""
    sources: list[Mapping[str, str]] = [manifest.annotations]
    for image in images_of(manifest):
        sources.append(image.annotations)
        if image.config:
            sources.append(image.config.labels)
    for key in DESCRIPTION_KEYS:
        for source in sources:
            if source.get(key):
                return source[key]
    return ""


def parsed(raw: bytes) -> Any:
    """Raw JSON bytes as a value (None when not JSON)."""
    try:
        return jsonload.load(raw) if raw else None
    except jsonload.JSONRefused:
        return None
