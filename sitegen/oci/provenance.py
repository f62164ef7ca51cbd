"""SLSA provenance: in-toto statements -> ``Provenance``, with no I/O.

Where the statements are (docs/protocol.md item 19 for BuildKit):

- a BuildKit attestation manifest in an index: layers ``application/vnd.in-toto+json``,
  each the statement itself, its predicate type in ``in-toto.io/predicate-type``;
- a cosign attestation (``sha256-<hex>.att``) or an OCI 1.1 referrer: layers
  ``application/vnd.dsse.envelope.v1+json`` whose ``payload`` is the statement in
  base64 (the predicate type in the cosign annotation ``predicateType``), or a sigstore
  bundle whose ``dsseEnvelope`` is that envelope.

Two predicate shapes (slsa.dev/provenance/v0.2 and /v1): v0.2 has ``builder.id``,
``buildType``, ``invocation`` and ``materials``; v1 ``buildDefinition`` (``buildType``,
``externalParameters``, ``internalParameters``, ``resolvedDependencies``) and
``runDetails.builder.id``. BuildKit writes its build args as ``build-arg:NAME`` keys of
``invocation.parameters.args`` (v1: ``externalParameters.request.args``) and its VCS
facts under its metadata key. Every string that comes out is masked (a build arg whose
name looks secret has its value masked wherever it appears) and cut to ``MAX_TEXT``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from sitegen.oci import jsonload
from sitegen.oci.masking import Masker, Secrets
from sitegen.oci.values import as_dict, as_text, cut
from sitegen.supplychain_model import Provenance

IN_TOTO = "application/vnd.in-toto+json"
DSSE = "application/vnd.dsse.envelope.v1+json"
SIGSTORE_BUNDLE = "application/vnd.dev.sigstore.bundle"  # + ".v0.3+json" and the like
PREDICATE_ANNOTATIONS = ("in-toto.io/predicate-type", "predicateType")
SLSA_V02 = "https://slsa.dev/provenance/v0.2"
SLSA_V1 = "https://slsa.dev/provenance/v1"
PREDICATES = (SLSA_V02, SLSA_V1)
_BUILDKIT_V02 = "https://mobyproject.org/buildkit@v1#metadata"
_BUILD_ARG = "build-arg:"

MAX_TEXT = 512  # characters of one value shown
MAX_ITEMS = 200  # build args or materials shown of one statement


def statement_layers(document: Mapping[str, Any]) -> list[tuple[str, str, int, str]]:
    """(media type, digest, size, predicate type) of the layers of an attestation
    manifest that may hold a provenance statement: in-toto, DSSE or sigstore bundle
    layers whose annotated predicate type is SLSA provenance, or is not given."""
    return [
        layer
        for layer in layer_descriptors(document)
        if is_statement(layer[0]) and (not layer[3] or is_provenance(layer[3]))
    ]


def is_statement(media_type: str) -> bool:
    """An in-toto statement, a DSSE envelope or a sigstore bundle layer."""
    return media_type in (IN_TOTO, DSSE) or media_type.startswith(SIGSTORE_BUNDLE)


def layer_descriptors(document: Mapping[str, Any]) -> list[tuple[str, str, int, str]]:
    """(media type, digest, size, annotated predicate type or "") of each well-formed
    layer of a manifest; a layer with a wrong-typed field is skipped."""
    found = []
    layers = document.get("layers")
    for layer in layers if isinstance(layers, list) else []:
        if not isinstance(layer, dict):
            continue
        media_type, digest, size = layer.get("mediaType"), layer.get("digest"), layer.get("size")
        if not (isinstance(media_type, str) and isinstance(digest, str)):
            continue
        if not isinstance(size, int) or isinstance(size, bool):
            continue
        annotations = layer.get("annotations")
        annotations = annotations if isinstance(annotations, dict) else {}
        predicate = next(
            (p for k in PREDICATE_ANNOTATIONS if isinstance(p := annotations.get(k), str)), ""
        )
        found.append((media_type, digest, size, predicate))
    return found


def is_provenance(predicate_type: str) -> bool:
    """An SLSA provenance predicate type (v0.1 and v0.2 share the second shape)."""
    return predicate_type in PREDICATES or predicate_type.startswith("https://slsa.dev/provenance/")


def read(data: bytes, media_type: str, digest: str, masker: Masker) -> Provenance | None:
    """The provenance in one layer's bytes; ``None`` when the statement is of another
    predicate type; a ``Provenance`` with a ``note`` when it cannot be read."""
    try:
        claim = statement(jsonload.load_object(data), media_type)
    except jsonload.JSONRefused as exc:
        return Provenance(
            "", document=digest, note=cut(f"the statement could not be read: {exc}", MAX_TEXT)
        )
    if claim is None:
        return Provenance("", document=digest, note="the layer holds no in-toto statement")
    predicate_type = as_text(claim.get("predicateType"))
    if not is_provenance(predicate_type):
        return None
    predicate = claim.get("predicate")
    if not isinstance(predicate, dict):
        return _masked(Provenance(predicate_type, document=digest, note="no predicate"), masker)
    found = _v1(predicate) if "buildDefinition" in predicate else _v02(predicate)
    found = Provenance(
        predicate_type,
        builder_id=found.builder_id,
        build_type=found.build_type,
        source=found.source,
        commit=found.commit,
        trigger=found.trigger,
        build_args=found.build_args,
        materials=found.materials,
        document=digest,
    )
    return _masked(found, masker)


def statement(document: dict[str, Any], media_type: str) -> dict[str, Any] | None:
    """The in-toto statement a layer holds: itself, or a DSSE envelope's payload
    (also inside a sigstore bundle's ``dsseEnvelope``)."""
    if "predicateType" in document:
        return document
    envelope = document.get("dsseEnvelope", document)
    if not isinstance(envelope, dict) or not isinstance(envelope.get("payload"), str):
        return None
    try:
        payload = base64.b64decode(envelope["payload"], validate=True)
    except (ValueError, binascii.Error):
        return None
    try:
        return jsonload.load_object(payload)
    except jsonload.JSONRefused:
        return None


def _v02(predicate: dict[str, Any]) -> Provenance:
    invocation = as_dict(predicate.get("invocation"))
    config_source = as_dict(invocation.get("configSource"))
    environment = as_dict(invocation.get("environment"))
    parameters = as_dict(invocation.get("parameters"))
    source, commit = _source(config_source)
    vcs = as_dict(as_dict(as_dict(predicate.get("metadata")).get(_BUILDKIT_V02)).get("vcs"))
    return Provenance(
        "",
        builder_id=as_text(as_dict(predicate.get("builder")).get("id")),
        build_type=as_text(predicate.get("buildType")),
        source=source or as_text(vcs.get("source")),
        commit=commit or as_text(vcs.get("revision")),
        trigger=as_text(environment.get("github_event_name")),
        build_args=_build_args(parameters.get("args")),
        materials=_materials(predicate.get("materials")),
    )


def _v1(predicate: dict[str, Any]) -> Provenance:
    definition = as_dict(predicate.get("buildDefinition"))
    details = as_dict(predicate.get("runDetails"))
    external = as_dict(definition.get("externalParameters"))
    internal = as_dict(definition.get("internalParameters"))
    workflow = as_dict(external.get("workflow"))
    source, commit = _source(as_dict(external.get("configSource")))
    vcs = as_dict(as_dict(as_dict(details.get("metadata")).get("buildkit_metadata")).get("vcs"))
    dependencies = _materials(definition.get("resolvedDependencies"))
    if not source:
        source = as_text(workflow.get("repository")) or as_text(vcs.get("source"))
    if not commit:
        commit = as_text(vcs.get("revision")) or _git_commit(definition, source)
    return Provenance(
        "",
        builder_id=as_text(as_dict(details.get("builder")).get("id")),
        build_type=as_text(definition.get("buildType")),
        source=source,
        commit=commit,
        trigger=as_text(as_dict(internal.get("github")).get("event_name")),
        build_args=_build_args(as_dict(external.get("request")).get("args")),
        materials=dependencies,
    )


def _source(config_source: dict[str, Any]) -> tuple[str, str]:
    """(repository, commit) of a ``configSource``: ``git+https://host/repo@ref`` and its
    ``sha1`` or ``gitCommit`` digest."""
    uri = as_text(config_source.get("uri"))
    digest = as_dict(config_source.get("digest"))
    commit = as_text(digest.get("sha1")) or as_text(digest.get("gitCommit"))
    return _without_ref(uri), commit


def _git_commit(definition: dict[str, Any], source: str) -> str:
    """The commit of the resolved dependency that is the source repository (v1)."""
    found = definition.get("resolvedDependencies")
    for entry in found if isinstance(found, list) else []:
        item = as_dict(entry)
        uri = as_text(item.get("uri"))
        if uri.startswith("git+") and (
            not source or _without_ref(uri) in (source, "git+" + source)
        ):
            digest = as_dict(item.get("digest"))
            return as_text(digest.get("gitCommit")) or as_text(digest.get("sha1"))
    return ""


def _without_ref(uri: str) -> str:
    """``git+https://github.com/o/r@refs/heads/main`` -> ``git+https://github.com/o/r``."""
    scheme, sep, rest = uri.partition("://")
    if sep and "@" in rest.partition("/")[2]:
        return scheme + sep + rest.rpartition("@")[0]
    return uri


def _build_args(args: Any) -> tuple[tuple[str, str], ...]:
    found = [
        (key.removeprefix(_BUILD_ARG), value)
        for key, value in as_dict(args).items()
        if isinstance(key, str) and key.startswith(_BUILD_ARG) and isinstance(value, str)
    ]
    return tuple(sorted(found)[:MAX_ITEMS])


def _materials(value: Any) -> tuple[tuple[str, str], ...]:
    found = []
    for entry in value if isinstance(value, list) else []:
        item = as_dict(entry)
        uri = as_text(item.get("uri"))
        digests = as_dict(item.get("digest"))
        algorithm = "sha256" if "sha256" in digests else next(iter(sorted(digests)), "")
        digest = as_text(digests.get(algorithm))
        if uri or digest:
            found.append((uri, f"{algorithm}:{digest}" if digest else ""))
        if len(found) >= MAX_ITEMS:
            break
    return tuple(found)


def _masked(found: Provenance, masker: Masker) -> Provenance:
    secret = frozenset(
        value for name, value in found.build_args if value and masker.secret_name(name)
    )
    secrets = Secrets(secret) if secret else Secrets()

    def clean(value: str) -> str:
        return cut(masker.text(value, secrets), MAX_TEXT)

    def clean_value(entry: str) -> str:  # the value of a masked NAME=value
        return cut(entry.partition("=")[2], MAX_TEXT)

    return Provenance(
        clean(found.predicate_type),
        builder_id=clean(found.builder_id),
        build_type=clean(found.build_type),
        source=clean(found.source),
        commit=clean(found.commit),
        trigger=clean(found.trigger),
        build_args=tuple(
            (
                clean(name),
                cut(masker.env_entry(f"{name}={value}", secrets).partition("=")[2], MAX_TEXT),
            )
            for name, value in found.build_args
        ),
        materials=tuple((clean(uri), clean(digest)) for uri, digest in found.materials),
        document=found.document,
        note=clean(found.note),
    )
