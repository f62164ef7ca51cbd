"""What pages say in words that their data holds as numbers, where the golden site does
not show it: crawl problems, and counts of one."""

from __future__ import annotations

from sitegen.config import SiteConfig
from sitegen.model import (
    Catalog,
    Change,
    Descriptor,
    Image,
    ImageConfig,
    Index,
    IndexEntry,
    Platform,
    Problem,
    Registry,
    Repository,
    Tag,
)
from sitegen.site.pages.catalog import build_pages
from sitegen.site.pages.supplychain_shapes import (
    FindingEntry,
    PackageEntry,
    SbomEntry,
    VulnerabilityReportEntry,
)
from sitegen.site.pages.views import sbom_view
from sitegen.site.pages.vulnerabilities import Vulnerabilities, advisory_url, report_view
from sitegen.site.render import Renderer
from sitegen.supplychain_model import Finding, Referrer, Vex, VexStatement, VulnerabilityReport


def test_problems_and_counts_are_said_in_words() -> None:
    repositories = (
        Repository(name="one", problems=(Problem("manifest unknown", tags=("a",)),)),
        Repository(
            name="two",
            problems=(
                Problem("manifest unknown", tags=("a", "c")),
                Problem("too large", tags=("b",), platforms=("linux/arm64",)),
            ),
        ),
    )
    catalog = Catalog(
        title="Words",
        registries=(
            Registry(
                name="many", url="https://r.test", pull_host="r.test", repositories=repositories
            ),
            Registry(
                name="single",
                url="https://s.test",
                pull_host="s.test",
                repositories=(Repository(name="x"),),
            ),
        ),
    )
    renderer = Renderer(SiteConfig())
    html = {page.path: renderer.html(page) for page in build_pages(catalog)}
    assert "<summary>1 problem while crawling</summary>" in html["many/one/"]
    assert "<summary>2 problems while crawling</summary>" in html["many/two/"]
    assert "<li>manifest unknown (tags a, c)</li>" in html["many/two/"]
    assert "<li>too large (tag b; platform linux/arm64)</li>" in html["many/two/"]
    assert "<p>2 repositories · 0 tags</p>" in html[""]
    assert "<p>1 repository · 0 tags</p>" in html[""]
    assert "<caption>1 repository · 0 tags</caption>" in html["single/"]


def test_the_changes_page_counts_its_changes() -> None:
    one = Change("2024-06-01T00:00:00Z", "r", "app", "repository-added")
    two = Change("2024-06-02T00:00:00Z", "r", "app", "tag-added", tag="1")
    registry = Registry(name="r", url="https://r.test", pull_host="r.test")
    renderer = Renderer(SiteConfig())
    for changes, caption in (((one,), "1 change"), ((two, one), "2 changes")):
        catalog = Catalog(title="Words", registries=(registry,), changes=changes)
        page = next(p for p in build_pages(catalog) if p.path == "changes/")
        assert f"<caption>{caption}, newest first</caption>" in renderer.html(page)


def _image(digest: str, annotations: dict[str, str], labels: dict[str, str]) -> Image:
    config = Descriptor("application/vnd.oci.image.config.v1+json", "sha256:" + "c" * 64, 2)
    return Image(
        digest=digest,
        media_type="application/vnd.oci.image.manifest.v1+json",
        manifest_size=2,
        config_descriptor=config,
        annotations=annotations,
        platform=Platform("linux", "amd64"),
        config=ImageConfig(digest=config.digest, labels=labels),
    )


def test_the_same_annotations_are_shown_once_under_their_own_heading() -> None:
    """An image's annotations are its manifest's: one table, not two; annotations equal
    to the labels, or to the index's shown above, are named instead of repeated."""
    same = {"org.opencontainers.image.source": "https://example.com/a"}
    own = _image("sha256:" + "1" * 64, {"org.example.build": "42"}, same)
    echo = _image("sha256:" + "2" * 64, same, same)
    child = _image("sha256:" + "3" * 64, same, {})
    index = Index(
        digest="sha256:" + "4" * 64,
        media_type="application/vnd.oci.image.index.v1+json",
        manifest_size=2,
        entries=(IndexEntry(Descriptor(child.media_type, child.digest, 2), image=child),),
        annotations=same,
    )
    repo = Repository(
        name="app",
        tags=(Tag("own", own.digest), Tag("echo", echo.digest), Tag("multi", index.digest)),
        manifests={m.digest: m for m in (own, echo, index, child)},
    )
    catalog = Catalog(
        title="Once",
        registries=(
            Registry(name="r", url="https://r.test", pull_host="r.test", repositories=(repo,)),
        ),
    )
    renderer = Renderer(SiteConfig())
    html = {page.path: renderer.html(page) for page in build_pages(catalog)}

    page = html["r/app/_tags/own/"]
    assert page.count('<h2 id="annotations-h">Annotations</h2>') == 1
    assert page.count("org.<wbr>example.<wbr>build") == 1  # one table, keys broken at dots
    assert '<h2 id="labels-h">Labels</h2>' in page

    page = html["r/app/_tags/echo/"]
    assert "The same as the labels." in page
    assert page.count("org.<wbr>opencontainers.<wbr>image.<wbr>source") == 1  # the labels

    page = html["r/app/_tags/multi/"]
    assert page.count('<h2 id="index-annotations-h">Index annotations</h2>') == 1

    digest_pages = [p for p in html if p.startswith("r/app/_digests/")]
    child_page = next(html[p] for p in digest_pages if child.digest.replace(":", "-") in p)
    assert "The same as the labels." not in child_page  # its labels are empty
    assert child_page.count("org.<wbr>opencontainers.<wbr>image.<wbr>source") == 1


def _sbom(count: int, kept: int) -> SbomEntry:
    package: PackageEntry = {"name": "p", "version": "", "ecosystem": "", "license": "", "purl": ""}
    return {
        "format": "SPDX-2.3",
        "package_count": count,
        "packages": [package] * kept,
        "tool": "",
        "created": "",
        "found_through": "referrers API",
        "attestation": "",
        "document": "",
        "note": "",
    }


def test_sbom_counts_in_words_and_a_caption_that_says_when_packages_were_left_out() -> None:
    one = sbom_view(_sbom(1, 1))
    assert (one["count"], one["caption"]) == ("1 package", "1 package")
    many = sbom_view(_sbom(5000, 2000))
    assert many["count"] == "5,000 packages"
    assert many["caption"] == "The first 2,000 of 5,000 packages"
    assert sbom_view(_sbom(0, 0))["caption"] == "0 packages"


def _report(count: int, kept: int, *, scanner: str = "trivy") -> VulnerabilityReportEntry:
    finding: FindingEntry = {
        "id": "CVE-1",
        "url": "",
        "severity": "low",
        "package": "p",
        "installed": "",
        "fixed": "",
        "status": "",
        "purl": "",
        "vex_status": "",
        "vex_justification": "",
    }
    counts = {"critical": 0, "high": 0, "medium": 0, "low": count, "unknown": 0}
    return {
        "format": "Trivy",
        "scanner": scanner,
        "scanner_version": "",
        "scanned_at": "",
        "finding_count": count,
        "counts": counts,
        "counts_after_vex": {**counts, "low": max(count - 3, 0)},
        "vex_not_affected": min(count, 2),
        "vex_fixed": min(count, 1),
        "findings": [finding] * kept,
        "found_through": "referrers API",
        "attestation": "",
        "document": "",
        "note": "",
    }


def test_vulnerability_counts_vex_effect_and_captions_in_words() -> None:
    clean = report_view(_report(0, 0))
    assert clean["empty"] == "No findings reported by trivy."
    assert (clean["summary"], clean["vex_effect"]) == ("no findings", "")
    assert report_view(_report(0, 0, scanner=""))["empty"] == "No findings reported by Trivy."
    one = report_view(_report(1, 1))
    assert one["caption"] == "1 finding, worst first" and one["empty"] == ""
    assert one["vex_effect"] == "1 not affected and 1 fixed per VEX, not counted after VEX"
    many = report_view(_report(5000, 2000))
    assert many["caption"] == "The first 2,000 of 5,000 findings, worst first"
    assert many["summary"] == "4,997 low"
    assert ("low", 5000, 4997) in many["counts"]
    assert [s for s, _, _ in many["counts"]] == ["critical", "high", "medium", "low", "unknown"]


def test_advisory_links_only_for_plain_ids() -> None:
    assert advisory_url("CVE-2024-9143") == "https://nvd.nist.gov/vuln/detail/CVE-2024-9143"
    assert (
        advisory_url("GHSA-4w2j-2rg4-5mjw") == "https://github.com/advisories/GHSA-4w2j-2rg4-5mjw"
    )
    assert advisory_url("ALPINE-13661") == ""
    assert advisory_url("CVE-1/../../x") == advisory_url('CVE-1"><x') == ""


def test_the_newest_applying_vex_statement_decides_and_the_badge_follows() -> None:
    digest = "sha256:" + "1" * 64
    report = VulnerabilityReport(
        "Trivy",
        scanner="trivy",
        counts=(1, 0, 0, 0, 0),
        findings=(Finding("CVE-1", "critical", "openssl"),),
        finding_count=1,
        document="sha256:" + "2" * 64,
    )

    def vex(status: str, timestamp: str, n: str) -> Vex:
        statement = VexStatement("CVE-1", status, timestamp=timestamp, digests=(digest,))
        return Vex("OpenVEX v0.2.0", statements=(statement,), statement_count=1, document=n)

    def scans(*documents: Vex) -> Vulnerabilities:
        referrers = (
            Referrer("sha256:" + "3" * 64, "vulnerability-report", vulnerabilities=(report,)),
            Referrer("sha256:" + "4" * 64, "vex", vex=documents),
        )
        return Vulnerabilities(Repository(name="app", referrers={digest: referrers}))

    # Listed later and later as text, but made earlier: the newer "affected" decides.
    older_last = scans(
        vex("affected", "2024-01-01T06:00:00Z", "a"),
        vex("not_affected", "2024-01-01T10:00:00+05:00", "b"),  # 05:00 UTC: older
    )
    (entry,) = older_last.report_entries(digest)
    assert entry["findings"][0]["vex_status"] == "affected"
    assert entry["counts_after_vex"]["critical"] == 1
    assert older_last.badge(digest) == {
        "text": "1 critical",
        "severity": "critical",
        "title": "A vulnerability report: 1 critical, after VEX (shown, not checked by sitegen)",
    }
    newer = scans(
        vex("affected", "2024-01-01T00:00:00Z", "a"),
        vex("not_affected", "2024-06-01T00:00:00Z", "b"),
    )
    (entry,) = newer.report_entries(digest)
    assert (entry["findings"][0]["vex_status"], entry["vex_not_affected"]) == ("not_affected", 1)
    badge = newer.badge(digest)
    assert badge is not None and (badge["text"], badge["severity"]) == ("no findings", "none")
    assert scans().badge("sha256:" + "9" * 64) is None  # no report: no badge
