"""Skill router: hybrid fallback, training from outcomes beats similarity, checkpoints, usage sidecar."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from agentmem.errors import ConfigError
from agentmem.learning.outcome_log import OutcomeLog, OutcomeRow
from agentmem.learning.skill_cards import SkillCard
from agentmem.learning.skill_router import RouterConfig, SkillRouter, SkillUsageLedger
from agentmem.testing import HashEmbedder

# Two task kinds; per kind two skills whose descriptions look equally relevant. Which one works
# is hidden (only outcomes reveal it) and differs by kind.
SKILLS = [
    SkillCard(name="table-loader-a", description="Load tabular files and clean their columns before analysis."),
    SkillCard(name="table-loader-b", description="Read tabular files, clean columns and prepare them for analysis."),
    SkillCard(name="chart-maker-a", description="Draw a chart of numeric series for a report."),
    SkillCard(name="chart-maker-b", description="Make charts of numeric series for reports."),
]
BEST = {"table": "table-loader-b", "chart": "chart-maker-a"}
TEMPLATES = {
    "table": ["load the {x} spreadsheet and clean its columns", "clean the columns of the {x} tabular file", "prepare the {x} table for analysis"],
    "chart": ["draw a chart of the {x} numbers", "make a report chart of {x} series", "plot the {x} numeric series for the report"],
}
WORDS_TRAIN = ["sales", "budget", "weather", "traffic", "payroll", "inventory", "survey", "energy"]
WORDS_TEST = ["census", "latency", "rainfall", "revenue"]


def _tasks(words, rng, n):
    out = []
    for _ in range(n):
        kind = str(rng.choice(sorted(TEMPLATES)))
        out.append((kind, str(rng.choice(TEMPLATES[kind])).format(x=rng.choice(words))))
    return out


def _log_outcomes(router: SkillRouter, rng, n=240):
    rows = []
    for i, (kind, text) in enumerate(_tasks(WORDS_TRAIN, rng, n)):
        cands = [name for name, _ in router.candidates(text, k=4)]
        skill = str(rng.choice(cands))  # uniform exploration over the candidates
        p = 0.9 if skill == BEST[kind] else 0.15
        ok = bool(rng.random() < p)
        rows.append(OutcomeRow(run_id=f"r{i}", task_text=text, store="skills", item_id=skill, used=True, reward=float(ok), success=ok))
    return rows


def _recall_at_1(router: SkillRouter, tasks) -> float:
    return float(np.mean([router.route(text, k=1)[0].name == BEST[kind] for kind, text in tasks]))


def test_untrained_router_falls_back_to_hybrid_with_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="agentmem.learning.skill_router"):
        router = SkillRouter(SKILLS, HashEmbedder(), checkpoint_dir=tmp_path / "ckpt")
    assert not router.trained
    assert "falling back to hybrid" in caplog.text
    routed = router.route("clean the columns of the sales table", k=2)
    assert [r.source for r in routed] == ["hybrid", "hybrid"]
    assert routed[0].name.startswith("table-loader")
    with pytest.raises(ConfigError, match="no trained head"):
        router.score("x", ["table-loader-a"])


def test_training_on_outcomes_beats_similarity_on_held_out_tasks(tmp_path):
    rng = np.random.default_rng(0)
    router = SkillRouter(SKILLS, HashEmbedder(), checkpoint_dir=tmp_path / "ckpt", config=RouterConfig(epochs=60, seed=0))
    held_out = _tasks(WORDS_TEST, np.random.default_rng(1), 60)
    before = _recall_at_1(router, held_out)
    report = router.train(_log_outcomes(router, rng))
    after = _recall_at_1(router, held_out)
    assert report.final_loss < report.first_loss
    assert after > before and after >= 0.8
    assert (tmp_path / "ckpt" / "meta.json").exists() and (tmp_path / "ckpt" / "head.pt").exists()
    # a fresh router loads the checkpoint and ranks the same way
    again = SkillRouter(SKILLS, HashEmbedder(), checkpoint_dir=tmp_path / "ckpt")
    assert again.trained
    text = held_out[0][1]
    assert np.allclose(again.score(text, [s.name for s in SKILLS]), router.score(text, [s.name for s in SKILLS]))


def test_mismatched_or_corrupt_checkpoint_falls_back(tmp_path, caplog):
    router = SkillRouter(SKILLS, HashEmbedder(), checkpoint_dir=tmp_path / "ckpt", config=RouterConfig(epochs=3))
    router.train(_log_outcomes(router, np.random.default_rng(0), n=40))
    with caplog.at_level(logging.WARNING, logger="agentmem.learning.skill_router"):
        other = SkillRouter(SKILLS, HashEmbedder(dim=128), checkpoint_dir=tmp_path / "ckpt")
    assert not other.trained and "trained with embedder 'hash-256'" in caplog.text
    (tmp_path / "ckpt" / "head.pt").write_bytes(b"garbage")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="agentmem.learning.skill_router"):
        broken = SkillRouter(SKILLS, HashEmbedder(), checkpoint_dir=tmp_path / "ckpt")
    assert not broken.trained and "checksum" in caplog.text
    assert broken.route("draw a chart", k=1)[0].source == "hybrid"


def test_record_outcome_logs_and_updates_usage_sidecar(settings):
    router = SkillRouter.from_settings(settings, SKILLS)
    router.record_outcome("load the sales table", "table-loader-b", reward=1.0, success=True, run_id="r1")
    router.record_outcome("load the budget table", "table-loader-b", reward=0.0, success=False, run_id="r2")
    stats = SkillUsageLedger(settings.paths.stores / "skill_router" / "usage.json").get("table-loader-b")
    assert stats.uses == 2 and stats.successes == 1 and stats.recent_rewards == [1.0, 0.0]
    rows = OutcomeLog(settings.paths.home / "outcomes.sqlite").rows(store="skills", used_only=True)
    assert [r.item_id for r in rows] == ["table-loader-b", "table-loader-b"]
    with pytest.raises(ConfigError, match="only 2 usable outcome rows"):
        router.train()
