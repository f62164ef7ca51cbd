"""Notation's COSE envelopes and the CBOR they are made of.

No COSE envelope pushed by notation could be captured as text (notation-go's test
envelope is binary), so the envelope here is the real JWS one
(``notation-jws-envelope-2023.json``: its certificate, payload, signature and signing
time) written in the COSE_Sign1 shape of notaryproject specs
``signature-envelope-cose.md``, pushed into the real registry, built and read back.
The CBOR reader is fed broken and hostile bytes too.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from lab.images import fallback_tag, image, referrers_index
from lab.push import Pusher
from lab.registry import running_registry
from lab.signatures import NOTATION_ENVELOPE, SUPPLY_CHAIN, notation_signature
from sitegen.build import build
from sitegen.config import load_config
from sitegen.oci import cbor, signatures
from sitegen.oci.masking import Masker
from sitegen.site import paths
from tests.helpers import read_page, write_config

COSE = "application/cose"
SUBJECT = "CN=alpine,O=Notary,L=Seattle,ST=WA,C=US"  # the real certificate's subject
SIGNED = datetime.fromisoformat("2023-03-14T16:10:02+08:00")  # its JWS signingTime


def _jws() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((SUPPLY_CHAIN / NOTATION_ENVELOPE).read_text())
    return document


def _unpadded(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def cose_envelope(*, protected: dict[Any, Any] | None = None, chain: Any = None) -> bytes:
    """The real JWS envelope's claims as a COSE_Sign1_Tagged item."""
    jws = _jws()
    header = {
        1: -37,  # PS256, as the JWS's alg
        2: ["io.cncf.notary.signingScheme"],
        3: "application/vnd.cncf.notary.payload.v1+json",
        "io.cncf.notary.signingScheme": "notary.x509",
        "io.cncf.notary.signingTime": cbor.Tagged(1, int(SIGNED.timestamp())),
    }
    leaf = base64.b64decode(jws["header"]["x5c"][0])
    unprotected = {
        33: [leaf] if chain is None else chain,
        "io.cncf.notary.signingAgent": jws["header"]["io.cncf.notary.signingAgent"],
    }
    item = [
        cbor.dumps(header if protected is None else protected),
        unprotected,
        _unpadded(jws["payload"]),
        _unpadded(jws["signature"]),
    ]
    return cbor.dumps(cbor.Tagged(18, item))


def _read(envelope: bytes) -> signatures.Signature:
    digest = "sha256:" + "1" * 64
    manifest = {
        "config": {"mediaType": signatures.NOTATION_SIGNATURE},
        "layers": [{"mediaType": COSE, "digest": digest, "size": len(envelope)}],
    }
    (found,) = signatures.read(manifest, {digest: envelope}, Masker())
    return found


def test_a_cose_envelope_names_its_signer_and_signing_time() -> None:
    found = _read(cose_envelope())
    assert (found.scheme, found.method, found.identity) == ("notation", "notation", SUBJECT)
    assert found.signed_at == "2023-03-14T08:10:02Z"
    assert (found.signed_at_source, found.note) == ("notation signingTime", "")


def test_an_authentic_signing_time_and_a_chain_in_the_protected_header() -> None:
    jws = _jws()
    leaf = base64.b64decode(jws["header"]["x5c"][0])
    protected = {
        1: -37,
        "io.cncf.notary.signingScheme": "notary.x509.signingAuthority",
        "io.cncf.notary.authenticSigningTime": cbor.Tagged(1, 1667411812.0),
        33: leaf,  # one certificate: a byte string, not an array
    }
    found = _read(cose_envelope(protected=protected, chain="not a chain"))
    assert (found.identity, found.signed_at) == (SUBJECT, "2022-11-02T17:56:52Z")
    assert found.signed_at_source == "notation authenticSigningTime"


@pytest.mark.parametrize(
    ("envelope", "note"),
    [
        (b"", "the COSE envelope could not be read"),
        (b"\x9f\x01\xff", "the COSE envelope could not be read"),  # indefinite length
        (cbor.dumps(cbor.Tagged(18, [b"", {}, b""])), "the COSE envelope could not be read"),
        (
            cbor.dumps(cbor.Tagged(18, [b"\xa1", {}, b"", b""])),
            "the COSE envelope could not be read",
        ),
        (cose_envelope(chain=[b"not DER"]), "the signing certificate could not be read"),
        (cose_envelope(chain=[]), "the envelope has no certificate chain"),
    ],
)
def test_broken_cose_envelopes_are_notes(envelope: bytes, note: str) -> None:
    assert _read(envelope).note == note


@pytest.mark.parametrize(
    "data",
    [
        b"\x81" * 100 + b"\x00",  # nested 100 deep
        b"\x5a\xff\xff\xff\xff",  # a 4 GiB byte string in 5 bytes
        b"\x9b" + b"\xff" * 8,  # 2**64 - 1 items
        b"\x62\xff\xfe",  # text that is not UTF-8
        b"\xa1\x80\x00",  # a map key that is an array
        b"\x00\x00",  # bytes after the item
        b"\xf8\x20",  # a simple value beyond the ones read
        b"\x1c",  # reserved additional information
    ],
)
def test_hostile_cbor_is_refused(data: bytes) -> None:
    with pytest.raises(cbor.CBORError):
        cbor.loads(data)


def test_cbor_round_trips_what_it_writes() -> None:
    value = [0, 23, 24, 255, 65536, 2**40, -1, -500, "ü", b"\x00", {1: [True, False, None]}]
    assert cbor.loads(cbor.dumps(value)) == value
    assert cbor.loads(cbor.dumps(cbor.Tagged(1, 5))) == cbor.Tagged(1, 5)
    assert cbor.loads(b"\xfb\x3f\xf8\x00\x00\x00\x00\x00\x00") == 1.5


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    root = tmp_path_factory.mktemp("cose")
    with running_registry(root / "registry") as registry:
        app = image(created="2023-03-14T00:00:00Z", files=({"/app": b"cose"},))
        signature = notation_signature(app, cose_envelope(), media_type=COSE)
        with Pusher(registry.url) as pusher:
            pusher.push("signed/cose", app, ["1.0"])
            pusher.push("signed/cose", referrers_index([signature]), [fallback_tag(app.digest)])
        config = write_config(root, f"registries:\n  - name: lab\n    url: {registry.url}\n")
        build(load_config(config, environ={}), root / "site", cache_dir=None)
        yield root / "site", registry.host


def test_a_cose_signature_pushed_with_notation_s_shape_is_shown(site: tuple[Path, str]) -> None:
    root, host = site
    page, data = read_page(root, paths.tag_path("lab", "signed/cose", "1.0"))
    (referrer,) = data["referrers"]
    assert referrer["kind"] == "signature"
    (claim,) = referrer["signatures"]
    assert (claim["identity"], claim["signed_at"]) == (SUBJECT, "2023-03-14T08:10:02Z")
    assert claim["verify"] == f"notation verify {host}/signed/cose@{data['digest']}"
    assert "CN=alpine" in page and "Not verified by sitegen." in page
