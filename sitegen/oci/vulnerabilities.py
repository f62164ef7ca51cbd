"""Vulnerability reports: Trivy and Grype JSON and cosign vuln attestations ->
``VulnerabilityReport``; OpenVEX documents -> ``Vex`` (read in ``oci.vex``). No I/O.

Where they are:

- a referrer whose ``artifactType`` or layer type names the report (Trivy, Grype,
  ``application/vnd.openvex+json``), or whose plain ``application/json`` layer turns out
  to hold a Trivy or Grype report or an OpenVEX document (sniffed, for referrers only);
- a cosign attestation (``sha256-<hex>.att``), a referrer or a BuildKit attestation
  manifest: an in-toto statement (plain, in a DSSE envelope or a sigstore bundle, read by
  ``oci.provenance.statement``) with the predicate type
  ``https://cosign.sigstore.dev/attestation/vuln/v1`` or an OpenVEX one.

The cosign vuln predicate (``scanner.uri/version/result``, ``metadata.scanStartedOn``/
``scanFinishedOn``) embeds the scanner's own report in ``scanner.result``: a Trivy or
Grype report there is read by the same code as a plain one. Go's zero time
(``0001-01-01T00:00:00Z``) means "not recorded".

Trivy: ``Results[].Vulnerabilities[]`` (absent or ``null``: no findings); a CVE listed for
two packages is two findings, keyed by (``VulnerabilityID``, ``PkgID``, else ``PkgName``
and ``InstalledVersion``); ``Severity`` is a word, ``VendorSeverity`` integers (1 = low ..
4 = critical) are used when it is missing. ``CreatedAt`` is RFC 3339 or Unix seconds.
Grype: ``matches[]`` of ``vulnerability`` and ``artifact``; its ``Negligible`` counts as low.
Every string is masked and cut to ``MAX_TEXT``; the worst ``MAX_FINDINGS`` findings are
kept, and the counts count them all. A document that cannot be read becomes a ``note``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sitegen.dates import utc_seconds
from sitegen.oci import jsonload, provenance, vex
from sitegen.oci.masking import Masker
from sitegen.oci.values import as_dict, as_list, as_text, cut
from sitegen.supplychain_model import SEVERITIES, Finding, Vex, VulnerabilityReport

COSIGN_VULN = "https://cosign.sigstore.dev/attestation/vuln/v1"
PLAIN_JSON = "application/json"
# Layer and artifact types that name a report (checked as substrings, lower case).
REPORT_TYPES = ("trivy", "grype", "openvex", "vuln")

MAX_TEXT = 256  # characters of one value shown
MAX_FINDINGS = 2000  # findings kept of one report
_GRYPE_SEVERITY = {"negligible": "low"}
_TRIVY_VENDOR = {1: "low", 2: "medium", 3: "high", 4: "critical"}
_LATEST_TIME = 253402300799  # 9999-12-31T23:59:59Z

Read = VulnerabilityReport | Vex | None


def is_vulnerability_predicate(predicate_type: str) -> bool:
    """The cosign vuln predicate, or an OpenVEX one."""
    return predicate_type == COSIGN_VULN or vex.is_vex_predicate(predicate_type)


def names_report(media_type: str) -> bool:
    """A layer or artifact type that names a vulnerability report or a VEX document."""
    lowered = media_type.lower()
    return any(word in lowered for word in REPORT_TYPES)


def report_layers(document: Mapping[str, Any], *, sniff: bool) -> list[tuple[str, str, int]]:
    """(media type, digest, size) of a manifest's layers that may hold a report or a VEX
    document: layers whose type (or the manifest's ``artifactType``) names one, in-toto,
    DSSE and sigstore bundle layers whose annotated predicate type is one or is not
    given, and with ``sniff`` (a referrer's layers) plain ``application/json`` ones."""
    artifact_type = document.get("artifactType")
    named = isinstance(artifact_type, str) and names_report(artifact_type)
    found = []
    for media_type, digest, size, predicate in provenance.layer_descriptors(document):
        if provenance.is_statement(media_type):
            wanted = not predicate or is_vulnerability_predicate(predicate)
        else:
            wanted = names_report(media_type) or (
                (named or sniff) and media_type.split(";")[0].strip() == PLAIN_JSON
            )
        if wanted:
            found.append((media_type, digest, size))
    return found


def read(data: bytes, media_type: str, digest: str, masker: Masker) -> Read:
    """The report or VEX document in one layer's bytes; ``None`` when the layer holds
    something else (a statement of another predicate type, JSON of another kind);
    a report with a ``note`` when a layer that names one cannot be read."""
    named = names_report(media_type)
    try:
        loaded = jsonload.load_object(data)
    except jsonload.JSONRefused as exc:
        if named or provenance.is_statement(media_type):
            return _failed(digest, f"the report could not be read: {exc}", masker)
        return None
    found = _plain(loaded, digest, masker)
    if found is not None:
        return found
    claim = provenance.statement(loaded, media_type)
    if claim is None:
        if named:
            return _failed(digest, "neither a Trivy or Grype report nor OpenVEX", masker)
        return None
    predicate_type = as_text(claim.get("predicateType"))
    predicate = claim.get("predicate")
    if vex.is_vex_predicate(predicate_type):
        if isinstance(predicate, dict) and vex.is_vex(predicate):
            return vex.read(predicate, digest, masker)
        return vex.failed(digest, "the statement holds no OpenVEX document", masker)
    if predicate_type != COSIGN_VULN:
        return None
    return _cosign(as_dict(predicate), digest, masker)


def _plain(document: dict[str, Any], digest: str, masker: Masker) -> Read:
    if _is_trivy(document):
        return _masked(_trivy(document), digest, masker)
    if _is_grype(document):
        return _masked(_grype(document), digest, masker)
    if vex.is_vex(document):
        return vex.read(document, digest, masker)
    return None


def _is_trivy(document: Mapping[str, Any]) -> bool:
    return "SchemaVersion" in document and ("Results" in document or "ArtifactName" in document)


def _is_grype(document: Mapping[str, Any]) -> bool:
    return "matches" in document and ("descriptor" in document or "source" in document)


def _cosign(predicate: dict[str, Any], digest: str, masker: Masker) -> VulnerabilityReport:
    scanner = as_dict(predicate.get("scanner"))
    metadata = as_dict(predicate.get("metadata"))
    uri, version = as_text(scanner.get("uri")), as_text(scanner.get("version"))
    name = _scanner_name(uri)
    scanned = _time(metadata.get("scanFinishedOn")) or _time(metadata.get("scanStartedOn"))
    result = scanner.get("result")
    if isinstance(result, dict) and _is_trivy(result):
        found = _trivy(result)
    elif isinstance(result, dict) and _is_grype(result):
        found = _grype(result)
    else:
        what = "no scan result" if result is None else "a scan result in a format not read"
        note = f"the cosign vuln attestation holds {what} (Trivy and Grype JSON are read)"
        found = VulnerabilityReport(
            "", scanner=name, scanner_version=version, scanned_at=scanned, note=note
        )
        return _masked(found, digest, masker)
    found = VulnerabilityReport(
        f"cosign vuln ({found.format})",
        scanner=name or found.scanner,
        scanner_version=version or found.scanner_version,
        scanned_at=scanned or found.scanned_at,
        counts=found.counts,
        findings=found.findings,
        finding_count=found.finding_count,
    )
    return _masked(found, digest, masker)


def _scanner_name(uri: str) -> str:
    """``pkg:github/aquasecurity/trivy@v0.30.1`` -> ``trivy``."""
    path = uri.removeprefix("pkg:").partition("@")[0].partition("?")[0].rstrip("/")
    return path.rpartition("/")[2]


def _trivy(document: dict[str, Any]) -> VulnerabilityReport:
    findings: dict[tuple[str, str], Finding] = {}
    for result in as_list(document.get("Results")):
        for item in as_list(as_dict(result).get("Vulnerabilities")):
            if not isinstance(item, dict):
                continue
            package, installed = as_text(item.get("PkgName")), as_text(item.get("InstalledVersion"))
            identifier = as_text(item.get("VulnerabilityID"))
            key = (identifier, as_text(item.get("PkgID")) or f"{package}@{installed}")
            findings.setdefault(
                key,
                Finding(
                    identifier,
                    _trivy_severity(item),
                    package,
                    installed=installed,
                    fixed=as_text(item.get("FixedVersion")),
                    status=as_text(item.get("Status")),
                    purl=as_text(as_dict(item.get("PkgIdentifier")).get("PURL")),
                    url=_http(item.get("PrimaryURL")),
                ),
            )
    trivy = document.get("Trivy")
    return _report(
        "Trivy",
        list(findings.values()),
        scanner="trivy",
        scanner_version=as_text(as_dict(trivy).get("Version")),
        scanned_at=_time(document.get("CreatedAt")),
    )


def _trivy_severity(item: Mapping[str, Any]) -> str:
    word = as_text(item.get("Severity")).lower()
    if word in SEVERITIES:
        return word
    vendors = {k: v for k, v in as_dict(item.get("VendorSeverity")).items() if _integer(v)}
    source = as_text(item.get("SeveritySource"))
    rank = vendors.get(source, max(vendors.values(), default=0))
    return _TRIVY_VENDOR.get(rank, "unknown")


def _grype(document: dict[str, Any]) -> VulnerabilityReport:
    findings: dict[tuple[str, str], Finding] = {}
    for match in as_list(document.get("matches")):
        vulnerability = as_dict(as_dict(match).get("vulnerability"))
        artifact = as_dict(as_dict(match).get("artifact"))
        identifier, package = as_text(vulnerability.get("id")), as_text(artifact.get("name"))
        installed = as_text(artifact.get("version"))
        word = as_text(vulnerability.get("severity")).lower()
        word = _GRYPE_SEVERITY.get(word, word)
        fix = as_dict(vulnerability.get("fix"))
        urls = [vulnerability.get("dataSource"), *as_list(vulnerability.get("urls"))]
        findings.setdefault(
            (identifier, f"{package}@{installed}"),
            Finding(
                identifier,
                word if word in SEVERITIES else "unknown",
                package,
                installed=installed,
                fixed=", ".join(v for v in as_list(fix.get("versions")) if isinstance(v, str)),
                status=as_text(fix.get("state")),
                purl=as_text(artifact.get("purl")),
                url=next((u for u in map(_http, urls) if u), ""),
            ),
        )
    descriptor = as_dict(document.get("descriptor"))
    return _report(
        "Grype",
        list(findings.values()),
        scanner=as_text(descriptor.get("name")) or "grype",
        scanner_version=as_text(descriptor.get("version")),
        scanned_at=_time(descriptor.get("timestamp")),
    )


def _report(
    kind: str, findings: list[Finding], *, scanner: str, scanner_version: str, scanned_at: str
) -> VulnerabilityReport:
    counts = tuple(sum(f.severity == s for f in findings) for s in SEVERITIES)
    rank = {s: n for n, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: (rank[f.severity], f.id, f.package, f.installed))
    return VulnerabilityReport(
        kind,
        scanner=scanner,
        scanner_version=scanner_version,
        scanned_at=scanned_at,
        counts=counts,
        findings=tuple(findings[:MAX_FINDINGS]),
        finding_count=len(findings),
    )


def _masked(found: VulnerabilityReport, digest: str, masker: Masker) -> VulnerabilityReport:
    def clean(value: str) -> str:
        return cut(masker.text(value), MAX_TEXT)

    return VulnerabilityReport(
        clean(found.format),
        scanner=clean(found.scanner),
        scanner_version=clean(found.scanner_version),
        scanned_at=clean(found.scanned_at),
        counts=found.counts,
        findings=tuple(
            Finding(
                clean(f.id),
                f.severity,
                clean(f.package),
                installed=clean(f.installed),
                fixed=clean(f.fixed),
                status=clean(f.status),
                purl=clean(f.purl),
                url=_http(clean(f.url)),
            )
            for f in found.findings
        ),
        finding_count=found.finding_count,
        document=digest,
        note=clean(found.note),
    )


def _failed(digest: str, note: str, masker: Masker) -> VulnerabilityReport:
    return VulnerabilityReport("", document=digest, note=cut(masker.text(note), MAX_TEXT))


def _time(value: Any) -> str:
    """RFC 3339 as given, or Unix seconds as RFC 3339 UTC; ``""`` for Go's zero time,
    anything else, and seconds outside years 1970 to 9999."""
    if isinstance(value, str):
        return "" if value.startswith("0001-01-01") else value
    number = _integer(value) or (isinstance(value, float) and math.isfinite(value))
    if number and 0 < value <= _LATEST_TIME:
        return utc_seconds(datetime.fromtimestamp(int(value), UTC))
    return ""


def _http(value: Any) -> str:
    """``value`` when it is an http(s) address (the only links a report may give)."""
    text = as_text(value)
    return text if text.lower().startswith(("https://", "http://")) and " " not in text else ""


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
