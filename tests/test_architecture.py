"""The shape of the package: the rules of docs/architecture.md, checked on the source itself.

- No import cycle inside `cskg`, counting every import, also those inside functions (a lazy
  import still ties two modules together).
- The layers depend one way: the shared modules (`errors`, `vocab`) import nothing of cskg's; the
  query path (`query/`) imports nothing of the web, the drawings or the exports; the build imports
  nothing of what reads its release; test helpers never ship in the package.
- No function longer than `MAX_LINES` lines: a longer one is two jobs.
- ruff, mypy and vulture find nothing.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "cskg"
MAX_LINES = 60


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(name: str) -> set[str]:
    """The cskg modules `name` imports, anywhere in its body (`from cskg.x import y` counts as
    `cskg.x.y` when that is a module, else `cskg.x`)."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.update(
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                for alias in node.names
            )
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: imported(name) for name in MODULES}


def cycles() -> Iterator[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> Iterator[list[str]]:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(GRAPH[node]):
            if nxt not in index:
                yield from visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                yield sorted(group)

    for name in sorted(GRAPH):
        if name not in index:
            yield from visit(name)


def test_the_checker_sees_the_package() -> None:
    # a checker that read nothing would pass every rule below
    assert len(MODULES) > 40
    assert "cskg.query.engines" in GRAPH["cskg.cli"] or any(
        "cskg.query.engines" in GRAPH[m] for m in MODULES if m.startswith("cskg.cli")
    )


def test_no_import_cycle_inside_the_package() -> None:
    assert list(cycles()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    saved = dict(GRAPH)
    try:
        GRAPH["cskg.vocab"] = {"cskg.errors"}
        GRAPH["cskg.errors"] = {"cskg.vocab"}
        assert ["cskg.errors", "cskg.vocab"] in list(cycles())
    finally:
        GRAPH.clear()
        GRAPH.update(saved)


def reachable(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in GRAPH[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("cskg.errors", ("cskg.",)),
        ("cskg.vocab", ("cskg.",)),
        ("cskg.query", ("cskg.web", "cskg.draw", "cskg.export", "cskg.cli", "cskg.lab")),
        ("cskg.build", ("cskg.web", "cskg.draw", "cskg.export", "cskg.cli", "cskg.query.push")),
        ("cskg.release", ("cskg.web", "cskg.draw", "cskg.export", "cskg.cli")),
    ],
)
def test_layers_depend_one_way(layer: str, forbidden: tuple[str, ...]) -> None:
    members = [m for m in MODULES if m == layer or m.startswith(layer + ".")]
    if not members:
        pytest.skip(f"{layer} is not in the package")
    wrong = {
        (m, dep)
        for m in members
        for dep in GRAPH[m]
        if dep.startswith(forbidden) and not dep.startswith(layer)
    }
    assert wrong == set()


def test_test_helpers_do_not_ship() -> None:
    shipped = {p.name for p in PACKAGE.rglob("*.py")}
    assert not {"expected.py", "terms.py", "conftest.py"} & shipped
    for name, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        assert "import utils" not in text and "from utils" not in text, name


def long_functions() -> list[str]:
    found = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                length = node.end_lineno - node.lineno + 1
                if length > MAX_LINES:
                    found.append(f"{name}.{node.name}: {length} lines")
    return sorted(found)


def test_no_function_is_longer_than_60_lines() -> None:
    assert long_functions() == []


# -- the code's own checks: the same tools, the same settings, in every test run -----------------

REPO = PACKAGE.parents[1]


def tool(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *argv], cwd=REPO, capture_output=True, text=True, check=False
    )


def test_ruff_finds_nothing() -> None:
    # the whole project: the Python examples in docs/ are formatted as the code is
    lint = tool("ruff", "check", ".")
    assert lint.returncode == 0, lint.stdout
    layout = tool("ruff", "format", "--check", ".")
    assert layout.returncode == 0, layout.stdout


@pytest.mark.slow
def test_mypy_finds_nothing() -> None:
    checked = tool("mypy", "src")
    assert checked.returncode == 0, checked.stdout
    assert "Success: no issues found" in checked.stdout


def test_vulture_finds_no_dead_code() -> None:
    found = tool("vulture", "src/cskg", "tests/utils/vulture_allow.py", "--min-confidence", "60")
    assert (found.returncode, found.stdout) == (0, "")
