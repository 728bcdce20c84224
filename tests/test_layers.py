"""No import runs back up the layers (docs/ARCHITECTURE.md, "The import rule").

Every ``import``/``from … import`` in ``tmscal`` and ``radicale_plugin`` (also those inside
functions and under ``TYPE_CHECKING``) is read with :mod:`ast` and checked against the layer list:
a module may import its own layer and the layers above it, never one below."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Top to bottom; packages on one line form one layer (the edges may use each other).
LAYERS: list[set[str]] = [
    {"tmscal.model"},
    {"tmscal.settings"},
    {"tmscal.tms"},
    {"tmscal.ical"},
    {"tmscal.mirror"},
    {"tmscal.bridge"},
    {"radicale_plugin"},
    {"tmscal.web", "tmscal.cli", "tmscal.feeds"},
]
#: Shared infrastructure (one instance per process) any layer from the mirror down may use.
SHARED = {"tmscal.process_wide": "tmscal.mirror"}
#: The simulator stands beside the stack: it knows only the domain model, and only the
#: commands start it.
SIMULATOR = "tmscal.simulator"
SIMULATOR_MAY_IMPORT = {"tmscal.model"}
SIMULATOR_USED_BY = {"tmscal.cli"}


def unit_of(module: str) -> str | None:
    """The layer unit (a package of the lists above) ``module`` belongs to; None outside."""
    candidates = [u for layer in LAYERS for u in layer] + [*SHARED, SIMULATOR, "tmscal"]
    matches = [u for u in candidates if module == u or module.startswith(u + ".")]
    return max(matches, key=len) if matches else None


def rank(unit: str) -> int | None:
    for index, layer in enumerate(LAYERS):
        if unit in layer:
            return index
    return None


def allowed(importer: str, imported: str) -> bool:
    """Whether unit ``importer`` may import unit ``imported``."""
    if importer == imported or imported == "tmscal":
        return True
    if importer == SIMULATOR:
        return imported in SIMULATOR_MAY_IMPORT
    if imported == SIMULATOR:
        return importer in SIMULATOR_USED_BY
    if imported in SHARED:
        mine, least = rank(importer), rank(SHARED[imported])
        return mine is not None and least is not None and mine >= least
    if importer in SHARED:
        return rank(imported) == 0
    mine, theirs = rank(importer), rank(imported)
    return mine is not None and theirs is not None and theirs <= mine


def imported_modules(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """``(line, module)`` of every import in ``source`` (the text of ``module``); ``from a
    import b`` yields ``a.b`` too, so ``from tmscal import mirror`` counts as the mirror."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1])
                origin = f"{base}.{node.module}" if node.module else base
            else:
                origin = node.module or ""
            found.append((node.lineno, origin))
            found += [(node.lineno, f"{origin}.{alias.name}") for alias in node.names]
    return found


def upward_imports(module: str, source: str, is_package: bool = False) -> list[str]:
    """The imports of ``module`` that break the rule, as ``module:line imports target``."""
    importer = unit_of(module)
    wrong = []
    for line, target in imported_modules(source, module, is_package):
        imported = unit_of(target)
        if importer is None or imported is None:
            continue
        if target != imported and imported == "tmscal":
            continue  # ``from tmscal import x`` also yields the more precise ``tmscal.x``
        if not allowed(importer, imported):
            wrong.append(f"{module}:{line} imports {target}")
    return wrong


def project_modules():
    for top in ("tmscal", "radicale_plugin"):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            yield ".".join(parts[:-1] if is_package else parts), path, is_package


def test_no_import_runs_back_up_the_layers():
    wrong = [problem for module, path, is_package in project_modules()
             for problem in upward_imports(module, path.read_text(encoding="utf-8"),
                                           is_package)]
    assert wrong == []


def test_every_module_belongs_to_a_layer():
    assert [module for module, _, _ in project_modules() if unit_of(module) is None] == []


@pytest.mark.parametrize(("module", "source", "problem"), [
    ("tmscal.mirror.sync", "from tmscal.bridge import booking",
     "tmscal.mirror.sync:1 imports tmscal.bridge"),
    ("tmscal.ical.render", "def f():\n    from tmscal.mirror.store import Room",
     "tmscal.ical.render:2 imports tmscal.mirror.store"),
    ("tmscal.bridge.booking", "from tmscal import web",
     "tmscal.bridge.booking:1 imports tmscal.web"),
    ("tmscal.model", "import tmscal.tms.client", "tmscal.model:1 imports tmscal.tms.client"),
    ("tmscal.mirror.sqlite.rooms", "from ...bridge import runtime",
     "tmscal.mirror.sqlite.rooms:1 imports tmscal.bridge"),
    ("tmscal.simulator.engine", "from tmscal.ical import render",
     "tmscal.simulator.engine:1 imports tmscal.ical"),
    ("tmscal.bridge.runtime", "from tmscal.simulator import engine",
     "tmscal.bridge.runtime:1 imports tmscal.simulator"),
    ("tmscal.ical.parse", "from tmscal.process_wide import ProcessWide",
     "tmscal.ical.parse:1 imports tmscal.process_wide"),
])
def test_the_check_finds_an_upward_import(module, source, problem):
    assert problem in upward_imports(module, source)


@pytest.mark.parametrize(("module", "source"), [
    ("tmscal.bridge.booking", "from tmscal.mirror.store import Room\nfrom tmscal import ical"),
    ("tmscal.mirror.sync", "from tmscal.process_wide import ProcessWide\nfrom . import store"),
    ("tmscal.cli.simulator", "from tmscal.simulator.server import SimulatorServer"),
    ("tmscal.web.app", "from tmscal.feeds.app import mount\nimport radicale_plugin.storage"),
    ("radicale_plugin.storage", "from tmscal.bridge.runtime import runtime_for"),
])
def test_the_check_lets_downward_imports_pass(module, source):
    assert upward_imports(module, source) == []
