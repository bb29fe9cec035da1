"""The package's rooms import one way (CLI -> assembly -> loop -> {arms, backends, store} -> inputs -> searchspace),
without cycles, and the wheel's layout is the repository's."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE_DIRS = {  # import name -> folder, as pyproject's package-dir maps them
    "hpo_mab": REPO / "hpo_mab",
    "hpo_mab.optimizers": REPO / "optimizers",
    "hpo_mab.arms": REPO / "arms",
    "hpo_mab.surrogates": REPO / "surrogates",
}
RANK = {  # a room may import rooms of the same or a lower rank only
    "registry": 0, "version": 0, "bundled": 0, "lazy": 0, "backups": 0, "searchspace": 0, "client": 0,
    "inputs": 1,
    "optimizers": 2, "surrogates": 2, "objectives": 2,
    "arms": 3, "backends": 3, "store": 3,
    "stopping": 4,
    "engine": 5, "peers": 5,
    "assembly": 6,
    "terminal": 7, "reporting": 7,
    "commands": 8, "server": 8,
}  # fmt: skip


def modules() -> dict[str, Path]:
    """Every module of the package: dotted name -> file."""
    out = {}
    for prefix, folder in PACKAGE_DIRS.items():
        for path in folder.rglob("*.py"):
            rel = path.relative_to(folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            name = ".".join([prefix, *parts])
            if prefix == "hpo_mab" and parts and f"hpo_mab.{parts[0]}" in PACKAGE_DIRS:
                continue
            out[name] = path
    return out


def imports(path: Path, name: str) -> list[tuple[str, bool]]:
    """(imported hpo_mab module, at module level) of a file, lazy and TYPE_CHECKING imports included."""
    tree = ast.parse(path.read_text())
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hpo_mab"):
            found.append((node.module, id(node) in top))
        elif isinstance(node, ast.Import):
            found += [(a.name, id(node) in top) for a in node.names if a.name.startswith("hpo_mab")]
    return found


def room(module: str) -> str:
    """``hpo_mab.engine.loop`` -> ``engine``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "hpo_mab"


def test_rooms_import_downward_only():
    offences = []
    for name, path in modules().items():
        here = room(name)
        if here not in RANK:
            continue
        for target, _ in imports(path, name):
            there = room(target)
            if there in RANK and RANK[there] > RANK[here]:
                offences.append(f"{name} imports {target}")
    assert offences == []


def test_every_room_has_a_rank():
    assert {room(n) for n in modules()} - {"hpo_mab"} <= set(RANK)


def test_no_import_cycles_at_module_level():
    graph = {name: {t for t, top in imports(path, name) if top} for name, path in modules().items()}
    known = set(graph)
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in graph[node]:
            target = target if target in known else next((k for k in known if target.startswith(k + ".")), None)
            if target is None or target == node:
                continue
            if state.get(target) == 1:
                pytest.fail("import cycle: " + " -> ".join([*trail, node, target]))
            if target not in state:
                visit(target, [*trail, node])
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [])


def test_every_package_has_a_public_face():
    missing = []
    for name, path in modules().items():
        if path.name == "__init__.py" and name.count(".") == 1 and "__all__" not in path.read_text():
            missing.append(name)
    assert missing == []


def test_every_public_name_resolves():
    import importlib

    packages = sorted({n for n, p in modules().items() if p.name == "__init__.py"})
    for name in packages:
        module = importlib.import_module(name)
        for export in getattr(module, "__all__", []):
            assert getattr(module, export) is not None, (name, export)


def test_pyproject_lists_every_package():
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {n for n, p in modules().items() if p.name == "__init__.py"} | {"hpo_mab.run_conf", "hpo_mab.hp_conf"}
    assert set(config["packages"]) == found
    assert config["package-dir"] == {k: v.name for k, v in PACKAGE_DIRS.items() if k != "hpo_mab"} | {
        "hpo_mab.run_conf": "run_conf",
        "hpo_mab.hp_conf": "hp_conf",
    }
