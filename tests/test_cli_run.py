"""`agentmem run` and `agentmem runs list|show`, driven by a scripted model file."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agentmem.cli import app


@pytest.fixture
def cli(monkeypatch):
    # `agentmem run` recalls from the home's memory by default: use the fake embedder and the in-memory index here
    monkeypatch.setenv("AGENTMEM_EMBEDDER__BACKEND", "hash")
    monkeypatch.setenv("AGENTMEM_INDEX__BACKEND", "memory")
    return CliRunner()


def _script(tmp_path, replies, **options) -> str:
    path = tmp_path / "replies.json"
    path.write_text(json.dumps({"replies": replies, **options} if options else replies))
    return f"scripted:{path}"


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["runs", "--help"], ["runs", "list", "--help"], ["runs", "show", "--help"], ["config", "--help"]])
def test_help(cli, args):
    res = cli.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "Usage" in res.output


def test_run_streams_steps_and_logs_the_run(cli, tmp_path, home):
    model = _script(tmp_path, ["The answer is 42."])
    res = cli.invoke(app, ["run", "What is 6 * 7?", "--model", model])
    assert res.exit_code == 0, res.output
    assert "task What is 6 * 7?" in res.output and "final answer The answer is 42." in res.output
    run_id = res.output.split()[1]
    assert run_id.startswith("run-") and (home / "runs.sqlite").exists()

    listed = cli.invoke(app, ["--json", "runs", "list"])
    rows = json.loads(listed.output)
    assert [r["id"] for r in rows] == [run_id] and rows[0]["final_answer"] == "The answer is 42." and rows[0]["status"] == "final"
    table = cli.invoke(app, ["runs", "list", "--limit", "5"])
    assert run_id in table.output and "unjudged" in table.output

    shown = cli.invoke(app, ["--json", "runs", "show", run_id[:10]])
    data = json.loads(shown.output)
    assert data["id"] == run_id and [s["kind"] for s in data["steps"]] == ["task", "final"]
    assert json.loads(cli.invoke(app, ["runs", "show", run_id, "--json"]).output)["id"] == run_id
    assert json.loads(cli.invoke(app, ["runs", "list", "--json"]).output)[0]["id"] == run_id
    text = cli.invoke(app, ["runs", "show", run_id])
    assert "final answer The answer is 42." in text.output and "status final" in text.output


def test_run_json_output_and_global_model(cli, tmp_path):
    model = _script(tmp_path, [{"text": "", "tool_calls": []}, "ok"], supports_tools=False)
    res = cli.invoke(app, ["--json", "--model", model, "run", "say ok"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["final_answer"] == "ok" and [s["kind"] for s in data["steps"]] == ["task", "error", "final"]


def test_run_budget_exit_code(cli, tmp_path):
    model = _script(tmp_path, ["   ", "   "])
    res = cli.invoke(app, ["run", "q", "--model", model, "--max-steps", "2"])
    assert res.exit_code == 1 and "step budget exhausted" in res.output


def test_run_without_model_is_a_clear_error(cli):
    res = cli.invoke(app, ["run", "hello"])
    assert res.exit_code == 2
    assert "pass --model or set AGENTMEM_MODEL / llm.model" in res.output


def test_run_with_unknown_model_names_it(cli):
    res = cli.invoke(app, ["run", "hello", "--model", "no-such-model-xyz"])
    assert res.exit_code == 2 and "no-such-model-xyz" in res.output


def test_bad_scripted_file_and_missing_run(cli, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    res = cli.invoke(app, ["run", "q", "--model", f"scripted:{bad}"])
    assert res.exit_code == 2 and "bad.json" in res.output
    res = cli.invoke(app, ["runs", "show", "run-missing"])
    assert res.exit_code == 2 and "no run 'run-missing'" in res.output
    assert "no runs recorded" in cli.invoke(app, ["runs", "list"]).output
