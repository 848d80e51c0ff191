"""``agentmem eval locomo`` / ``agentmem eval alfworld`` end to end through the CLI (fakes, real data)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

pytest.importorskip("agentmem.envs.eval_core")

from agentmem.cli import app  # noqa: E402


def test_eval_group_lists_both_commands() -> None:
    res = CliRunner().invoke(app, ["eval", "--help"])
    assert res.exit_code == 0
    assert "alfworld" in res.output and "locomo" in res.output


def test_locomo_cli_with_scripted_model(shared_data, tmp_path) -> None:
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
    pytest.importorskip("alfworld")
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["--json", "eval", "alfworld", "--agent", "expert", "--limit", "2", "--data", str(shared_data), "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["n_tasks"] == 2 and data["success_rate"] == 1.0
    assert (out / "alfworld_summary.md").exists()
