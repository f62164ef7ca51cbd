"""SBOM documents as the crawl reads them: real SPDX 2.x and CycloneDX JSON (plain, in an
in-toto statement, in a DSSE envelope) -> package counts and packages; hostile and broken
documents become notes, every string masked and cut."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from sitegen.oci import sbom
from sitegen.oci.masking import MASK, Masker
from sitegen.supplychain_model import Package

SUPPLY_CHAIN = Path(__file__).parent / "fixtures" / "real-world" / "supply-chain"
IN_TOTO = "application/vnd.in-toto+json"
DSSE = "application/vnd.dsse.envelope.v1+json"
DIGEST = "sha256:" + "ab" * 32
TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"


def _data(name: str) -> bytes:
    return (SUPPLY_CHAIN / name).read_bytes()


def _read(data: bytes, media_type: str = IN_TOTO) -> sbom.Sbom:
    found = sbom.read(data, media_type, DIGEST, Masker())
    assert found is not None
    return found


def _statement(predicate_type: str, predicate: Any) -> dict[str, Any]:
    return {
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": predicate_type,
        "subject": [{"name": "app", "digest": {"sha256": "cd" * 32}}],
        "predicate": predicate,
    }


def _envelope(statement: dict[str, Any]) -> bytes:
    payload = base64.b64encode(json.dumps(statement).encode()).decode()
    return json.dumps(
        {"payloadType": IN_TOTO, "payload": payload, "signatures": [{"keyid": "", "sig": "AA=="}]}
    ).encode()


def test_buildkit_spdx_statement() -> None:
    found = _read(_data("spdx-buildkit-statement-2025.json"))
    assert (found.format, found.package_count, found.note) == ("SPDX-2.3", 2, "")
    assert found.tool == "syft-v1.18.1, buildkit-v0.20.2"
    assert found.created == "2025-03-28T09:38:12Z"
    assert found.document == DIGEST
    assert found.packages[1] == Package(
        "github.com/caarlos0/env/v11",
        version="v11.3.1",
        ecosystem="golang",
        purl="pkg:golang/github.com/caarlos0/env@v11.3.1#v11",
    )


def test_plain_spdx_from_syft_with_licenses_and_qualified_purls() -> None:
    found = _read(_data("spdx-syft-alpine-2022.json"), "text/spdx+json")
    assert (found.format, found.package_count) == ("SPDX-2.2", 14)
    names = [p.name for p in found.packages]
    assert names == sorted(names, key=str.casefold) and "musl" in names
    musl = next(p for p in found.packages if p.name == "musl")
    assert (musl.version, musl.ecosystem, musl.license) == ("1.2.3-r0", "alpine", "MIT")
    assert musl.purl.startswith("pkg:alpine/musl@1.2.3-r0?arch=x86_64")
    assert any(" AND " in p.license for p in found.packages)  # SPDX expressions kept


def test_spdx_packages_without_version_or_name() -> None:
    found = _read(_data("spdx-ko-multiarch-2022.json"), "application/spdx+json")
    assert found.package_count == 3
    assert found.packages[0] == Package("", ecosystem="golang", purl="pkg:golang/@?type=module")
    assert {p.ecosystem for p in found.packages} == {"golang", "oci"}


def test_plain_cyclonedx_from_syft() -> None:
    found = _read(_data("cyclonedx-syft-distroless-2022.json"), "application/vnd.cyclonedx+json")
    assert (found.format, found.package_count, found.tool) == ("CycloneDX 1.4", 3, "syft 0.58.0")
    assert [(p.name, p.ecosystem) for p in found.packages] == [
        ("base-files", "deb"),
        ("netbase", "deb"),
        ("tzdata", "deb"),
    ]
    netbase = found.packages[1]
    assert (netbase.version, netbase.license) == ("6.3", "GPL-2.0-only")
    assert "package-id" not in netbase.purl  # the purl, not syft's bom-ref


def test_nested_cyclonedx_components_are_all_read() -> None:
    found = _read(_data("cyclonedx-nested-components-2024.json"), "application/vnd.cyclonedx+json")
    assert found.package_count == 3
    assert {p.ecosystem for p in found.packages} == {"oci", "rpm", "maven"}


def test_cyclonedx_in_a_cosign_statement_and_in_its_dsse_envelope() -> None:
    data = _data("cyclonedx-cosign-attestation-statement-2023.json")
    plain = _read(data)
    assert (plain.format, plain.package_count, plain.tool) == ("CycloneDX 1.4", 7, "syft 0.78.0")
    libc = next(p for p in plain.packages if p.name == "libc6")
    assert libc.license == "GPL-2.0-only, LGPL-2.1-only"
    assert next(p for p in plain.packages if p.name == "debian").ecosystem == "operating-system"
    enveloped = _read(_envelope(json.loads(data)), DSSE)
    assert enveloped == plain


def test_spdx_in_a_sigstore_bundle_and_in_cosign_data_wrapping() -> None:
    document = json.loads(_data("spdx-syft-alpine-2022.json"))
    statement = _statement(sbom.SPDX_PREDICATE, document)
    bundle = {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}
    bundle["dsseEnvelope"] = json.loads(_envelope(statement))
    assert _read(json.dumps(bundle).encode(), bundle["mediaType"]).package_count == 14
    wrapped = _statement(sbom.SPDX_PREDICATE, {"Data": json.dumps(document), "Timestamp": "x"})
    assert _read(_envelope(wrapped), DSSE).package_count == 14


def test_a_statement_of_another_predicate_is_not_an_sbom() -> None:
    data = _data("slsa-v02-buildkit-statement-2025.json")
    assert sbom.read(data, IN_TOTO, DIGEST, Masker()) is None


@pytest.mark.parametrize(
    ("data", "media_type", "note"),
    [
        (b"SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n", "text/spdx", "could not be read"),
        (b'{"bomFormat": "CycloneDX", "components": {"a": 1}', IN_TOTO, "could not be read"),
        (b'{"spdxVersion": "SPDX-3.0", "packages": []}', "application/spdx+json", "SPDX-3.0"),
        (b'{"name": "not an sbom"}', "application/spdx+json", "neither SPDX 2.x nor CycloneDX"),
        (b'{"payload": "%%%"}', DSSE, "no in-toto statement"),
        (json.dumps(_statement(sbom.SPDX_PREDICATE, [1])).encode(), IN_TOTO, "no SBOM document"),
    ],
)
def test_unreadable_documents_become_notes(data: bytes, media_type: str, note: str) -> None:
    found = _read(data, media_type)
    assert note in found.note
    assert (found.format, found.packages, found.document) == ("", (), DIGEST)


def test_hostile_values_are_masked_cut_and_wrong_types_ignored() -> None:
    document = json.loads(_data("cyclonedx-syft-distroless-2022.json"))
    components = document["components"]
    components[0]["name"] = "<script>alert(1)</script>" + "x" * 5000
    components[1]["version"] = f"1.0+{TOKEN}"
    components[1]["purl"] = f"pkg:deb/debian/netbase@6.3?token={TOKEN}"
    components[2]["licenses"] = [{"license": 7}, "MIT", {"expression": ["GPL"]}]
    components.append({"name": {"nested": "object"}, "version": 3, "components": "nope"})
    nested: dict[str, Any] = {"name": "deep"}
    for _ in range(25):  # 52 JSON levels: within what the loader takes
        nested = {"name": "deep", "components": [nested]}
    components.append(nested)
    found = _read(json.dumps(document).encode(), "application/vnd.cyclonedx+json")
    text = repr(found.packages)
    assert TOKEN not in text and MASK in text
    long = next(p for p in found.packages if p.name.startswith("<script>"))
    assert len(long.name) == sbom.MAX_TEXT and long.name.endswith("…")
    assert next(p for p in found.packages if p.name == "tzdata").license == ""
    assert 10 < sum(p.name == "deep" for p in found.packages) < 25  # read to a bound
    assert any(p == Package("") for p in found.packages)


def test_only_the_first_packages_are_kept_but_all_counted() -> None:
    packages = [{"SPDXID": f"SPDXRef-{n}", "name": f"p{n:05}"} for n in range(2500)]
    document = {"spdxVersion": "SPDX-2.3", "packages": packages}
    found = _read(json.dumps(document).encode(), "application/spdx+json")
    assert (found.package_count, len(found.packages)) == (2500, sbom.MAX_PACKAGES)


def test_layers_that_may_hold_an_sbom() -> None:
    def layer(media_type: str, n: int, predicate: str = "") -> dict[str, Any]:
        found: dict[str, Any] = {"mediaType": media_type, "digest": f"sha256:{n:064}", "size": n}
        if predicate:
            found["annotations"] = {"in-toto.io/predicate-type": predicate}
        return found

    manifest = {
        "layers": [
            layer(IN_TOTO, 1, sbom.SPDX_PREDICATE),
            layer(IN_TOTO, 2, "https://slsa.dev/provenance/v0.2"),
            layer(DSSE, 3),
            layer("text/spdx+json", 4),
            layer("application/vnd.cyclonedx+json", 5),
            layer("application/vnd.oci.image.layer.v1.tar+gzip", 6),
            layer("text/spdx", 7),
            {"mediaType": IN_TOTO, "digest": "sha256:" + "0" * 64, "size": True},
            "not a layer",
        ]
    }
    assert [size for _, _, size in sbom.sbom_layers(manifest)] == [1, 3, 4, 5, 7]
    assert sbom.unread_format("text/spdx").startswith("not read: text/spdx")
    assert sbom.unread_format("text/spdx+json") == ""
    assert sbom.sbom_layers({"layers": "none"}) == []


def _kept(data: bytes, media_type: str = IN_TOTO) -> tuple[sbom.Sbom, dict[str, bytes]]:
    stored: dict[str, bytes] = {}
    found = sbom.read(data, media_type, DIGEST, Masker(), stored.__setitem__)
    assert found is not None
    return found, stored


def test_the_document_is_kept_for_download_unwrapped_and_named_by_its_bytes() -> None:
    statement = json.loads(_data("spdx-buildkit-statement-2025.json"))
    for data, media_type in (
        (json.dumps(statement).encode(), IN_TOTO),
        (_envelope(statement), DSSE),
    ):
        found, stored = _kept(data, media_type)
        ((name, body),) = stored.items()
        assert found.download == name == "sha256:" + hashlib.sha256(body).hexdigest()
        assert (found.download_size, found.masked) == (len(body), False)
        # The SPDX document (the predicate), not the statement or the envelope around it.
        assert json.loads(body) == statement["predicate"]
    plain = _data("cyclonedx-syft-distroless-2022.json")
    found, stored = _kept(plain, "application/vnd.cyclonedx+json")
    assert json.loads(stored[found.download]) == json.loads(plain)
    # Compact, and the same bytes however the registry spaced them.
    assert b"\n" not in stored[found.download]
    again, _ = _kept(json.dumps(json.loads(plain), indent=4).encode(), "application/spdx+json")
    assert again.download == found.download


def test_every_string_and_key_of_a_kept_document_is_masked() -> None:
    document = json.loads(_data("spdx-syft-alpine-2022.json"))
    document["packages"][0]["versionInfo"] = f"1.0 {TOKEN}"
    document["packages"][1]["externalRefs"][0]["comment"] = f"see https://user:{TOKEN}@example.com"
    document["annotations"] = {f"note {TOKEN}": "a key that carries a value"}
    document["creationInfo"]["comment"] = f"password={TOKEN}"
    found, stored = _kept(json.dumps(document).encode(), "application/spdx+json")
    body = stored[found.download]
    assert found.masked is True and TOKEN.encode() not in body and TOKEN[4:].encode() not in body
    kept = json.loads(body)
    assert kept["packages"][0]["versionInfo"].startswith("1.0 ") and MASK in body.decode()
    assert [k.startswith("note ") and TOKEN not in k for k in kept["annotations"]] == [True]
    assert kept["packages"][2] == document["packages"][2]  # the rest as it was


def test_nothing_is_kept_of_a_document_that_is_not_read() -> None:
    for data, media_type in (
        (b"{not json", "application/spdx+json"),
        (b'{"spdxVersion": "SPDX-3.0"}', "application/spdx+json"),
    ):
        found, stored = _kept(data, media_type)
        assert stored == {} and found.download == "" and found.note
    other = json.dumps(_statement("https://slsa.dev/provenance/v1", {})).encode()
    assert sbom.read(other, IN_TOTO, DIGEST, Masker(), lambda *_: pytest.fail("kept")) is None


def test_a_kept_document_longer_than_the_limit_is_not_offered() -> None:
    plain = _data("cyclonedx-syft-distroless-2022.json")
    found, stored = _kept(plain, "application/vnd.cyclonedx+json")
    size = found.download_size
    shown = sbom.read(
        plain, "application/vnd.cyclonedx+json", DIGEST, Masker(), stored.__setitem__, size - 1
    )
    assert shown is not None and shown.format and shown.package_count == found.package_count
    assert (shown.download, shown.download_size) == ("", 0)
    exact = sbom.read(
        plain, "application/vnd.cyclonedx+json", DIGEST, Masker(), stored.__setitem__, size
    )
    assert exact is not None and exact.download == found.download
