"""The shape of the site's JSON: docs/json.md documents every object of it field by field,
and the documents a build writes have exactly those fields.

docs/json.md marks each table with the type it documents (``<!-- shape: TagData extends
Document, ManifestFacts -->``); the types are the ``TypedDict`` classes the pages are
built as (``sitegen/site/pages/shapes.py``, ``history_shapes.py`` and
``supplychain_shapes.py``, ``packages_shapes.py``), which ``mypy``
holds the builders to. Here the tables and the types are compared both ways, nested
objects too, and the golden site's JSON is checked against the types.
"""

from __future__ import annotations

import ast
import json
import re
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints, is_typeddict

import pytest

from sitegen.site.pages import history_shapes, packages_shapes, shapes, supplychain_shapes
from sitegen.site.pages.page import PageData

ROOT = Path(__file__).resolve().parent.parent
JSON_DOCS = ROOT / "docs" / "json.md"
GOLDEN = Path(__file__).parent / "golden" / "site"
SHAPE_MODULES = (shapes, history_shapes, supplychain_shapes, packages_shapes)
# What the site writes as JSON: every page's index.json, api/catalog.json, api/packages/.
DOCUMENTS = (
    *get_args(PageData),
    shapes.CatalogDocument,
    history_shapes.StampDocument,
    packages_shapes.PackagesIndexDocument,
    packages_shapes.PackagesShardDocument,
    packages_shapes.PackageImagesDocument,
)

_TABLE = re.compile(
    r"<!-- shape: (?P<name>\w+)(?: extends (?P<bases>[\w, ]+))? -->\n"
    r"\| Field \| Meaning \|\n\| --- \| --- \|\n(?P<rows>(?:\|.*\n)+)"
)


def documented(text: str) -> dict[str, tuple[list[str], set[str]]]:
    """Shape name -> (the shapes it extends, its own fields) from the marked tables."""
    found: dict[str, tuple[list[str], set[str]]] = {}
    for match in _TABLE.finditer(text):
        name = match["name"]
        assert name not in found, f"docs/json.md documents {name} twice"
        bases = [b.strip() for b in (match["bases"] or "").split(",") if b.strip()]
        fields: set[str] = set()
        for row in match["rows"].splitlines():
            first_cell = row.split("|")[1]
            fields.update(re.findall(r"`(\w+)(?:\[\])?`", first_cell))
        found[name] = (bases, fields)
    assert len(found) == text.count("<!-- shape:"), "a shape marker without a table after it"
    return found


def declared() -> dict[str, tuple[list[str], set[str]]]:
    """Shape name -> (the shapes it extends, its own fields), as the modules spell them."""
    found: dict[str, tuple[list[str], set[str]]] = {}
    for module in SHAPE_MODULES:
        tree = ast.parse(Path(str(module.__file__)).read_text())
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            bases = [b.id for b in node.bases if isinstance(b, ast.Name) and b.id != "TypedDict"]
            fields = {
                s.target.id
                for s in node.body
                if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
            }
            found[node.name] = (bases, fields)
    return found


def nested(annotation: Any) -> Iterator[type]:
    """The ``TypedDict`` classes in an annotation: ``list[X]``, ``X | None``, ..."""
    if is_typeddict(annotation):
        yield annotation
        return
    for argument in get_args(annotation):
        yield from nested(argument)


def reachable(roots: tuple[type, ...]) -> dict[str, type]:
    """Every shape in the site's JSON: the documents, their bases, and what they hold."""
    spelled = declared()
    by_name = {
        name: value
        for module in SHAPE_MODULES
        for name, value in vars(module).items()
        if is_typeddict(value)
    }
    found: dict[str, type] = {}
    todo = list(roots)
    while todo:
        shape = todo.pop()
        if shape.__name__ in found:
            continue
        found[shape.__name__] = shape
        todo.extend(by_name[base] for base in spelled[shape.__name__][0])
        for annotation in get_type_hints(shape).values():
            todo.extend(nested(annotation))
    return found


def test_the_shapes_are_read_as_python_sees_them() -> None:
    """Own fields plus the bases' fields are the keys Python knows: ``declared`` is right."""
    spelled = declared()

    def keys(name: str) -> set[str]:
        bases, own = spelled[name]
        return own.union(*(keys(base) for base in bases))

    for name, shape in reachable(DOCUMENTS).items():
        assert keys(name) == set(get_type_hints(shape)), name


def test_docs_json_md_documents_every_shape_field_by_field() -> None:
    docs = documented(JSON_DOCS.read_text())
    spelled = declared()
    shapes_in_json = reachable(DOCUMENTS)
    assert sorted(set(shapes_in_json) - set(docs)) == [], "not documented in docs/json.md"
    assert sorted(set(docs) - set(shapes_in_json)) == [], "documented, but not in the JSON"
    problems = []
    for name in sorted(docs):
        doc_bases, doc_fields = docs[name]
        bases, fields = spelled[name]
        if doc_bases != bases:
            problems.append(f"{name}: docs say it extends {doc_bases}, the type {bases}")
        if doc_fields - fields:
            problems.append(f"{name}: documented but not a field: {sorted(doc_fields - fields)}")
        if fields - doc_fields:
            problems.append(f"{name}: not documented: {sorted(fields - doc_fields)}")
    assert problems == []


def test_a_field_missing_from_the_docs_is_found() -> None:
    text = JSON_DOCS.read_text().replace("| `version_rank` | Sort key: higher is newer. |\n", "")
    docs = documented(text)
    assert "version_rank" in declared()["TagRow"][1] - docs["TagRow"][1]


def conforms(value: Any, annotation: Any, where: str) -> list[str]:
    """Why ``value`` (parsed JSON) does not have the shape ``annotation``; [] if it does."""
    origin = get_origin(annotation)
    if annotation is Any:
        return []
    if is_typeddict(annotation):
        if not isinstance(value, dict):
            return [f"{where}: expected an object"]
        hints = get_type_hints(annotation)
        problems = []
        if set(value) != set(hints):
            missing, extra = sorted(set(hints) - set(value)), sorted(set(value) - set(hints))
            problems.append(f"{where}: missing {missing}, not declared {extra}")
        for key in set(value) & set(hints):
            problems += conforms(value[key], hints[key], f"{where}.{key}")
        return problems
    if origin in (typing.Union, types.UnionType):
        outcomes = [conforms(value, option, where) for option in get_args(annotation)]
        return [] if [] in outcomes else min(outcomes, key=len)
    if origin is Literal:
        return [] if value in get_args(annotation) else [f"{where}: {value!r} is not allowed"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: expected a list"]
        return [
            p
            for i, v in enumerate(value)
            for p in conforms(v, get_args(annotation)[0], f"{where}[{i}]")
        ]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where}: expected an object"]
        item = get_args(annotation)[1]
        return [p for k, v in value.items() for p in conforms(v, item, f"{where}.{k}")]
    if annotation is type(None):
        return [] if value is None else [f"{where}: expected null"]
    if annotation is int and isinstance(value, bool):
        return [f"{where}: expected a number, got {value!r}"]
    return [] if isinstance(value, annotation) else [f"{where}: expected {annotation.__name__}"]


def _page_shape(kind: str) -> type:
    for shape in get_args(PageData):
        if kind in get_args(get_type_hints(shape)["kind"]):
            return shape  # type: ignore[no-any-return]
    raise AssertionError(f"no shape for pages of kind {kind!r}")


@pytest.mark.parametrize(
    "document",
    sorted(
        str(p.relative_to(GOLDEN))
        for p in GOLDEN.rglob("index.json")
        if not p.relative_to(GOLDEN).as_posix().startswith("api/")  # api/packages/: below
    ),
)
def test_every_page_of_the_golden_site_has_its_declared_shape(document: str) -> None:
    data = json.loads((GOLDEN / document).read_text())
    assert conforms(data, _page_shape(data["kind"]), document) == []


def test_the_catalog_has_its_declared_shape() -> None:
    data = json.loads((GOLDEN / "api" / "catalog.json").read_text())
    assert conforms(data, shapes.CatalogDocument, "catalog.json") == []


def test_the_package_index_files_have_their_declared_shapes() -> None:
    root = GOLDEN / "api" / "packages"
    index = json.loads((root / "index.json").read_text())
    assert conforms(index, packages_shapes.PackagesIndexDocument, "index.json") == []
    assert index["shards"], "the golden site's SBOMs list packages"
    for shard in index["shards"]:
        data = json.loads((root / f"{shard}.json").read_text())
        assert conforms(data, packages_shapes.PackagesShardDocument, shard) == []
    for path in index["image_files"]:
        data = json.loads((GOLDEN / path).read_text())
        assert conforms(data, packages_shapes.PackageImagesDocument, path) == []
