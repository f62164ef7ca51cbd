"""Real vulnerability reports and VEX documents for the lab: Trivy and Grype reports,
cosign vuln predicates and OpenVEX documents captured from public sources
(``tests/fixtures/real-world/supply-chain/``, sources in its README), attached to lab
images the way scanners' users push them.

A report keeps its findings as the scanner wrote them (a lab image holds no such
packages: the page shows what the report says, which is all sitegen ever shows). A VEX
document's products are pointed at the lab image it is about, so its statements apply.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

from lab.attestations import compact, cosign_attestation, dsse_envelope, statement
from lab.images import artifact
from lab.oci import Built

TRIVY_REPORT = "application/vnd.aquasec.trivy.report+json"
OPENVEX = "application/vnd.openvex+json"
PLAIN_JSON = "application/json"
COSIGN_VULN = "https://cosign.sigstore.dev/attestation/vuln/v1"
TRIVY_ALPINE = "trivy-alpine-latest-2024.json"
TRIVY_DEBIAN = "trivy-debian-buster-golden.json"
GRYPE = "grype-git-init-2022.json"
COSIGN_VULN_TRIVY = "cosign-vuln-predicate-trivy-2022.json"
OPENVEX_ALPINE = "openvex-v0.2.0-alpine-2023.json"


def document(fixture: str) -> dict[str, Any]:
    """A real report or VEX document, parsed."""
    return statement(fixture)


def report_referrer(
    subject: Built,
    report: bytes,
    *,
    artifact_type: str = TRIVY_REPORT,
    layer_type: str = PLAIN_JSON,
) -> Built:
    """A scan report attached to ``subject`` like ``oras attach --artifact-type ...
    report.json`` does: an OCI 1.1 artifact with the report as its one layer."""
    return artifact(
        artifact_type=artifact_type,
        subject=subject,
        layers=((layer_type, report),),
        annotations={"org.opencontainers.image.created": "2024-12-26T16:30:00Z"},
    )


def openvex(
    digest: str,
    *,
    name: str,
    statuses: Sequence[tuple[str, str, str, str]] = (),
    fixture: str = OPENVEX_ALPINE,
) -> bytes:
    """An OpenVEX v0.2.0 document about the image ``name@digest``: the real document
    (its statements, author and times) with its products naming that image; with
    ``statuses`` (vulnerability, package, status, justification) its statements are
    those instead, in its shape."""
    found = document(fixture)
    template = found["statements"][-1]
    product = {
        "@id": f"pkg:oci/{name.rpartition('/')[2]}@{digest.replace(':', '%3A')}",
        "subcomponents": [],
    }
    statements = []
    if statuses:
        for vulnerability, package, status, justification in statuses:
            entry = copy.deepcopy(template)
            entry["vulnerability"] = {"name": vulnerability}
            entry["products"] = [{**product, "subcomponents": [{"@id": f"pkg:generic/{package}"}]}]
            entry["status"] = status
            entry.pop("impact_statement", None)  # the template's words are about alpine
            entry.pop("justification", None)
            if justification:
                entry["justification"] = justification
            statements.append(entry)
    else:
        for entry in found["statements"]:
            subcomponents = entry["products"][0]["subcomponents"]
            statements.append({**entry, "products": [{**product, "subcomponents": subcomponents}]})
    found["statements"] = statements
    return json.dumps(found, indent=2).encode()


def vex_referrer(subject: Built, vex: bytes) -> Built:
    """An OpenVEX document attached to ``subject`` as a referrer."""
    return artifact(
        artifact_type=OPENVEX,
        subject=subject,
        layers=((OPENVEX, vex),),
        annotations={"org.opencontainers.image.created": "2024-12-27T09:00:00Z"},
    )


def cosign_vuln_attestation(subject: Built, result: dict[str, Any] | None = None) -> Built:
    """``cosign attest --type vuln`` of ``subject`` (its ``sha256-<hex>.att``): the real
    predicate ``trivy --format cosign-vuln`` wrote, embedding a Trivy report (or
    ``result``), in a DSSE envelope."""
    predicate = document(COSIGN_VULN_TRIVY)
    if result is not None:
        predicate["scanner"]["result"] = result
    claim = {
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": COSIGN_VULN,
        "subject": [{"name": "lab", "digest": {"sha256": subject.digest.partition(":")[2]}}],
        "predicate": predicate,
    }
    return cosign_attestation(subject, [dsse_envelope(claim)], predicate_type=COSIGN_VULN)


def plain(fixture: str) -> bytes:
    """A real report as a scanner writes it to a file (compact JSON)."""
    return compact(document(fixture))
