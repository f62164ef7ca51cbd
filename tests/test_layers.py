"""The package's layers, as docs/architecture.md draws them, held by reading every import.

``model``/``supplychain_model``/``modeljson``/``errors``/``dates``/``files`` < ``oci`` <
``config`` < ``registry`` < ``crawl``, ``site`` < ``build`` < ``shards`` < ``cli``: a
module imports only from its own layer or the layers below it, and ``crawl`` and ``site`` (side by side) never import each other:
``site`` reads the finished model, ``crawl`` writes no page.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sitegen"

# layer name -> rank; layers of equal rank may not import each other
RANKS = {
    "base": 0,
    "oci": 1,
    "config": 2,
    "registry": 3,
    "crawl": 4,
    "site": 4,
    "build": 5,
    "shards": 6,
    "cli": 7,
}
BASE_MODULES = {"sitegen", "model", "supplychain_model", "modeljson", "errors", "dates", "files"}


def layer_of(module: str) -> str:
    """``sitegen.oci.masking`` -> ``oci``; ``sitegen.model`` -> ``base``."""
    parts = module.split(".")
    if parts[0] != "sitegen":
        raise ValueError(module)
    top = parts[1] if len(parts) > 1 else "sitegen"
    if top in BASE_MODULES:
        return "base"
    if top == "__main__":
        return "cli"
    if top not in RANKS:
        raise ValueError(f"{module}: not in any layer; add it to RANKS or BASE_MODULES")
    return top


def module_name(path: Path, root: Path) -> str:
    relative = path.relative_to(root.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, module) of every ``sitegen`` import, at any depth (also under
    ``TYPE_CHECKING`` and inside functions)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names if a.name.startswith("sitegen"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "sitegen":
                # ``from sitegen import x``: x is a module of the package or a name of it
                found.extend((node.lineno, f"sitegen.{a.name}") for a in node.names)
            elif node.module.startswith("sitegen."):
                found.append((node.lineno, node.module))
    return found


def forbidden_imports(root: Path) -> list[str]:
    """Every import in ``root`` (the package directory) that breaks a layer rule."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        importer = module_name(path, root)
        mine = layer_of(importer)
        for line, module in imported(ast.parse(path.read_text(), str(path))):
            theirs = layer_of("sitegen" if module == "sitegen.__version__" else module)
            if theirs == mine:
                continue
            if RANKS[theirs] >= RANKS[mine]:
                where = path.relative_to(root.parent)
                problems.append(f"{where}:{line}: {mine} imports {theirs} ({module})")
    return problems


def test_no_layer_imports_a_layer_above_it_or_beside_it() -> None:
    assert forbidden_imports(PACKAGE) == []


def test_every_module_belongs_to_a_layer() -> None:
    for path in PACKAGE.rglob("*.py"):
        layer_of(module_name(path, PACKAGE))


def test_a_planted_forbidden_import_is_found(tmp_path: Path) -> None:
    copy = tmp_path / "sitegen"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    paths = copy / "site" / "paths.py"
    paths.write_text(paths.read_text() + "\nfrom sitegen.crawl import crawl  # planted\n")
    masking = copy / "oci" / "masking.py"
    masking.write_text(masking.read_text() + "\nimport sitegen.config.loader  # planted\n")
    found = forbidden_imports(copy)
    assert len(found) == 2, found
    assert found[0].startswith("sitegen/oci/masking.py:") and "oci imports config" in found[0]
    assert found[1].startswith("sitegen/site/paths.py:") and "site imports crawl" in found[1]
