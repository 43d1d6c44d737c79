"""The package's layout is its architecture: layers that import only downward, no cycles, short modules.

Every import of a mobicalc module is read from the source (including imports inside functions
and for type checking only), so a lazy import cannot hide a dependency that runs the wrong way.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mobicalc"

LAYERS = (
    ("mobicalc.errors", "mobicalc.numbers", "mobicalc.data", "mobicalc.tables"),
    ("mobicalc.model",),
    ("mobicalc.count",),
    ("mobicalc.tf",),
    ("mobicalc.views",),
    ("mobicalc.render",),
    ("mobicalc.cli",),
    ("mobicalc", "mobicalc.__main__"),
)
"""From the bottom up: a module may import its own layer's modules and those of the layers below."""

MAX_LINES = 400


def module_names() -> dict[str, Path]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


MODULES = module_names()


def imports(path: Path) -> set[str]:
    """The mobicalc modules a file imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "mobicalc":
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & set(MODULES)
            found |= submodules or {node.module}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "mobicalc"}
    return found


GRAPH = {name: imports(path) - {name} for name, path in MODULES.items()}


def layer(module: str) -> int:
    """The layer of a module: that of the longest prefix named in LAYERS."""
    best = max(
        (
            prefix
            for names in LAYERS
            for prefix in names
            if module == prefix or module.startswith(prefix + ".")
        ),
        key=len,
    )
    return next(index for index, names in enumerate(LAYERS) if best in names)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module):
    upward = sorted(imported for imported in GRAPH[module] if layer(imported) > layer(module))
    assert not upward, f"{module} (layer {layer(module)}) imports from a layer above: {upward}"


def test_the_import_graph_has_no_cycle():
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        if module in path:
            raise AssertionError("import cycle: " + " -> ".join((*path[path.index(module) :], module)))
        if module in done:
            return
        for imported in sorted(GRAPH[module]):
            visit(imported, (*path, module))
        done.add(module)

    for module in sorted(GRAPH):
        visit(module, ())


def test_every_module_is_in_a_layer():
    for module in MODULES:
        assert layer(module) >= 0


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_are_short_enough_to_read_in_one_sitting(module):
    lines = len(MODULES[module].read_text("utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines"


def test_the_engine_packages_import_no_outer_layer():
    """The model and the counting engine are plain Python: a notebook can use them without the CLI."""
    for module in MODULES:
        if layer(module) <= layer("mobicalc.count"):
            assert all(layer(imported) <= layer("mobicalc.count") for imported in GRAPH[module]), module
