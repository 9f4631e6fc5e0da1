"""The import rules of docs/architecture.md, checked on the source.

Every module imports in a fresh interpreter (a cycle between module-level imports
fails there), and the graph of imports between the top-level parts of ``surveyor`` —
read with ``ast``, imports inside functions included, so no cycle hides in one —
points the allowed way: the web shell knows no accounts and no domain, the app
container knows no web shell, no domain builds the app, and no two parts import each
other except the pairs listed below.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import surveyor

PACKAGE = Path(surveyor.__file__).resolve().parent

# Infrastructure every part may use; it imports no domain, no web shell, no app level.
INFRA = {
    "surveyor",  # the public plugin API (surveyor/__init__.py)
    "cache",
    "db",
    "errors",
    "events",
    "hookspecs",
    "i18n",
    "ids",
    "logs",
    "net",
    "paths",
    "plugins",
    "plugin_settings",
    "services",
    "settings",
    "static_files",
}
# Infrastructure that may import the domains' ``models`` modules (the data it carries).
SEAM = {"events"}
WEB = "web"
# What wires the parts together; only these may import the app or the command line.
APP_LEVEL = {"app", "asgi", "serve", "cli", "cli_records", "__main__", "core_plugin", "demo"}
# Known two-way imports between parts, each owned elsewhere and on its way out.
ALLOWED_CYCLES: set[frozenset[str]] = set()


def part_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "surveyor"


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    names = list(relative.parts)
    if names[-1] == "__init__":
        names.pop()
    return ".".join(names)


def imported(node: ast.AST, top_level_names: set[str]) -> list[str]:
    """The ``surveyor`` modules one import statement reaches."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "surveyor"]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        if node.module == "surveyor":
            # ``from surveyor import hookimpl`` is the API; ``from surveyor import web`` a part.
            return [
                f"surveyor.{a.name}" if a.name in top_level_names else "surveyor"
                for a in node.names
            ]
        if node.module.split(".")[0] == "surveyor":
            return [node.module]
    return []


def type_only_nodes(tree: ast.AST) -> set[int]:
    """The import statements under ``if TYPE_CHECKING:``: types for readers and type
    checkers, never run, so they make no dependency."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for stmt in node.body:
                found.update(id(n) for n in ast.walk(stmt))
    return found


DATA_MODULES = (".models", ".rows")


def is_data(module: str) -> bool:
    """A domain's ``models`` (frozen Structs) or ``rows`` (row → Struct) module: data
    that other parts may carry without depending on the domain's behaviour."""
    return module.endswith(DATA_MODULES)


def import_graph(*, behaviour_only: bool = False) -> dict[str, dict[str, list[str]]]:
    """``{part: {imported part: ["path:line", …]}}`` over every import statement run;
    with ``behaviour_only``, imports of another part's data modules are left out."""
    top_level_names = {p.stem for p in PACKAGE.iterdir() if p.suffix == ".py" or p.is_dir()}
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(PACKAGE.rglob("*.py")):
        source = part_of(module_name(path))
        tree = ast.parse(path.read_text(), str(path))
        types_only = type_only_nodes(tree)
        for node in ast.walk(tree):
            if id(node) in types_only:
                continue
            for target in imported(node, top_level_names):
                part = part_of(target)
                # The typed domain events carry the domains' read-only models, and only those.
                if source in SEAM and target.endswith(".models"):
                    continue
                if behaviour_only and is_data(target):
                    continue
                if part != source:
                    where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
                    graph[source][part].append(where)
    return graph


def domains(graph: dict[str, dict[str, list[str]]]) -> set[str]:
    parts = set(graph) | {p for targets in graph.values() for p in targets}
    return parts - INFRA - APP_LEVEL - {WEB}


def test_every_module_imports_in_a_fresh_interpreter() -> None:
    # ``python -m surveyor`` runs the command line when imported; it is the one exception.
    modules = sorted(module_name(p) for p in PACKAGE.rglob("*.py") if p.name != "__main__.py")
    script = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    done = subprocess.run(
        [sys.executable, "-c", script, *modules], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_web_shell_imports_no_accounts_and_no_domain() -> None:
    graph = import_graph()
    bad = {
        part: where
        for part, where in graph[WEB].items()
        if part in domains(graph) or part in APP_LEVEL
    }
    assert bad == {}


def test_the_infrastructure_imports_no_web_shell_no_domain_and_no_app() -> None:
    graph = import_graph()
    forbidden = domains(graph) | APP_LEVEL | {WEB}
    bad = {
        (part, target): where
        for part in INFRA
        for target, where in graph[part].items()
        if target in forbidden
    }
    assert bad == {}


def test_no_domain_builds_the_app_or_runs_a_command() -> None:
    graph = import_graph()
    bad = {
        (part, target): where
        for part in domains(graph)
        for target, where in graph[part].items()
        if target in APP_LEVEL
    }
    assert bad == {}


def cycles(graph: dict[str, dict[str, list[str]]]) -> set[frozenset[str]]:
    """The groups of parts that reach each other through imports (any length of path)."""

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        stack = [start]
        while stack:
            for target in graph.get(stack.pop(), {}):
                if target not in seen:
                    seen.add(target)
                    stack.append(target)
        return seen

    reach = {part: reachable(part) for part in list(graph)}
    return {
        frozenset({part} | {other for other in reach[part] if part in reach.get(other, set())})
        for part in reach
        if part in reach[part]
    }


def test_no_parts_import_each_other() -> None:
    assert cycles(import_graph(behaviour_only=True)) - ALLOWED_CYCLES == set()


def test_data_modules_import_only_data() -> None:
    # What makes a ``models``/``rows`` import harmless: such a module reaches no behaviour.
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        if not is_data(name):
            continue
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            for target in imported(node, set()):
                same_part = part_of(target) == part_of(name)
                if target not in ("surveyor", "surveyor.ids") and not (
                    same_part or is_data(target)
                ):
                    bad.append(f"{name} imports {target}")
    assert bad == []


def test_the_cycle_check_finds_a_cycle() -> None:
    graph = {"a": {"b": ["x"]}, "b": {"c": ["y"]}, "c": {"a": ["z"]}, "d": {"a": ["w"]}}
    assert cycles(graph) == {frozenset({"a", "b", "c"})}


def test_the_rules_see_real_imports() -> None:
    # The checks above would pass on an empty graph; make sure the reader finds imports.
    graph = import_graph()
    assert "auth" in graph["app"] and "services" in graph[WEB]
    assert {"auth", "followups", "metrics"} <= domains(graph)
