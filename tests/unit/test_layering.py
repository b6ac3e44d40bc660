"""The package's layers, read from the source: who may import whom, and no import circles.

- ``isthmus_client`` (the client package) imports nothing of the server.
- ``isthmus.kernel`` imports only itself and the client package.
- ``isthmus.platform`` imports the kernel, itself and the client package, never a context.
- A context (every package with its own ``migrations/``) imports the kernel, the platform, itself
  and the client package: contexts talk through events and gRPC, never through each other's code.
- Modules import each other without circles, counting imports inside functions too (a late import
  that dodges a circle still ties the two modules together). Imports under TYPE_CHECKING are for
  the type checker only and not counted; nor is a module importing the package it lives in.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "services" / "isthmus"
CLIENT = ROOT / "clients" / "python" / "src" / "isthmus_client"
NOT_CONTEXTS = {"platform", "connectors"}
CONTEXTS = sorted(
    p.name for p in SERVER.iterdir() if (p / "migrations").is_dir() and p.name not in NOT_CONTEXTS
)
# Wiring that loads plugins: the customer master asks the plugin manager for match comparators.
ALLOWED = {("isthmus.customers.bootstrap", "isthmus.connectors.plugins")}


def _module(path: Path, root: Path, package: str) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([package, *parts])


def _sources() -> Iterator[tuple[str, Path]]:
    for root, package in ((SERVER, "isthmus"), (CLIENT, "isthmus_client")):
        for path in sorted(root.rglob("*.py")):
            if "migrations" in path.parts or (package == "isthmus_client" and "api" in path.parts):
                continue
            yield _module(path, root, package), path


def _imports(module: str, path: Path) -> set[str]:
    """Modules ``module`` imports, at the top or in functions (not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join([*parts[: len(parts) - node.level + 1], base])
                found.add(base.rstrip("."))
                found.update(f"{base}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If):
                test = node.test
                if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
                    continue
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.With, ast.For)):
                visit(node.body)

    visit(tree.body)
    ancestors = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
    return found - ancestors


SOURCES = dict(_sources())
IMPORTS = {module: _imports(module, path) for module, path in SOURCES.items()}


def _layer(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "isthmus_client":
        return "client"
    return parts[1] if len(parts) > 1 else "isthmus"


def _all_imports(module: str) -> set[str]:
    """Every ``isthmus``/``isthmus_client`` module ``module`` imports, late imports included."""
    tree = ast.parse(SOURCES[module].read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return {n for n in names if n.split(".")[0] in {"isthmus", "isthmus_client"}}


def _offences(module: str, may: set[str]) -> list[str]:
    return [
        f"{module} imports {name}"
        for name in sorted(_all_imports(module))
        if _layer(name) not in may and (module, name) not in ALLOWED
    ]


def test_there_are_contexts_to_check() -> None:
    assert {"customers", "orders", "service_requests", "loyalty", "value"} <= set(CONTEXTS)


def test_the_client_package_imports_nothing_of_the_server() -> None:
    assert [o for m in SOURCES if _layer(m) == "client" for o in _offences(m, {"client"})] == []


def test_the_kernel_imports_only_itself_and_the_client() -> None:
    assert [o for m in SOURCES if _layer(m) == "kernel" for o in _offences(m, {"kernel", "client"})] == []


def test_the_platform_imports_no_context() -> None:
    may = {"kernel", "platform", "client"}
    assert [o for m in SOURCES if _layer(m) == "platform" for o in _offences(m, may)] == []


@pytest.mark.parametrize("context", CONTEXTS)
def test_a_context_imports_no_other_context(context: str) -> None:
    may = {"kernel", "platform", "client", context}
    assert [o for m in SOURCES if _layer(m) == context for o in _offences(m, may)] == []


def test_the_connector_runtime_imports_no_context() -> None:
    may = {"kernel", "platform", "client", "connectors"}
    assert [o for m in SOURCES if _layer(m) == "connectors" for o in _offences(m, may)] == []


def _cycles() -> list[list[str]]:
    graph = {m: sorted(n for n in IMPORTS[m] if n in SOURCES and n != m) for m in SOURCES}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            connect(node)
    return found


def test_modules_import_each_other_without_circles() -> None:
    assert _cycles() == []


def test_the_circle_check_finds_a_circle() -> None:
    IMPORTS["isthmus.kernel.money"].add("isthmus.kernel.paging")
    IMPORTS["isthmus.kernel.paging"].add("isthmus.kernel.money")
    try:
        assert ["isthmus.kernel.money", "isthmus.kernel.paging"] in _cycles()
    finally:
        IMPORTS["isthmus.kernel.money"].discard("isthmus.kernel.paging")
        IMPORTS["isthmus.kernel.paging"].discard("isthmus.kernel.money")


def test_the_console_is_a_client_of_the_contexts_not_a_reader_of_their_code() -> None:
    may = {"kernel", "platform", "client", "console"}
    assert [o for m in SOURCES if _layer(m) == "console" for o in _offences(m, may)] == []
