"""The layering rules of LAYERS.md, checked on the source: what may never import what.

Imports are read with ``ast`` (module level and inside functions alike), so a lazy import
inside a function counts the same as one at the top of a file.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "agentmem"


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports (relative imports resolved)."""
    mod = _module_name(path)
    pkg = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.add(target)
            out.update(f"{target}.{a.name}" for a in node.names)
    return out


def _sources() -> list[Path]:
    return sorted(p for p in PKG.rglob("*.py"))


def _violations(layer_prefixes: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in _sources():
        mod = _module_name(path)
        if not mod.startswith(layer_prefixes):
            continue
        for imp in sorted(_imports(path)):
            if any(imp == f or imp.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(PKG.parent)} imports {imp}")
    return bad


def test_production_code_never_imports_testing():
    bad = []
    for path in _sources():
        if path.name == "testing.py" and path.parent == PKG:
            continue
        bad += [f"{path.relative_to(PKG.parent)} imports {i}" for i in _imports(path) if i == "agentmem.testing" or i.startswith("agentmem.testing.")]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        (("agentmem.retrieval",), ("agentmem.evals", "agentmem.agent", "agentmem.cli", "agentmem.learning", "agentmem.stores", "agentmem.memory", "agentmem.mcp_server")),
        (("agentmem.stores",), ("agentmem.evals", "agentmem.agent", "agentmem.cli", "agentmem.learning.controller", "agentmem.learning.engine", "agentmem.memory", "agentmem.mcp_server")),
        (("agentmem.learning",), ("agentmem.evals", "agentmem.agent", "agentmem.cli", "agentmem.mcp_server")),
        (("agentmem.llm", "agentmem.settings", "agentmem.types", "agentmem.errors", "agentmem.fileio", "agentmem.prompts", "agentmem.hooks", "agentmem.environment"), ("agentmem.evals", "agentmem.agent", "agentmem.cli", "agentmem.learning", "agentmem.stores", "agentmem.memory")),
        (("agentmem.evals",), ("agentmem.cli", "agentmem.mcp_server")),
    ],
    ids=["retrieval", "stores", "learning", "ground", "evals"],
)
def test_layer_never_imports_upward(layer, forbidden):
    bad = _violations(layer, forbidden)
    assert not bad, "\n".join(bad)
