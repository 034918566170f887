"""The package's folders are layers: a lower one never imports a higher one, and no module imports itself
back through others. Reads every module's source (imports inside functions and TYPE_CHECKING blocks
count too: a late import only hides a cycle)."""

from __future__ import annotations

import ast
from pathlib import Path

import atlas

PACKAGE = Path(atlas.__file__).parent
LAYERS = ["core", "ingest", "vectors", "analysis", "site"]  # lowest first; build and cli sit above them all


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """Every atlas module `path` imports, wherever the import statement stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("atlas")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith("atlas"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path.name}: relative import; atlas uses absolute imports so layers show")
    return {m for m in found if m in modules}


def rank(module: str) -> int:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in LAYERS:
        return LAYERS.index(parts[1])
    return len(LAYERS) if module != "atlas" else -1


def graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: imports_of(path, set(paths)) - {name} for name, path in paths.items()}


def test_every_module_sits_in_a_layer_or_on_top():
    for name in graph():
        parts = name.split(".")
        assert len(parts) <= 3, name
        if len(parts) == 3:
            assert parts[1] in LAYERS, f"{name} is in a folder that is not a layer"


def test_no_layer_imports_a_higher_one():
    upward = [f"{m} imports {d}" for m, deps in graph().items() for d in deps
              if rank(d) > rank(m) and not (rank(m) == len(LAYERS) and rank(d) == len(LAYERS))]
    assert not upward, "upward imports:\n" + "\n".join(sorted(upward))


# Top-level modules the others at the top may import: atlas.preflight checks the config before build()
# does anything, atlas.engines picks engine.kind's stages (local or Ray) for it; both import only the
# layers below (the test above and this one hold them to that).
SHARED_TOP = {"atlas.preflight", "atlas.engines"}


def test_top_modules_do_not_import_each_other_except_the_cli():
    top = {m for m in graph() if rank(m) == len(LAYERS)}
    bad = [f"{m} imports {d}" for m in top for d in graph()[m]
           if d in top and d not in SHARED_TOP and m not in ("atlas.cli", "atlas.__main__")]
    bad += [f"{m} imports {d}" for m in SHARED_TOP for d in graph()[m] if d in top]
    assert not bad, bad


def test_no_import_cycles():
    g = graph()
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[str] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(g[node]):
            if state.get(dep) == 1:
                cycles.append(" -> ".join(path[path.index(dep):] + [dep]))
            elif dep not in state:
                visit(dep, path + [dep])
        state[node] = 2

    for start in sorted(g):
        if start not in state:
            visit(start, [start])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_checker_sees_a_planted_upward_import(tmp_path):
    """The walk above really reads imports: a core module importing site is reported."""
    planted = tmp_path / "atlas" / "core" / "bad.py"
    planted.parent.mkdir(parents=True)
    planted.write_text("def f():\n    from atlas.site.render import Renderer\n")
    assert imports_of(planted, {"atlas.site.render"}) == {"atlas.site.render"}
    assert rank("atlas.site.render") > rank("atlas.core.bad")
