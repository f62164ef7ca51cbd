"""What scanners found in an image, as tag and digest pages show it: the vulnerability
reports about a manifest (Trivy and Grype reports among its referrers, cosign vuln
attestations, BuildKit attestations), counted by severity as reported and after the VEX
statements that apply to it, each finding linked; the VEX documents and which of their
statements apply; the badge of the tag lists.

A report is what its scanner found when it ran: read, not checked (sitegen runs no
scanner). Which VEX statement applies to which image is ``oci.vex``'s rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypedDict

from sitegen.dates import parse_rfc3339
from sitegen.model import Index, Repository
from sitegen.oci import vex as openvex
from sitegen.site.pages.supplychain import Found, documents_by_subject
from sitegen.site.pages.supplychain_shapes import (
    FindingEntry,
    VexEntry,
    VexStatementEntry,
    VulnerabilityBadge,
    VulnerabilityReportEntry,
)
from sitegen.supplychain_model import (
    SEVERITIES,
    Finding,
    Vex,
    VexStatement,
    VulnerabilityReport,
)

_UNDATED = datetime.min.replace(tzinfo=UTC)
_ADVISORIES = (
    ("CVE-", "https://nvd.nist.gov/vuln/detail/"),
    ("GHSA-", "https://github.com/advisories/"),
)


class ReportView(TypedDict):
    """One report as a card shows it."""

    report: VulnerabilityReportEntry
    # (severity, as reported, after VEX) for each severity, worst first.
    counts: list[tuple[str, int, int]]
    summary: str  # "1 critical, 2 low" (after VEX), "no findings"
    vex_effect: str  # "2 not affected and 1 fixed per VEX, not counted after VEX"
    caption: str  # of its findings table: "3 findings", "The first 2,000 of 5,000 findings"
    empty: str  # "No findings reported by trivy" for a clean report, else ""


@dataclass
class Vulnerabilities:
    """A repository's vulnerability reports and VEX documents, by the digest they are
    attached to, and how its manifests relate (index and platforms). Built once per
    repository."""

    repo: Repository
    reports: dict[str, list[Found[VulnerabilityReport]]] = field(default_factory=dict)
    vex: dict[str, list[Found[Vex]]] = field(default_factory=dict)
    parents: dict[str, set[str]] = field(default_factory=dict)
    children: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reports = documents_by_subject(self.repo, lambda item: item.vulnerabilities)
        self.vex = documents_by_subject(self.repo, lambda item: item.vex)
        for digest, manifest in self.repo.manifests.items():
            if isinstance(manifest, Index):
                for entry in manifest.entries:
                    self.parents.setdefault(entry.descriptor.digest, set()).add(digest)
                    self.children.setdefault(digest, set()).add(entry.descriptor.digest)

    def related(self, digest: str) -> set[str]:
        """``digest``, the indexes it is a platform of, and its own platforms."""
        return {digest, *self.parents.get(digest, ()), *self.children.get(digest, ())}

    def _statements(self, digest: str) -> list[VexStatement]:
        """The VEX statements that apply to ``digest``, oldest first: of the documents
        attached to it or to an index it is a platform of."""
        related = self.related(digest)
        attached = [digest, *sorted(self.parents.get(digest, ()))]
        found = [
            s
            for d in attached
            for document, _, _ in self.vex.get(d, [])
            for s in document.statements
            if s.status and openvex.applies(s, related, self.repo.name)
        ]
        # Oldest first, by the moment each was made (undated ones first); stable, so a
        # later statement of one document overrides an earlier one made at that moment.
        return sorted(found, key=lambda s: parse_rfc3339(s.timestamp) or _UNDATED)

    def report_entries(
        self, digest: str, *, keep_findings: bool = True
    ) -> list[VulnerabilityReportEntry]:
        """The reports about ``digest``, VEX applied; without their finding lists unless
        ``keep_findings`` (counts kept)."""
        reports = self.reports.get(digest)
        if not reports:
            return []  # most images have none: no VEX to gather for them
        statements = self._statements(digest)
        return [
            _report_entry(report, through, attestation, statements, keep_findings)
            for report, through, attestation in reports
        ]

    def vex_entries(self, digest: str) -> list[VexEntry]:
        """The VEX documents attached to ``digest`` or to an index it is a platform of,
        each statement saying whether it applies to ``digest``."""
        if not self.vex:
            return []
        related = self.related(digest)
        attached = [digest, *sorted(self.parents.get(digest, ()))]
        return [
            _vex_entry(document, through, attestation, related, self.repo.name)
            for d in attached
            for document, through, attestation in self.vex.get(d, [])
        ]

    def badge(self, digest: str) -> VulnerabilityBadge | None:
        """The tag list's badge: the worst report's worst severity after VEX, of the
        digest and (for an index) of each of its platforms; ``None`` when no report was
        read."""
        counts = [
            entry["counts_after_vex"]
            for d in (digest, *sorted(self.children.get(digest, ())))
            for entry in self.report_entries(d, keep_findings=False)
            if entry["format"]
        ]
        if not counts:
            return None
        worst = min(counts, key=_worst_first)
        severity = next((s for s in SEVERITIES if worst[s]), "none")
        clean = severity == "none"
        text = "no findings" if clean else f"{worst[severity]:,} {severity}"
        where = " (its worst platform)" if self.children.get(digest) else ""
        return {
            "text": text,
            "severity": severity,
            "title": f"A vulnerability report{where}: {_summary(worst)}, after VEX"
            " (shown, not checked by sitegen)",
        }


def _report_entry(
    report: VulnerabilityReport,
    through: str,
    attestation: str,
    statements: list[VexStatement],
    keep_findings: bool,
) -> VulnerabilityReportEntry:
    counts = _counts(report.counts)
    after = _counts(report.counts)
    resolved = {"not_affected": 0, "fixed": 0}
    findings: list[FindingEntry] = []
    for finding in report.findings:
        statement = next((s for s in reversed(statements) if openvex.marks(s, finding)), None)
        if statement is not None and statement.status in resolved:
            resolved[statement.status] += 1
            after[finding.severity] -= 1
        if keep_findings:
            findings.append(_finding(finding, statement))
    return {
        "format": report.format,
        "scanner": report.scanner,
        "scanner_version": report.scanner_version,
        "scanned_at": report.scanned_at,
        "finding_count": report.finding_count,
        "counts": counts,
        "counts_after_vex": after,
        "vex_not_affected": resolved["not_affected"],
        "vex_fixed": resolved["fixed"],
        "findings": findings,
        "found_through": through,
        "attestation": attestation,
        "document": report.document,
        "note": report.note,
    }


def _finding(finding: Finding, statement: VexStatement | None) -> FindingEntry:
    return {
        "id": finding.id,
        "url": finding.url or advisory_url(finding.id),
        "severity": finding.severity,
        "package": finding.package,
        "installed": finding.installed,
        "fixed": finding.fixed,
        "status": finding.status,
        "purl": finding.purl,
        "vex_status": statement.status if statement is not None else "",
        "vex_justification": statement.justification if statement is not None else "",
    }


def advisory_url(identifier: str) -> str:
    """The well-known page of a vulnerability id (NVD for ``CVE-``, GitHub's advisory
    database for ``GHSA-``), ``""`` for others and for ids that are no plain word."""
    plain = identifier.replace("-", "").isalnum() and identifier.isascii()
    for prefix, base in _ADVISORIES:
        if plain and identifier.upper().startswith(prefix):
            return base + identifier
    return ""


def _vex_entry(
    document: Vex, through: str, attestation: str, related: set[str], repository: str
) -> VexEntry:
    statements: list[VexStatementEntry] = [
        {
            "vulnerability": s.vulnerability,
            "status": s.status,
            "justification": s.justification,
            "impact": s.impact,
            "products": list(s.products),
            "timestamp": s.timestamp,
            "applies": bool(s.status) and openvex.applies(s, related, repository),
        }
        for s in document.statements
    ]
    return {
        "format": document.format,
        "author": document.author,
        "timestamp": document.timestamp,
        "statement_count": document.statement_count,
        "applied": sum(s["applies"] for s in statements),
        "statements": statements,
        "found_through": through,
        "attestation": attestation,
        "document": document.document,
        "note": document.note,
    }


def _counts(values: tuple[int, ...]) -> dict[str, int]:
    padded = (*values, *(0 for _ in SEVERITIES))
    return dict(zip(SEVERITIES, padded, strict=False))


def _worst_first(counts: dict[str, int]) -> tuple[int, ...]:
    """Sorts the worst report first: more findings of a worse severity."""
    return tuple(-counts[s] for s in SEVERITIES)


def _summary(counts: dict[str, int]) -> str:
    parts = [f"{counts[s]:,} {s}" for s in SEVERITIES if counts[s]]
    return ", ".join(parts) or "no findings"


def report_view(entry: VulnerabilityReportEntry) -> ReportView:
    """One report as a card shows it: counts in words, the effect of VEX, the caption."""
    raw, after = entry["counts"], entry["counts_after_vex"]
    resolved = [
        f"{entry['vex_not_affected']:,} not affected" if entry["vex_not_affected"] else "",
        f"{entry['vex_fixed']:,} fixed" if entry["vex_fixed"] else "",
    ]
    effect = " and ".join(r for r in resolved if r)
    total, shown = entry["finding_count"], len(entry["findings"])
    count = f"{total:,} {'finding' if total == 1 else 'findings'}"
    empty = ""
    if entry["format"] and not total:
        empty = f"No findings reported by {entry['scanner'] or entry['format']}."
    return {
        "report": entry,
        "counts": [(s, raw[s], after[s]) for s in SEVERITIES],
        "summary": _summary(after),
        "vex_effect": f"{effect} per VEX, not counted after VEX" if effect else "",
        "caption": f"The first {shown:,} of {count}, worst first"
        if shown < total
        else f"{count}, worst first",
        "empty": empty,
    }
