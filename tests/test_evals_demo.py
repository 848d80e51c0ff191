"""``agentmem demo`` end to end on a tiny slice (the real sizing is documented in demo_cmd)."""

from __future__ import annotations

import json

import pytest


@pytest.mark.slow
def test_demo_runs_the_arc_learning_run_and_reports(tmp_path, home, monkeypatch):
    from typer.testing import CliRunner

    from agentmem.cli import app, demo_cmd

    monkeypatch.setattr(demo_cmd, "QUICK", {"train_limit": 2, "eval_split": "eval100", "eval_limit": 1, "locomo_conversations": 1, "llm_tasks": 1,
                                                 "rounds": 1, "max_candidates": 500, "max_seconds": 20.0})
    r = CliRunner().invoke(app, ["demo", "--skip-locomo", "--workers", "1", "--out", str(tmp_path / "d"), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["arc"]["training"]["tasks"] == 2 and data["arc"]["evaluation_shipped"]["tasks"] == 1
    assert data["locomo"] == {"skipped": "--skip-locomo"}
    assert data["arc"]["training"]["curve"] and "gained" in data["arc"] and "lost" in data["arc"]
    for name in ("demo.md", "demo.json", "arc/wake/round-1/results.json", "arc/eval-learned/summary.md", "arc/eval-shipped/score_by_category.png"):
        assert (tmp_path / "d" / name).exists(), name
    md = (tmp_path / "d" / "demo.md").read_text()
    assert "ARC-AGI-1, LLM-free" in md and "learning gain, paired" in md
