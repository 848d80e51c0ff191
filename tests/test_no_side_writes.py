"""No store is written from outside its applier (LAYERS.md "Never"), checked on the source.

Every call of a store write method (``record_use``, ``set_state``, ``insert``, ``add_texts``,
``curate``, ``decompose``, ``abstract``, ``upsert_concept``, ``add_relations``, ...) is found with
``ast``; it may only sit inside a store's own module (``agentmem/stores/``, where a store
writes its own files) or in an edit applier (``agentmem/learning/appliers.py``,
``store_appliers.py``, ``recordstore.py``), which the reflective controller's engine calls.
``curate(..., write=False)`` and ``decompose(..., write=False)`` only propose, so they pass.

:data:`PENDING` lists the direct writes still left, each with the reason; the test fails when a
new one appears *and* when a listed one is gone (so the list only shrinks, on purpose).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "agentmem"

WRITE_METHODS = frozenset({
    "record_use", "set_state", "insert", "add_texts", "curate", "decompose", "abstract", "abstract_lessons", "upsert_concept", "add_relations",
    "add_behavior", "seed_from_shipped",
})
WRITE_FUNCTIONS = frozenset({"write_composition_skill"})
ALLOWED = ("stores/", "learning/appliers.py", "learning/store_appliers.py", "learning/recordstore.py", "testing.py")

#: Direct store writes still outside an applier: ``(file, call)`` -> why it is still there.
PENDING: dict[tuple[str, str], str] = {
}


def _is_proposal_only(call: ast.Call) -> bool:
    return any(k.arg == "write" and isinstance(k.value, ast.Constant) and k.value.value is False for k in call.keywords)


def _is_list_insert(call: ast.Call) -> bool:
    return bool(call.args) and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, int)


def side_writes() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG).as_posix()
        if rel.startswith(ALLOWED):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not isinstance(node, ast.Call):
                continue
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else None
            if name is None or _is_proposal_only(node):
                continue
            if (isinstance(fn, ast.Attribute) and name in WRITE_METHODS and not (name == "insert" and _is_list_insert(node))) or name in WRITE_FUNCTIONS:
                found.add((rel, name))
    return found


def test_no_store_is_written_outside_its_applier():
    found = side_writes()
    new = sorted(found - set(PENDING))
    gone = sorted(set(PENDING) - found)
    assert not new, "store writes outside an applier (propose a typed edit to the controller instead):\n" + "\n".join(f"  agentmem/{f}: .{c}(...)" for f, c in new)
    assert not gone, "these direct writes are gone: remove them from PENDING:\n" + "\n".join(f"  {f}: {c}" for f, c in gone)


def test_the_scan_finds_a_direct_write(tmp_path, monkeypatch):
    """The scanner is not blind: a module that credits a store by hand is caught."""
    pkg = tmp_path / "agentmem"
    (pkg / "evals").mkdir(parents=True)
    (pkg / "evals" / "sneaky.py").write_text("def after(store, hb, llm):\n    store.record_use('x', 1.0, True)\n    hb.curate([], None, llm, write=False)\n    [].insert(0, 1)\n")
    monkeypatch.setattr(sys.modules[__name__], "PKG", pkg)
    assert side_writes() == {("evals/sneaky.py", "record_use")}
