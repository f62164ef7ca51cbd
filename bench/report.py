"""Results -> the tables the benchmark prints, and the targets of issue 7 with verdicts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

PAGES_PER_CORE = 3000
COLD_RATIO = 1.5
BUILD_RATIO = 1.3  # a whole build, rendering included, against its network lower bound
SKOPEO_FACTOR = 40
BIG_SITE_TAGS = 100_000
BIG_SITE_SECONDS = 90
BIG_SITE_RSS_MB = 1024


def _kinds(requests: dict[str, int]) -> str:
    """``10000 HEAD, 1800 manifest, 1600 blob, 203 other``."""
    head = requests.get("head", 0)
    manifest = requests.get("manifest", 0)
    blob = requests.get("blob", 0)
    other = sum(requests.values()) - head - manifest - blob
    return f"{head} HEAD, {manifest} manifest, {blob} blob, {other} other"


def _render_point(results: dict[str, Any]) -> dict[str, Any] | None:
    """The scale point that speaks for rendering speed: the biggest one under 100k
    tags on the work directory's file system."""
    points = [
        p
        for p in results.get("scale", [])
        if p["filesystem"] == results["workdir"] and p["tags"] < BIG_SITE_TAGS
    ]
    return max(points, key=lambda p: p["tags"]) if points else None


def pages_alone(point: dict[str, Any]) -> float:
    """Pages per second without the search index and the feeds (written after the pages)."""
    seconds = float(point["seconds"] - point["search_seconds"] - point["feeds_seconds"])
    return float(point["pages"]) / max(seconds, 1e-9)


def skopeo_ratio(results: dict[str, Any], tool: str = "skopeo") -> dict[str, float] | None:
    """The tool's per-tag time extrapolated to the registry, against sitegen's cold build."""
    found = results.get("competitors", {}).get(tool)
    cold = results.get("builds", {}).get("cold")
    if not found or "skipped" in found or not cold:
        return None
    per_tag = found["seconds"] / found["tags"]
    whole = per_tag * results["dataset"]["tags"]
    sample = results["competitors"]["sitegen"]
    return {
        "per_tag_ms": round(per_tag * 1000, 1),
        "extrapolated_seconds": round(whole, 1),
        "ratio": round(whole / cold["seconds"], 2),
        "sample_ratio": round(found["seconds"] / sample["seconds"], 1),
    }


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the issue with what this run measured and whether it passed."""
    found: list[dict[str, Any]] = []
    builds = results.get("builds", {})
    if "warm" in builds:
        logged = builds["warm"]["logged"]["requests"]
        gets = logged.get("manifest", 0) + logged.get("blob", 0)
        found.append(
            {
                "target": "Warm rebuild: zero manifest GETs and zero blob GETs",
                "measured": f"{logged.get('manifest', 0)} manifest GETs, "
                f"{logged.get('blob', 0)} blob GETs (registry access log)",
                "pass": gets == 0,
            }
        )
    if "cold" in builds:
        cold = builds["cold"]
        found.append(
            {
                "target": f"Cold crawl at {results['delay_ms']:g} ms, concurrency "
                f"{results['concurrency']}: within {COLD_RATIO}x of the lower bound",
                "measured": f"crawl {cold['crawl_seconds']:.1f}s vs "
                f"{cold['lower_bound_seconds']:.1f}s = x{cold['crawl_ratio']} "
                f"(whole build incl. rendering x{cold['ratio']})",
                "pass": cold["crawl_ratio"] is not None and cold["crawl_ratio"] <= COLD_RATIO,
            }
        )
    for name in ("cold", "warm"):
        if name not in builds:
            continue
        run = builds[name]
        after = builds.get(f"{name}_after")
        beside = (
            f"; every page after the crawl: {after['seconds']:.1f}s = x{after['ratio']}"
            if after
            else ""
        )
        found.append(
            {
                "target": f"{name.capitalize()} build, rendering included, within "
                f"{BUILD_RATIO}x of its lower bound",
                "measured": f"{run['seconds']:.1f}s vs {run['lower_bound_seconds']:.1f}s = "
                f"x{run['ratio']} (render tail {run['render_seconds']:.1f}s){beside}",
                "pass": run["ratio"] is not None and run["ratio"] <= BUILD_RATIO,
            }
        )
    for row in results.get("elsewhere", []):
        if row["render"] != "beside the crawl":
            continue
        after = next(r for r in results["elsewhere"] if r["build"] == row["build"] and r is not row)
        found.append(
            {
                "target": f"{row['build'].capitalize()} build, rendering included, within "
                f"{BUILD_RATIO}x of its lower bound, the registry elsewhere",
                "measured": f"{row['seconds']:.1f}s vs {row['bound_seconds']:.1f}s = "
                f"x{row['ratio']} (after the crawl {row['after_crawl_seconds']:.1f}s); every "
                f"page after the crawl: {after['seconds']:.1f}s = x{after['ratio']}",
                "pass": row["ratio"] <= BUILD_RATIO,
            }
        )
    skopeo = skopeo_ratio(results)
    if skopeo is not None:
        found.append(
            {
                "target": f"At least {SKOPEO_FACTOR}x faster than the skopeo loop",
                "measured": f"x{skopeo['ratio']} ({skopeo['per_tag_ms']:.0f} ms/tag x "
                f"{results['dataset']['tags']} tags = {skopeo['extrapolated_seconds']:.0f}s "
                f"vs {builds['cold']['seconds']:.1f}s cold build)",
                "pass": skopeo["ratio"] >= SKOPEO_FACTOR,
            }
        )
    point = _render_point(results)
    if point is not None:
        cores = results["machine"]["cores"]
        per_core = point["pages_per_second"] / cores
        both = cores < 2 or point["cores_busy"] >= 1.5
        found.append(
            {
                "target": f"Rendering incl. writes: >= {PAGES_PER_CORE} pages/s per core, "
                "every core used",
                "measured": f"{point['pages_per_second']} pages/s at {point['tags']} tags = "
                f"{per_core:.0f} per core ({pages_alone(point) / cores:.0f} without the search "
                f"index and feeds); {point['cores_busy']} of {cores} cores busy",
                "pass": per_core >= PAGES_PER_CORE and both,
            }
        )
    big = [p for p in results.get("scale", []) if p["tags"] >= BIG_SITE_TAGS]
    if big:
        p = big[0]
        rss = max(p["peak_rss_mb"], p["children_peak_rss_mb"])
        found.append(
            {
                "target": f"{BIG_SITE_TAGS // 1000}k tags rendered in < {BIG_SITE_SECONDS}s, "
                f"peak RSS < {BIG_SITE_RSS_MB} MB",
                "measured": f"{p['seconds']:.1f}s ({p['feeds_seconds']:.0f}s of it the feeds), "
                f"{p['files']} files; peak RSS {rss:.0f} MB (largest process)",
                "pass": p["seconds"] < BIG_SITE_SECONDS and rss < BIG_SITE_RSS_MB,
            }
        )
    return found


def _table(header: Sequence[str], rows: Sequence[Sequence[object]], markdown: bool) -> str:
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    if markdown:
        lines = ["| " + " | ".join(cells[0]) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in cells[1:]]
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render(results: dict[str, Any], *, markdown: bool = False) -> str:
    """Every table of a run, as plain text or markdown."""
    parts: list[str] = []
    data = results["dataset"]
    machine = results["machine"]
    parts.append(
        f"{results['mode']} run: {data['tags']} tags in {data['repositories']} repositories "
        f"({data['distinct_manifests']} distinct manifests), {results['delay_ms']:g} ms per "
        f"request, concurrency {results['concurrency']}; {machine['cores']} x {machine['cpu']}, "
        f"{machine['memory_gib']} GiB; work directory {results['workdir']}; load average "
        f"{results['load_average_start']:.2f} at start, {results['load_average_end']:.2f} at end"
    )
    builds = results.get("builds", {})
    if builds:
        rows = [
            [
                b["label"],
                f"{b['seconds']:.1f}",
                f"{b['crawl_seconds']:.1f}",
                f"{b['render_seconds']:.1f}",
                _kinds(b["logged"]["requests"]),
                f"{b['bytes_received'] / 1e6:.2f}",
                f"{b['lower_bound_seconds']:.1f}",
                f"x{b['ratio']}",
                f"x{b['crawl_ratio']}",
                b["pages"],
                b["pages_per_second"],
                f"{b['peak_rss_mb']:.0f} / {b['children_peak_rss_mb']:.0f}",
            ]
            for b in builds.values()
        ]
        parts.append(
            _table(
                [
                    "sitegen build",
                    "wall s",
                    "crawl s",
                    "render s",
                    "requests (registry log)",
                    "MB received",
                    "bound s",
                    "wall/bound",
                    "crawl/bound",
                    "pages",
                    "pages/s",
                    "peak RSS MB (main / children)",
                ],
                rows,
                markdown,
            )
        )
        check = results.get("relay_check")
        if check:
            parts.append(
                "Relay check (warm build, 0 ms): crawl "
                f"{check['direct_crawl_seconds']:.2f}s direct, "
                f"{check['relay_crawl_seconds']:.2f}s through the relay (x{check['overhead']}); "
                f"the relay used {check['relay_cpu_seconds']:.2f}s of CPU."
            )
    elsewhere = results.get("elsewhere")
    if elsewhere:
        parts.append(
            "The registry elsewhere (`bench.stream`: the same data served in the benchmark's "
            "process with the same delay, once the registry and the relay have stopped):"
        )
        parts.append(
            _table(
                [
                    "sitegen build",
                    "pages rendered",
                    "wall s",
                    "after the crawl s",
                    "requests",
                    "bound s",
                    "wall/bound",
                    "kept",
                    "rendered again",
                ],
                [
                    [
                        r["build"],
                        r["render"],
                        f"{r['seconds']:.1f}",
                        f"{r['after_crawl_seconds']:.1f}",
                        r["requests"],
                        f"{r['bound_seconds']:.1f}",
                        f"x{r['ratio']}",
                        r["kept"],
                        r["rendered_again"],
                    ]
                    for r in elsewhere
                ],
                markdown,
            )
        )
    competitors = results.get("competitors")
    if competitors:
        rows = []
        sample = competitors["sitegen"]
        rows.append(
            [
                "sitegen build (cold, sample only)",
                competitors["tags"],
                f"{sample['seconds']:.1f}",
                f"{sample['seconds'] / competitors['tags'] * 1000:.1f}",
                sample["logged"]["total"],
                f"{sample['lower_bound_seconds']:.1f}",
                "",
                "",
            ]
        )
        for tool, label in (("skopeo", "skopeo loop"), ("curl_jq", "curl + jq script")):
            found = competitors.get(tool)
            if not found or "skipped" in found:
                continue
            ratio = skopeo_ratio(results, tool)
            assert ratio is not None
            rows.append(
                [
                    label,
                    found["tags"],
                    f"{found['seconds']:.1f}",
                    f"{ratio['per_tag_ms']:.1f}",
                    found["logged"]["total"],
                    f"{found['lower_bound_seconds']:.1f}",
                    f"{ratio['extrapolated_seconds']:.0f}s; x{ratio['ratio']}",
                    f"x{ratio['sample_ratio']}",
                ]
            )
        parts.append(
            _table(
                [
                    "side by side",
                    "tags",
                    "seconds",
                    "ms/tag",
                    "requests",
                    "bound s",
                    f"all {data['tags']} tags; vs sitegen cold",
                    "vs sitegen, sample",
                ],
                rows,
                markdown,
            )
        )
    scale = results.get("scale")
    if scale:
        cores = machine["cores"]
        rows = [
            [
                p["tags"],
                p["filesystem"].split(" ")[0],
                p["pages"],
                p["files"],
                f"{p['megabytes']:.0f}",
                f"{p['seconds']:.1f}",
                f"{p['search_seconds']:.1f} / {p['feeds_seconds']:.1f}",
                p["pages_per_second"],
                round(p["pages_per_second"] / cores),
                round(pages_alone(p) / cores),
                p["cores_busy"],
                f"{p['peak_rss_mb']:.0f} / {p['workers_peak_rss_mb']:.0f} / "
                f"{p['children_peak_rss_mb']:.0f}",
            ]
            for p in scale
        ]
        parts.append(
            _table(
                [
                    "render from cache: tags",
                    "fs",
                    "pages",
                    "files",
                    "MB",
                    "seconds",
                    "of which search / feeds s",
                    "pages/s",
                    "per core",
                    "per core, pages alone",
                    "cores busy",
                    "peak RSS MB (main / workers / any child)",
                ],
                rows,
                markdown,
            )
        )
        rates = results.get("filesystems", {})
        if rates:
            parts.append(
                "File system ceiling (plain Python loop, a directory and two files per page): "
                + "; ".join(f"{fs}: {rate}/s" for fs, rate in rates.items())
            )
    verdicts = results.get("targets", [])
    if verdicts:
        parts.append(
            _table(
                ["target", "measured", "result"],
                [[t["target"], t["measured"], "pass" if t["pass"] else "FAIL"] for t in verdicts],
                markdown,
            )
        )
    return "\n\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.report RESULTS.json [--markdown]``: the tables of a saved run."""
    import argparse
    import json
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m bench.report")
    parser.add_argument("results", type=Path)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text())
    results["targets"] = targets(results)
    print(render(results, markdown=args.markdown), end="")


if __name__ == "__main__":
    main()
