"""MemSkill bank: shipped memory skills are valid Agent Skills; stats; snapshots restore byte-identical banks."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from agentmem.errors import SkillFormatError, StoreError
from agentmem.learning.memskill import MemorySkill, MemorySkillBank, SkillSections, chunk_text, estimate_tokens
from agentmem.learning.skill_cards import read_skill_file, scan_skill_folders
from agentmem.resources import skills_dir

SHIPPED = skills_dir() / "memory"


def _digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def _skill(name: str, action: str = "INSERT", text: str = "x") -> MemorySkill:
    sec = SkillSections(description=f"{text} d", purpose=f"{text} p", when_to_use=f"{text} w", how_to_apply=f"{text} h", constraints=f"{text} c")
    return MemorySkill(name=name, description=f"{name} description", action_type=action, sections=sec, origin="designer")


def test_shipped_memory_skills_are_valid_and_typed():
    cards, problems = scan_skill_folders([SHIPPED])
    assert problems == []
    names = {c.name for c in cards}
    assert {"insert-memory", "update-memory", "delete-memory", "skip-memory", "capture-temporal-context", "handle-entity-relationships", "track-object-location"} <= names
    actions = {c.name: MemorySkill.from_card(c).action_type for c in cards}
    assert actions["insert-memory"] == "INSERT" and actions["update-memory"] == "UPDATE"
    assert actions["delete-memory"] == "DELETE" and actions["skip-memory"] == "NOOP"
    for c in cards:
        assert set(c.metadata) >= {"action_type", "origin", "version"} and all(isinstance(v, str) for v in c.metadata.values())


def test_rendered_skill_round_trips_and_bad_names_are_refused(tmp_path):
    bank = MemorySkillBank(tmp_path / "bank", tmp_path / "snaps")
    path = bank.write(_skill("capture-shopping-lists"))
    card = read_skill_file(path)
    again = MemorySkill.from_card(card)
    assert again.sections == _skill("capture-shopping-lists").sections and again.action_type == "INSERT"
    for bad in ("Bad_Name", "../escape", "double--hyphen", "-lead"):
        with pytest.raises(SkillFormatError, match="not a valid skill name"):
            bank.write(_skill(bad))
    assert not (tmp_path / "escape").exists()


def test_malformed_skill_is_reported_and_others_still_load(tmp_path):
    bank = MemorySkillBank(tmp_path / "bank", tmp_path / "snaps")
    broken = tmp_path / "bank" / "broken-skill" / "SKILL.md"
    broken.parent.mkdir()
    broken.write_text("---\nname: broken-skill\ndescription: no sections here\n---\nJust text.\n")
    bank.reload()
    assert "broken-skill" not in bank and "insert-memory" in bank
    assert any("broken-skill" in p and "missing section" in p for p in bank.problems)


def test_stats_track_count_average_recent_ema_and_times(tmp_path):
    bank = MemorySkillBank(tmp_path / "bank", tmp_path / "snaps")
    bank.record_rewards({"insert-memory": [1.0, 0.0] + [0.5] * 25})
    s = bank.stats()["insert-memory"]
    assert s.usage_count == 27 and len(s.recent_rewards) == 20 and s.recent_rewards[-1] == 0.5
    assert s.average_reward == pytest.approx((1.0 + 12.5) / 27)
    assert 0.0 < s.ema < 1.0 and s.created_at <= s.modified_at


def test_snapshot_and_rollback_restore_exact_bank(tmp_path):
    bank = MemorySkillBank(tmp_path / "bank", tmp_path / "snaps")
    bank.record_rewards({"skip-memory": [0.3]})
    before = _digest(bank.root)
    first = bank.snapshot(0.40, "initial")
    bank.write(_skill("track-object-location", "UPDATE", "refined"))  # refine an existing one
    bank.write(_skill("new-evolved-skill"))
    bank.record_rewards({"new-evolved-skill": [1.0]})
    second = bank.snapshot(0.55, "cycle 1")
    after = _digest(bank.root)
    assert after != before and "new-evolved-skill/SKILL.md" in after
    bank.rollback(first.id)
    assert _digest(bank.root) == before and "new-evolved-skill" not in bank
    assert bank.best_snapshot().id == second.id
    bank.rollback_to_best()
    assert _digest(bank.root) == after and bank.get("track-object-location").version == 2
    with pytest.raises(StoreError, match="no snapshot 99"):
        bank.rollback(99)


def test_corrupt_snapshot_leaves_bank_unchanged(tmp_path):
    bank = MemorySkillBank(tmp_path / "bank", tmp_path / "snaps")
    snap = bank.snapshot(0.1)
    bank.write(_skill("kept-skill"))
    state = _digest(bank.root)
    (tmp_path / "snaps" / f"{snap.id:04d}" / "bank" / "insert-memory" / "SKILL.md").write_text("tampered")
    with pytest.raises(StoreError, match="checksum"):
        bank.rollback(snap.id)
    assert _digest(bank.root) == state


def test_chunker_sizes_and_overlap():
    words = [f"w{i}" for i in range(1300)]
    spans = chunk_text(" ".join(words), episode_id="c1", size=512, overlap=64)
    assert all(estimate_tokens(s.text) <= 512 for s in spans)
    assert spans[0].start_word == 0 and spans[-1].end_word == 1300
    for a, b in zip(spans, spans[1:]):
        shared = " ".join(words[b.start_word : a.end_word])  # one long line: about 64 tokens repeated
        assert 60 <= estimate_tokens(shared) <= 64
    turns = "\n".join(f"Speaker{i % 2}: " + " ".join(["word"] * 40) for i in range(30))
    tspans = chunk_text(turns, size=512, overlap=64)
    assert all(s.text.splitlines()[0].startswith("Speaker") for s in tspans)  # turns are not cut
    assert all(estimate_tokens(s.text) <= 512 for s in tspans)
    with pytest.raises(ValueError, match="overlap"):
        chunk_text("a b", size=10, overlap=10)
