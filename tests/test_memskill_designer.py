"""MemSkill designer with the scripted fake LLM: validated proposals, evolution snapshots, early stop, exact rollback."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from agentmem.learning.memskill import MemorySkillBank
from agentmem.learning.memskill.designer import Designer, HardCase, HardCasePool, evolve, kmeans
from agentmem.testing import HashEmbedder, ScriptedLLM

SECTIONS = {"description": "Keeps shopping lists.", "purpose": "Answer what to buy.", "when_to_use": "A list of items to buy is mentioned.",
            "how_to_apply": "Insert one item per list with every entry.", "constraints": "Only lists the user will act on."}


def _proposal(kind: str, name: str, action: str = "INSERT", **over) -> dict:
    return {"kind": kind, "name": name, "description": f"{name} does things", "action_type": action, "sections": {**SECTIONS, **over}, "rationale": "cluster 1"}


def _digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def _cases(n: int, reward: float) -> list[HardCase]:
    texts = ["We need milk, eggs and flour for the cake", "Buy batteries and tape tomorrow", "Last week I moved to Oslo", "Two days ago my sister visited"]
    return [HardCase(span_id=f"s{i}", span_text=texts[i % len(texts)], reward=reward, selected_skills=["insert-memory"]) for i in range(n)]


def test_kmeans_separates_obvious_groups():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 0.05, (10, 4)), rng.normal(3, 0.05, (12, 4))])
    labels = kmeans(x, 2, seed=0)
    assert len(set(labels[:10])) == 1 and len(set(labels[10:])) == 1 and labels[0] != labels[10]


def test_pool_keeps_only_hard_cases_lowest_first():
    pool = HardCasePool(HashEmbedder(), threshold=0.5, max_size=3)
    assert not pool.add(HardCase(span_id="easy", span_text="fine", reward=0.9))
    for i, r in enumerate([0.4, 0.1, 0.3, 0.2]):
        pool.add(HardCase(span_id=f"h{i}", span_text=f"text {i}", reward=r))
    assert sorted(c.reward for c in pool.cases) == [0.1, 0.2, 0.3]
    clusters = pool.clusters(2)
    assert sum(len(c) for c in clusters) == 3 and all(c == sorted(c, key=lambda h: h.reward) for c in clusters)


def test_designer_validates_and_caps_proposals(tmp_path):
    bank = MemorySkillBank(tmp_path / "bank", tmp_path / "snaps")
    d = Designer(bank, ScriptedLLM([]), max_proposals=2)
    out = d.validate([
        _proposal("new", "Bad Name"),
        _proposal("refine", "no-such-skill"),
        _proposal("new", "insert-memory"),
        _proposal("refine", "skip-memory", action="INSERT"),
        _proposal("new", "capture-shopping-lists", purpose=""),
        _proposal("new", "capture-shopping-lists"),
        _proposal("refine", "track-object-location", action="UPDATE"),
        _proposal("new", "third-one"),
    ])
    assert [p.name for p in out.accepted] == ["capture-shopping-lists", "track-object-location"]
    reasons = dict(out.rejected)
    assert "invalid proposal" in reasons["Bad Name"] and "not in the bank" in reasons["no-such-skill"]
    assert "already exists" in reasons["insert-memory"] and "action type cannot change" in reasons["skip-memory"]
    assert "over the limit" in reasons["third-one"]


def test_evolution_snapshots_stops_early_and_rolls_back_to_best_exactly(tmp_path):
    bank = MemorySkillBank(tmp_path / "bank", tmp_path / "snaps")
    replies = [
        {"proposals": [_proposal("new", "capture-shopping-lists"), _proposal("new", "Not Valid")]},
        {"proposals": [_proposal("refine", "skip-memory", action="NOOP", when_to_use="Always.")]},
        {"proposals": [_proposal("refine", "skip-memory", action="NOOP", when_to_use="Always, really.")]},
    ]
    llm = ScriptedLLM([json.dumps(r) for r in replies])
    seen: dict[float, dict[str, str]] = {}

    def evaluate(b: MemorySkillBank):
        skip_refined = b.get("skip-memory").version > 1
        reward = 0.2 if skip_refined else (0.6 if "capture-shopping-lists" in b else 0.4)
        b.record_rewards({"insert-memory": [reward]})
        seen.setdefault(reward, _digest(b.root))
        return reward, _cases(6, reward)

    report = evolve(bank, Designer(bank, llm, max_proposals=2), HardCasePool(HashEmbedder()), evaluate, cycles=6, patience=2)
    llm.assert_complete()
    assert [s.mean_reward for s in report.steps] == [0.4, 0.6, 0.2, 0.2]
    assert report.stopped_early and report.rolled_back
    assert report.steps[1].written == ["capture-shopping-lists"] and report.steps[1].rejected[0][0] == "Not Valid"
    assert [s.mean_reward for s in bank.snapshots()] == [0.4, 0.6, 0.2, 0.2]
    assert report.best.mean_reward == 0.6
    # the bank is byte-identical to what it was when it scored 0.6 (skill files and stats)
    assert _digest(bank.root) == _digest(tmp_path / "snaps" / f"{report.best.id:04d}" / "bank")
    assert {k: v for k, v in _digest(bank.root).items() if k.endswith("SKILL.md")} == {k: v for k, v in seen[0.6].items() if k.endswith("SKILL.md")}
    assert bank.get("skip-memory").version == 1 and "capture-shopping-lists" in bank
    # the first LLM call saw clustered hard cases and the bank's stats
    assert "Cluster 1" in llm.calls[0].prompt and "average reward" in llm.calls[0].prompt


def test_designer_from_settings(settings):
    s = settings.model_copy(update={"memskill": settings.memskill.model_copy(update={"max_proposals": 1})})
    bank = MemorySkillBank.from_settings(s)
    d = Designer.from_settings(s, bank, ScriptedLLM([]))
    assert d.max_proposals == 1
    out = d.validate([_proposal("new", "first-new-skill"), _proposal("new", "second-new-skill")])
    assert [p.name for p in out.accepted] == ["first-new-skill"]
