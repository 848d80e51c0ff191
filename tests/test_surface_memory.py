"""The public Memory surface: recall, remember, learn from an outcome, snapshot and rollback."""

from __future__ import annotations

import pytest

import agentmem
from agentmem.testing import HashEmbedder


def test_memory_remember_recall_learn_snapshot_rollback(settings) -> None:
    facts = agentmem.FactStore(settings.paths.stores / "facts", HashEmbedder())
    memory = agentmem.Memory([facts], settings=settings, outcome_log=agentmem.OutcomeLog(settings.paths.home / "o.sqlite"), namespace="alice")
    before = memory.snapshot("empty")
    fid = memory.remember("The spare key is in the blue flowerpot.")
    ctx = memory.recall("where is the spare key?", budget_tokens=200)
    assert fid in ctx.item_ids and "flowerpot" in ctx.text
    run_id = memory.learn("where is the spare key?", ctx, agentmem.Outcome(score=1.0, success=True))
    rows = memory.outcome_log.rows(store="facts")
    assert [(r.run_id, r.item_id, r.success) for r in rows] == [(run_id, fid, True)]
    assert facts.get(fid).usage.uses == 1
    memory.rollback(before.id)
    assert facts.get(fid) is None and memory.recall("where is the spare key?", budget_tokens=200).items == []
    with pytest.raises(agentmem.ConfigError, match="cannot take new items"):
        memory.remember("x", store="skills")
    with pytest.raises(agentmem.StoreError):
        memory.rollback("no-such-snapshot")


def test_controller_wiring_opens_store_plugins(settings, tmp_path, monkeypatch) -> None:
    from agentmem.learning.wiring import open_memory

    site = tmp_path / "site"
    dist = site / "agentmem_notes-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: agentmem-notes\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[agentmem.stores]\nnotes = agentmem_notes_mod2:NoteStore\n")
    (site / "agentmem_notes_mod2.py").write_text(
        "from pathlib import Path\n"
        "class NoteStore:\n"
        "    name = 'notes'\n"
        "    def __init__(self, settings):\n"
        "        self.root = Path(settings.home) / 'notes'\n"
        "        self.root.mkdir(parents=True, exist_ok=True)\n"
        "    def records(self, namespace=None, include_inactive=False): return []\n"
        "    def get_record(self, item_id): return None\n"
        "    def search(self, query, k=10, namespace=None): return []\n"
        "    def record_use(self, item_id, reward, success): pass\n"
        "    def set_state(self, item_id, state): pass\n"
    )
    monkeypatch.syspath_prepend(str(site))
    state, _registry = open_memory(settings)
    assert "notes" in state.stores and state.roots()["notes"] == settings.home / "notes"


def test_memory_recalls_shared_skills_in_any_namespace(settings) -> None:
    skills = agentmem.SkillLibrary(settings, shipped=False)
    skills.create("kettle-descaling", "How to descale an electric kettle with citric acid.", "Boil water with 2 tbsp citric acid, rinse twice.", source="user")
    memory = agentmem.Memory([skills], settings=settings, namespace="alice")
    ctx = memory.recall("descale the kettle", budget_tokens=300)
    assert ctx.item_ids == ["kettle-descaling"] and ctx.items[0].record.namespace == "alice/default"
