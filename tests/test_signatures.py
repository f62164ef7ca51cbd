"""Signatures as a reader sees them: real cosign (keyless and key-based) and notation
signature documents pushed into the real registry, built, and read back from the pages'
data and HTML. Hostile values degrade to a note; documents over the size cap are skipped.
"""

from __future__ import annotations

import datetime
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lab.images import Built, cosign_signature, fallback_tag, image, referrers_index
from lab.push import Pusher
from lab.registry import RunningRegistry, running_registry
from lab.signatures import KEY, KEYLESS, KMS_AND_KEYLESS, layer_annotations, notation_signature
from sitegen.build import build
from sitegen.config import load_config
from sitegen.site import paths
from tests.helpers import read_page, site_text, write_config

REPO = "signed/app"
KEYLESS_IDENTITY = (
    "https://github.com/salrashid123/go-bazel-github-workflow/.github/workflows/"
    "release.yaml@refs/tags/v0.0.30"
)
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
# A secret shape (a GitHub token) inside a certificate's identity: masked like any env value.
TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
MARKUP_SAN = f"https://evil.example/<script>alert(1)</script>?t={TOKEN}"
MARKUP_ISSUER = "<img src=x onerror=alert(2)>"


def _certificate(san: str, issuer: str) -> str:
    """A self-signed certificate shaped like Fulcio's: a URI SAN and the issuer extension."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sigstore.dev")])
    start = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(minutes=10))
        .add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(san)]), critical=True
        )
        .add_extension(
            x509.UnrecognizedExtension(
                x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1"), issuer.encode()
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _app(n: int) -> Built:
    return image(created=f"2024-0{n}-01T00:00:00Z", files=({"/app": f"app {n}".encode()},))


@dataclass
class Pushed:
    registry: RunningRegistry
    images: dict[str, Built]  # tag -> the image it points to


@pytest.fixture(scope="module")
def pushed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pushed]:
    with running_registry(tmp_path_factory.mktemp("signatures")) as registry:
        images = {
            tag: _app(n) for n, tag in enumerate(("1.0", "2.0", "3.0", "4.0", "5.0", "6.0"), 1)
        }
        hostile = [
            # A certificate that does not parse, and a Rekor bundle far too long to read.
            {
                "dev.sigstore.cosign/certificate": "-----BEGIN CERTIFICATE-----\nnot one\n"
                "-----END CERTIFICATE-----\n",
                "dev.sigstore.cosign/bundle": "{" + "x" * 200_000 + "}",
            },
            # Markup (and a secret) in the identity and the issuer.
            {"dev.sigstore.cosign/certificate": _certificate(MARKUP_SAN, MARKUP_ISSUER)},
        ]
        signatures = {
            "1.0": cosign_signature(images["1.0"], annotations=layer_annotations(KEYLESS)),
            "2.0": cosign_signature(images["2.0"], annotations=layer_annotations(KEY)),
            "4.0": cosign_signature(images["4.0"], annotations=hostile),
            "5.0": cosign_signature(images["5.0"], annotations=layer_annotations(KMS_AND_KEYLESS)),
        }
        with Pusher(registry.url) as pusher:
            for tag, built in images.items():
                pusher.push(REPO, built, [tag])
            for tag, signature in signatures.items():
                pusher.push(REPO, signature, [f"{fallback_tag(images[tag].digest)}.sig"])
            # Registry 2.8 has no referrers API: notation's client writes the fallback tag.
            notation = referrers_index([notation_signature(images["3.0"])])
            pusher.push(REPO, notation, [fallback_tag(images["3.0"].digest)])
        yield Pushed(registry, images)


def _build(tmp_path: Path, registry: RunningRegistry, limits: str = "") -> Path:
    config = write_config(
        tmp_path, f"registries:\n  - name: lab\n    url: {registry.url}\n{limits}"
    )
    site = tmp_path / "site"
    build(load_config(config, environ={}), site, cache_dir=tmp_path / "cache")
    return site


@pytest.fixture(scope="module")
def site(pushed: Pushed, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("site"), pushed.registry)


def _tag(site: Path, tag: str) -> tuple[str, Any]:
    return read_page(site, paths.tag_path("lab", REPO, tag))


def _signature_referrer(data: Any) -> Any:
    (found,) = [r for r in data["referrers"] if r["kind"] == "signature"]
    return found


def _text(page: str) -> str:
    """What a reader sees: the page's text without its markup."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_keyless_signature_names_identity_issuer_bundle_and_time(
    site: Path, pushed: Pushed
) -> None:
    page, data = _tag(site, "1.0")
    referrer = _signature_referrer(data)
    sent = cosign_signature(pushed.images["1.0"], annotations=layer_annotations(KEYLESS))
    manifest = json.loads(sent.manifest)
    assert referrer["digest"] == sent.digest and referrer["size"] == len(sent.manifest)
    assert referrer["source"] == "cosign tag" and referrer["note"] == ""
    assert manifest["layers"][0]["annotations"]["dev.sigstore.cosign/certificate"]
    (signature,) = referrer["signatures"]
    assert signature == {
        "scheme": "cosign",
        "method": "keyless",
        "identity": KEYLESS_IDENTITY,
        "issuer": GITHUB_ISSUER,
        "key_fingerprint": "",
        "rekor_bundle": True,
        "signed_at": "2026-02-27T18:20:46Z",
        "signed_at_source": "Rekor integratedTime",
        "predicate_type": "",
        "note": "",
        "verify": f"cosign verify --certificate-identity {KEYLESS_IDENTITY}"
        f" --certificate-oidc-issuer {GITHUB_ISSUER}"
        f" {pushed.registry.host}/{REPO}@{data['digest']}",
    }
    text = _text(page)
    assert "Not verified by sitegen." in text
    assert f"Identity {KEYLESS_IDENTITY}" in text and f"OIDC issuer {GITHUB_ISSUER}" in text
    assert "Rekor bundle yes" in text
    assert signature["verify"] in text
    # The Type column no longer says "-" for a cosign tag: the digest was resolved.
    assert referrer["media_type"] == "application/vnd.oci.image.manifest.v1+json"


def test_key_based_signature_shows_the_key_fingerprint_and_a_key_verify(
    site: Path,
) -> None:
    page, data = _tag(site, "2.0")
    (signature,) = _signature_referrer(data)["signatures"]
    assert signature["method"] == "key" and signature["identity"] == ""
    # sha256 of the DER SubjectPublicKeyInfo of the key in the Rekor bundle.
    assert signature["key_fingerprint"] == (
        "sha256:72122b6811b1d9014e8ac9cf17e89ae579e33a923d87b6cd632bbafc315f551a"
    )
    assert signature["signed_at"] == "2024-04-09T08:25:02Z"
    assert signature["verify"].startswith("cosign verify --key <your key> ")
    assert "cosign verify --key &lt;your key&gt;" in page


def test_two_signatures_in_one_manifest_are_both_shown(site: Path) -> None:
    _, data = _tag(site, "5.0")
    kms, keyless = _signature_referrer(data)["signatures"]
    assert (kms["method"], kms["rekor_bundle"], kms["signed_at"]) == ("key", False, "")
    assert keyless["identity"] == "cosign-svc-account@mineral-minutia-820.iam.gserviceaccount.com"
    assert keyless["issuer"] == "https://accounts.google.com"


def test_notation_signature_through_the_referrers_tag(site: Path) -> None:
    page, data = _tag(site, "3.0")
    referrer = _signature_referrer(data)
    assert referrer["source"] == f"referrers tag {fallback_tag(data['digest'])}"
    assert referrer["artifact_type"] == "application/vnd.cncf.notary.signature"
    (signature,) = referrer["signatures"]
    assert signature["scheme"] == "notation"
    assert signature["identity"] == "CN=alpine,O=Notary,L=Seattle,ST=WA,C=US"
    assert signature["signed_at"] == "2023-03-14T16:10:02+08:00"
    assert signature["signed_at_source"] == "notation signingTime"
    assert signature["verify"].startswith("notation verify ")
    assert "Not verified by sitegen." in _text(page)


def test_hostile_values_degrade_to_a_note_escaped_and_masked(site: Path) -> None:
    page, data = _tag(site, "4.0")
    broken, markup = _signature_referrer(data)["signatures"]
    assert broken["identity"] == "" and broken["verify"] == ""
    assert "the certificate could not be read" in broken["note"]
    assert "the Rekor bundle is too long to read" in broken["note"]
    assert broken["rekor_bundle"] is True
    assert markup["identity"].startswith("https://evil.example/<script>")
    assert markup["issuer"] == MARKUP_ISSUER
    assert markup["signed_at"] == "2024-05-06T07:08:09Z"
    assert markup["signed_at_source"] == "certificate notBefore"
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # The verify command quotes what the shell would otherwise read as markup.
    assert markup["verify"].startswith("cosign verify --certificate-identity 'https://evil")
    assert TOKEN not in site_text(site)


def test_signed_badge_in_tag_lists_and_header(site: Path) -> None:
    page, data = read_page(site, paths.repository_path("lab", REPO))
    signed = {row["name"]: row["signed"] for row in data["tags"]}
    assert signed == {"6.0": False, "5.0": True, "4.0": True, "3.0": True, "2.0": True, "1.0": True}
    assert data["recommended"]["name"] == "6.0" and data["recommended"]["signed"] is False
    # Five signed rows in the tag table and five in the "group by image" table.
    assert page.count('class="badge badge-signed"') == 10
    assert (site / paths.repository_path("lab", REPO) / "_tags.js").read_text().count(
        '"signed":true'
    ) == 5


def test_documents_over_the_cap_are_skipped_with_a_note(tmp_path: Path, pushed: Pushed) -> None:
    site = _build(tmp_path, pushed.registry, "limits:\n  supply_chain_bytes: 4096\n")
    page, data = _tag(site, "1.0")  # the keyless signature manifest is about 10 kB
    referrer = _signature_referrer(data)
    assert referrer["signatures"] == []
    assert referrer["note"].startswith("not read: ")
    assert "limits.supply_chain_bytes" in referrer["note"]
    assert referrer["digest"].startswith("sha256:")  # resolved, just not read
    assert "limits.supply_chain_bytes" in _text(page)
    # Still signed: a signature refers to the digest, whatever its size.
    _, listing = read_page(site, paths.repository_path("lab", REPO))
    assert [row["name"] for row in listing["tags"] if not row["signed"]] == ["6.0"]
    # The notation manifest is small; its envelope blob (2 kB) fits too.
    _, notation = _tag(site, "3.0")
    assert _signature_referrer(notation)["signatures"][0]["identity"].startswith("CN=alpine")


def test_a_warm_rebuild_reads_no_signature_document_again(tmp_path: Path, pushed: Pushed) -> None:
    _build(tmp_path, pushed.registry)
    before = len(pushed.registry.access_log())
    _build(tmp_path, pushed.registry)
    fetched = [
        e.path
        for e in pushed.registry.access_log(before)
        if e.method == "GET" and ("/manifests/" in e.path or "/blobs/" in e.path)
    ]
    assert fetched == []
