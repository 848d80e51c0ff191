"""``agentmem eval locomo`` / ``agentmem eval alfworld`` end to end through the CLI (fakes, real data)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agentmem.cli import app


def _framework() -> None:
    pytest.importorskip("agentmem.evals.core")


def test_eval_group_lists_both_commands() -> None:
    res = CliRunner().invoke(app, ["eval", "--help"])
    assert res.exit_code == 0
    assert "alfworld" in res.output and "locomo" in res.output


def test_locomo_cli_with_scripted_model(shared_data, tmp_path) -> None:
    _framework()
    pytest.importorskip("agentmem.llm.factory")
    replies = tmp_path / "replies.json"
    # 3 questions, no judge: one answer each
    replies.write_text(json.dumps(["Not mentioned in the conversation", "7 May 2023", "Sweden"]))
    out = tmp_path / "run"
    args = ["--json", "eval", "locomo", "--model", f"scripted:{replies}", "--mode", "full-context", "--no-judge", "--limit", "3",
            "--data", str(shared_data / "locomo" / "locomo10.json"), "--out", str(out)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["n_tasks"] == 3 and data["config"]["options"]["mode"] == "full-context"
    assert (out / "records.jsonl").exists() and (out / "locomo_summary.md").exists()
    assert all(t["metrics"]["memory_tokens"] > 10_000 for t in data["tasks"])


def test_locomo_cli_rejects_bad_categories(shared_data, tmp_path) -> None:
    res = CliRunner().invoke(app, ["eval", "locomo", "--model", "x/y", "--categories", "one", "--data", str(shared_data / "locomo" / "locomo10.json")])
    assert res.exit_code != 0 and "--categories" in res.output


@pytest.mark.alfworld
@pytest.mark.integration
def test_alfworld_cli_expert_two_games(shared_data, tmp_path) -> None:
    _framework()
    pytest.importorskip("alfworld")
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["--json", "eval", "alfworld", "--agent", "expert", "--limit", "2", "--data", str(shared_data), "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["n_tasks"] == 2 and data["success_rate"] == 1.0
    assert (out / "alfworld_summary.md").exists()


def test_locomo_retrieval_only_calls_the_retrieval_harness(monkeypatch, tmp_path) -> None:
    import sys
    import types

    seen = {}

    def evaluate_retrieval(data_path=None, retriever="hybrid", settings=None, seed=0, cache_dir=None, limit_conversations=None):
        seen.update(data_path=data_path, retriever=retriever, seed=seed, limit=limit_conversations)
        return {"main": {"queries": 4, "R@10": 50.0}, "per_category": {"1": {"name": "multi-hop", "queries": 4, "R@10": 50.0}}}

    fake = types.ModuleType("agentmem.evals.locomo.retrieval")
    fake.evaluate_retrieval = evaluate_retrieval
    monkeypatch.setitem(sys.modules, "agentmem.evals.locomo.retrieval", fake)
    res = CliRunner().invoke(app, ["--json", "eval", "locomo", "--retrieval-only", "--retriever", "bm25", "--conversations", "2", "--data", str(tmp_path / "x.json")])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["main"] == {"queries": 4, "R@10": 50.0}
    assert seen == {"data_path": tmp_path / "x.json", "retriever": "bm25", "seed": 0, "limit": 2}
    table = CliRunner().invoke(app, ["eval", "locomo", "--retrieval-only", "--data", str(tmp_path / "x.json")])
    assert "| overall (1-4) | 4 | 50.0 |" in table.output and "| 1 multi-hop | 4 | 50.0 |" in table.output
