"""Sigstore bundles (cosign's new bundle format, GitHub artifact attestations) as a
reader sees them: a real v0.3 bundle pushed into the real registry as a referrer, whose
claims (certificate identity and issuer, Rekor time, what it signs) are read, and whose
kind comes from what it holds (a message signature or an attestation), whatever the
referrers index entry calls it. Broken and hostile bundles degrade to a note.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab.images import Built, fallback_tag, image, referrers_index
from lab.push import Pusher
from lab.registry import running_registry
from lab.signatures import BUNDLE, SUPPLY_CHAIN, bundle_manifest, sigstore_bundle
from sitegen.build import build
from sitegen.config import load_config
from sitegen.oci import signatures
from sitegen.oci.masking import Masker
from sitegen.site import paths
from tests.helpers import read_page, site_text, write_config

REPO = "bundled/app"
IDENTITY = "cody@soyland.com"  # the real certificate's subject alternative name
ISSUER = "https://github.com/login/oauth"
PREDICATE = "https://cosign.sigstore.dev/attestation/v1"
LOGGED = "2025-02-28T19:18:11Z"  # its Rekor integratedTime, "1740770291" (a JSON string)
TOKEN = "ghp_" + "Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8"
EMPTY_TYPE = "application/vnd.oci.empty.v1+json"


def _real() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((SUPPLY_CHAIN / BUNDLE).read_text())
    return document


def _message_signature(subject: Built) -> dict[str, Any]:
    """The real bundle, signing the image itself (``cosign sign --new-bundle-format``)
    instead of a statement: ``messageSignature`` in place of ``dsseEnvelope``."""
    document = _real()
    envelope = document.pop("dsseEnvelope")
    digest = base64.b64encode(hashlib.sha256(subject.manifest).digest()).decode()
    document["messageSignature"] = {
        "messageDigest": {"algorithm": "SHA2_256", "digest": digest},
        "signature": envelope["signatures"][0]["sig"],
    }
    return document


def _key_based(subject: Built) -> dict[str, Any]:
    document = _message_signature(subject)
    material = document["verificationMaterial"]
    del material["certificate"]
    material["publicKey"] = {"hint": f"release-key <b>{TOKEN}</b>"}
    return document


def _read(document: Any) -> signatures.Signature:
    manifest = {
        "layers": [
            {
                "mediaType": signatures.provenance.SIGSTORE_BUNDLE + ".v0.3+json",
                "digest": "sha256:" + "0" * 64,
                "size": 1,
            }
        ]
    }
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    (found,) = signatures.read(manifest, {"sha256:" + "0" * 64: data}, Masker())
    return found


def test_a_real_bundle_names_its_signer_its_log_time_and_what_it_attests() -> None:
    found = _read(_real())
    assert (found.scheme, found.method, found.identity, found.issuer) == (
        "sigstore",
        "keyless",
        IDENTITY,
        ISSUER,
    )
    assert (found.signed_at, found.signed_at_source) == (LOGGED, "Rekor integratedTime")
    assert found.rekor_bundle and found.predicate_type == PREDICATE and found.note == ""


@pytest.mark.parametrize(
    ("change", "note"),
    [
        (
            lambda d: d["verificationMaterial"]["certificate"].update(rawBytes="bm90IGEgY2VydA=="),
            "the certificate could not be read",
        ),
        (
            lambda d: d["verificationMaterial"]["tlogEntries"][0].update(
                integratedTime="99999999999"
            ),
            "",
        ),
        (
            lambda d: d["dsseEnvelope"].update(payload="%%%"),
            "the attested statement could not be read",
        ),
        (lambda d: d.update(verificationMaterial=["not", "a", "map"]), ""),
    ],
)
def test_broken_bundles_degrade_to_notes(change: Any, note: str) -> None:
    document = copy.deepcopy(_real())
    change(document)
    found = _read(document)
    assert note in found.note
    assert _read(b"{not json").note == "the sigstore bundle could not be read"
    assert _read(b"[]").note == "the sigstore bundle could not be read"


@dataclasses.dataclass
class Pushed:
    host: str
    images: dict[str, Built]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Pushed]]:
    root = tmp_path_factory.mktemp("bundles")
    with running_registry(root / "registry") as registry:
        images = {
            tag: image(created=f"2025-0{n}-01T00:00:00Z", files=({"/app": tag.encode()},))
            for n, tag in enumerate(("attested", "signed", "key"), start=1)
        }
        attested = bundle_manifest(
            images["attested"],
            sigstore_bundle(),
            {
                "dev.sigstore.bundle.content": "dsse-envelope",
                "dev.sigstore.bundle.predicateType": PREDICATE,
            },
        )
        signed = bundle_manifest(
            images["signed"],
            sigstore_bundle(_message_signature(images["signed"])),
            {"dev.sigstore.bundle.content": "message-signature"},
        )
        key = bundle_manifest(
            images["key"],
            sigstore_bundle(_key_based(images["key"])),
            {"dev.sigstore.bundle.content": "message-signature"},
        )
        with Pusher(registry.url) as pusher:
            for tag, built in images.items():
                pusher.push(REPO, built, [tag])
            # As a referrers API reports it: the entry says "bundle", which is no kind.
            pusher.push(
                REPO, referrers_index([attested]), [fallback_tag(images["attested"].digest)]
            )
            # As cosign writes the referrers tag: the entry names the empty config type.
            for subject, bundle in (("signed", signed), ("key", key)):
                entry = dataclasses.replace(bundle, artifact_type=EMPTY_TYPE)
                pusher.push(REPO, referrers_index([entry]), [fallback_tag(images[subject].digest)])
        config = write_config(
            root,
            f"registries:\n  - name: local\n    url: {registry.url}\n    repositories: [{REPO}]\n",
        )
        build(load_config(config, environ={}), root / "site", cache_dir=None)
        yield root / "site", Pushed(registry.host, images)


def _tag(site: Path, tag: str) -> tuple[str, Any]:
    return read_page(site, paths.tag_path("local", REPO, tag))


def test_a_bundle_that_signs_an_attestation_is_an_attestation_with_its_signer(
    site: tuple[Path, Pushed],
) -> None:
    root, pushed = site
    page, data = _tag(root, "attested")
    (referrer,) = data["referrers"]
    assert referrer["kind"] == "attestation"
    (claim,) = referrer["signatures"]
    assert (claim["scheme"], claim["identity"], claim["issuer"]) == ("sigstore", IDENTITY, ISSUER)
    assert claim["predicate_type"] == PREDICATE and claim["signed_at"] == LOGGED
    assert claim["verify"] == (
        f"cosign verify-attestation --type {PREDICATE} --certificate-identity {IDENTITY}"
        f" --certificate-oidc-issuer {ISSUER} {pushed.host}/{REPO}@{data['digest']}"
    )
    assert "an attestation:" in page


def test_a_bundle_that_signs_the_image_makes_it_signed(site: tuple[Path, Pushed]) -> None:
    root, _ = site
    page, data = _tag(root, "signed")
    (referrer,) = data["referrers"]
    assert referrer["kind"] == "signature" and referrer["artifact_type"].startswith(
        "application/vnd.dev.sigstore.bundle"
    )
    (claim,) = referrer["signatures"]
    assert (claim["method"], claim["identity"], claim["predicate_type"]) == (
        "keyless",
        IDENTITY,
        "",
    )
    assert claim["verify"].startswith("cosign verify --certificate-identity ")
    assert IDENTITY in page
    _, listing = read_page(root, paths.repository_path("local", REPO))
    signed = {row["name"]: row["signed"] for row in listing["tags"]}
    assert signed == {"signed": True, "key": True, "attested": False}


def test_a_key_bundle_gives_its_hint_masked_and_escaped(site: tuple[Path, Pushed]) -> None:
    root, _ = site
    page, data = _tag(root, "key")
    (claim,) = data["referrers"][0]["signatures"]
    assert claim["method"] == "key" and claim["identity"] == ""
    assert claim["verify"].startswith("cosign verify --key <your key> ")
    assert "release-key" in claim["note"] and TOKEN not in claim["note"]
    assert "<b>" not in page and TOKEN not in site_text(root)
