"""The apps under ``playground/`` import each other only in the intended directions, and never in
a circle. Every module is parsed with ``ast``: imports at module level and inside functions alike.

The layering (an arrow: "may import"):

- ``datasets`` <- ``jobs`` <- ``classes``: a lower app lets a higher one take part through its
  extension points (``jobs/hooks.py``, ``datasets/hooks.py``, ``access.grants``), never by importing it;
- ``catalog`` and the project-level ``api`` may read all of those;
- ``audit`` imports no app, and any app may record to it;
- the shared modules (``access``, ``errors``, ``forms``, ``hooks``, ``security``, ``staticfinders``,
  ``api/schemas.py``) import no app, and every app may use them;
- the composition root (``settings``, ``urls``, ``routing``, ``asgi``, ``celery``, ``embedded``)
  wires the apps together and may import any of them; no app imports it, except a management
  command (an entry point like ``manage.py``: ``serve`` starts the whole site).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "playground"

# app -> the apps it may import
ALLOWED: dict[str, set[str]] = {
    "audit": set(),
    "datasets": {"audit"},
    "jobs": {"datasets", "audit"},
    "classes": {"jobs", "datasets", "audit"},
    "catalog": {"classes", "jobs", "datasets", "audit"},
    "api": {"catalog", "classes", "jobs", "datasets", "audit"},
}
SHARED = {
    "playground.access",
    "playground.errors",
    "playground.forms",
    "playground.hooks",
    "playground.security",
    "playground.staticfinders",
    "playground.api.schemas",
}
ROOT_MODULES = {"playground", "playground.settings", "playground.urls", "playground.routing", "playground.asgi"}
ROOT_MODULES |= {"playground.celery", "playground.embedded", "playground.wsgi"}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    path: str  # its file, relative to the repository
    line: int
    target: str  # the imported module, dotted

    def __str__(self) -> str:
        return f"{self.path}:{self.line} ({self.module}) imports {self.target}"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imports(path: Path, module: str | None = None) -> list[Import]:
    """The imports of ``playground`` modules in ``path`` (``module``: its dotted name, when it is not
    under the repository)."""
    module = module or _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    rel = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=rel)):
        if isinstance(node, ast.Import):
            found += [Import(module, rel, node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                # "from playground.jobs import hooks" imports the module playground.jobs.hooks
                sub = f"{source}.{alias.name}"
                found.append(Import(module, rel, node.lineno, sub if _is_module(sub) else source))
    ours = [i for i in found if i.target == "playground" or i.target.startswith("playground.")]
    return list(dict.fromkeys(ours))  # "from x import a, b" once


def _owner(dotted: str) -> str:
    """The app a module belongs to, or "shared" / "root" for the project-level modules."""
    if dotted in SHARED:
        return "shared"
    parts = dotted.split(".")
    if len(parts) > 1 and parts[1] in ALLOWED:
        return parts[1]
    if dotted in ROOT_MODULES:
        return "root"
    raise AssertionError(f"{dotted} is neither an app's nor a known project-level module: add it to this test")


def _all_imports() -> list[Import]:
    return [i for path in sorted(PACKAGE.rglob("*.py")) for i in _imports(path)]


def _violation(imp: Import) -> str | None:
    source, target = _owner(imp.module), _owner(imp.target)
    if source == target or source == "root":
        return None
    if target == "shared":
        return None
    if source == "shared":
        return f"{imp}: a shared module imports no app and no wiring"
    if target == "root":
        if ".management.commands." in imp.module:
            return None
        return f"{imp}: an app does not import the project's wiring (settings, urls, routing, asgi, celery, embedded)"
    if target not in ALLOWED[source]:
        allowed = ", ".join(sorted(ALLOWED[source])) or "no app"
        return f"{imp}: {source} may import {allowed} (and the shared modules), not {target}"
    return None


def test_every_app_and_project_module_is_known():
    apps = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert apps == set(ALLOWED), f"apps under playground/: {sorted(apps)}; the layering names {sorted(ALLOWED)}"
    for path in PACKAGE.glob("*.py"):
        _owner(_module_name(path))  # raises for a project-level module this test does not place


def test_apps_import_each_other_only_along_the_layering():
    violations = [v for imp in _all_imports() if (v := _violation(imp))]
    assert not violations, "imports against the layering:\n" + "\n".join(violations)


def test_no_cycle_between_apps():
    edges: dict[str, dict[str, Import]] = {}
    for imp in _all_imports():
        source, target = _owner(imp.module), _owner(imp.target)
        if source in ALLOWED and target in ALLOWED and source != target:
            edges.setdefault(source, {}).setdefault(target, imp)
    cycle = _find_cycle({a: set(t) for a, t in edges.items()})
    assert cycle is None, "apps import each other in a circle:\n" + "\n".join(
        str(edges[a][b]) for a, b in zip(cycle, cycle[1:])
    )


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle as [a, b, ..., a], or None."""
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in visiting:
            return visiting[visiting.index(node) :] + [node]
        if node in done:
            return None
        visiting.append(node)
        for nxt in sorted(graph.get(node, ())):
            if (cycle := visit(nxt)) is not None:
                return cycle
        visiting.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        if (cycle := visit(start)) is not None:
            return cycle
    return None


def test_the_checks_catch_what_they_are_for(tmp_path):
    """Function-level and relative imports are seen; an import against the layering is named with
    its file, line and module; a planted cycle is found."""
    planted = tmp_path / "planted.py"
    planted.write_text(
        "import os\n\n\ndef f():\n    from ..classes.models import ClassRun\n    from playground import access\n"
    )
    found = _imports(planted, module="playground.jobs.planted")
    assert [(i.line, i.target) for i in found] == [(5, "playground.classes.models"), (6, "playground.access")]
    assert _violation(found[1]) is None
    assert _violation(found[0]) == (
        f"{planted}:5 (playground.jobs.planted) imports playground.classes.models: "
        "jobs may import audit, datasets (and the shared modules), not classes"
    )
    assert _find_cycle({"jobs": {"classes", "datasets"}, "classes": {"jobs"}}) == ["classes", "jobs", "classes"]
    assert _find_cycle({"classes": {"jobs", "datasets"}, "jobs": {"datasets"}}) is None
