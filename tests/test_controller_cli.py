"""``agentmem memory`` administration commands over a real home folder."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from agentmem.cli import app
from agentmem.learning.recordstore import RecordStore, seed_record
from agentmem.learning.snapshots import scan_root


def _invoke(home, *args):
    res = CliRunner().invoke(app, ["--home", str(home), *args])
    assert res.exit_code == 0, res.output
    return res.output


def test_memory_admin_commands(home, tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTMEM_EMBEDDER__BACKEND", "hash")
    monkeypatch.setenv("AGENTMEM_INDEX__BACKEND", "memory")
    root = home / "stores" / "notes"
    store = RecordStore("notes", root)
    seed_record(store, "b0", "Old", "An old behavior.")
    before = scan_root(root)
    snap = json.loads(_invoke(home, "--json", "memory", "snapshot", "--name", "start"))
    assert snap["stores"]["notes"] == 1

    edits = tmp_path / "edits.json"
    edits.write_text(json.dumps({"edits": [
        {"kind": "add_item", "store": "notes", "title": "New rule", "text": "Follow the new rule."},
        {"kind": "add_item", "store": "notes", "title": "Broken"},
    ]}))
    out = _invoke(home, "memory", "apply", str(edits), "--dry-run")
    assert "DRY RUN" in out and "+Follow the new rule." in out and "Field required" in out
    assert scan_root(root) == before

    out = _invoke(home, "memory", "apply", str(edits))
    assert "1 edit(s) applied, 1 refused" in out and store.get_record("new-rule") is not None
    assert "new-rule" in _invoke(home, "memory", "diff", "start")
    why = json.loads(_invoke(home, "--json", "memory", "why", "notes/new-rule"))
    assert why["found"] and why["written_by"][0]["kind"] == "add_item"
    audit = json.loads(_invoke(home, "--json", "memory", "audit"))
    assert {a["status"] for a in audit} >= {"applied", "invalid", "snapshot"}

    _invoke(home, "memory", "retire", "notes/b0")
    assert store.get_record("b0").state.value == "retired"
    out = _invoke(home, "memory", "rollback", "start")
    assert "restored" in out and scan_root(root) == before
    assert "start" in _invoke(home, "memory", "snapshots")


def test_register_joins_an_existing_memory_group():
    from agentmem.cli import memory_admin_cmd

    root = typer.Typer()
    existing = typer.Typer(name="memory")

    @existing.command("stats")
    def stats() -> None:  # pragma: no cover - never invoked
        pass

    root.add_typer(existing, name="memory")
    memory_admin_cmd.register(root)
    assert [g.name for g in root.registered_groups] == ["memory"]
    names = {c.name or c.callback.__name__ for c in existing.registered_commands}
    assert {"stats", "why", "snapshot", "diff", "rollback", "audit"} <= names
