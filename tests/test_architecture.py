"""The shape of the code: no import cycles among the modules of bot/ and ui/, and no module past the size limit."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "ui")
MAX_LINES = 340

# Each entry must still be too long; a module that is not listed here may not grow past MAX_LINES.
TOO_LONG: set[str] = set()

# Imports that still close a cycle, left out of the graph; each must still exist, and any other cycle fails.
CYCLE_EDGES: set[tuple[str, str]] = set()


def project_modules() -> dict[str, Path]:
    """Every module of bot/ and ui/ by dotted name (a package by its own name)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules one module imports anywhere in its text: top level, in functions, under TYPE_CHECKING."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # `from bot.eval import metrics` imports the module bot.eval.metrics; `from bot import Reply` imports bot.
            targets += [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
    found = set()
    for target in targets:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports."""
    modules = project_modules()
    return {name: imports_of(name, path, set(modules)) for name, path in modules.items()}


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components; a component of more than one module holds a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def a_cycle(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """One import path inside a component that leads from its first module back to it."""
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        node = frontier.pop(0)
        for nxt in sorted(graph[node] & component):
            if nxt == start:
                return [*paths[node], start]
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                frontier.append(nxt)
    raise AssertionError(f"no cycle through {start}")


def cycles(graph: dict[str, set[str]]) -> dict[frozenset[str], list[str]]:
    """Each group of modules that import one another, with one cycle through it."""
    return {frozenset(c): a_cycle(graph, c) for c in strongly_connected(graph) if len(c) > 1}


def test_the_import_reader_sees_imports_in_functions_and_under_type_checking():
    graph = import_graph()
    assert "ui.terminal" in graph["bot.cli"]  # imported inside a subcommand
    assert "bot.eval.dialogues" in graph["bot.eval.metrics"]
    assert {"bot.assistant", "bot.reply", "bot.ids"} <= graph["bot"]  # lazily and under TYPE_CHECKING


def test_cycle_finder_names_the_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert cycles(graph) == {frozenset("abc"): ["a", "b", "c", "a"]}
    assert cycles({"a": {"b"}, "b": set()}) == {}


def test_no_import_cycles():
    graph = import_graph()
    stale = sorted(edge for edge in CYCLE_EDGES if edge[1] not in graph.get(edge[0], set()))
    assert not stale, f"these imports are gone; remove them from CYCLE_EDGES: {stale}"
    found = cycles({name: targets - {t for f, t in CYCLE_EDGES if f == name} for name, targets in graph.items()})
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(path) for path in found.values())


def test_evaluation_stays_apart_from_the_product():
    def evaluation(name: str) -> bool:
        return name == "bot.eval" or name.startswith("bot.eval.")

    importers = {name for name, targets in import_graph().items()
                 if not evaluation(name) and any(map(evaluation, targets))}
    assert importers == {"bot.cli"}


def test_no_module_is_too_long():
    lengths = {path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
               for path in project_modules().values()}
    too_long = {name: n for name, n in lengths.items() if n > MAX_LINES}
    assert set(too_long) <= TOO_LONG, f"modules over {MAX_LINES} lines: " + ", ".join(
        f"{name} ({n})" for name, n in sorted(too_long.items()) if name not in TOO_LONG)
    short = sorted(TOO_LONG - set(too_long))
    assert not short, f"these are no longer over {MAX_LINES} lines (or gone); remove them from TOO_LONG: {short}"
