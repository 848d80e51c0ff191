"""`agentmem skills train-router` / `skills route`, and register() joining an existing `skills` group."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from agentmem.cli import app
from agentmem.cli import router_cmd
from agentmem.learning.outcome_log import OutcomeLog, OutcomeRow


def _write_skill(root, name, description):
    d = root / name
    d.mkdir(parents=True)
    (d / "SKILL.md").write_text(f"---\nname: {name}\ndescription: {description}\n---\n# {name}\n\nBody.\n")


def test_train_router_then_route(home, monkeypatch):
    monkeypatch.setenv("AGENTMEM_EMBEDDER__BACKEND", "hash")
    monkeypatch.setenv("AGENTMEM_INDEX__BACKEND", "memory")
    _write_skill(home / "skills", "heat-object-a", "Heat an object with an appliance.")
    _write_skill(home / "skills", "heat-object-b", "Warm an object up with an appliance.")
    rows = [OutcomeRow(run_id=f"r{i}", task_text=f"heat the mug number {i}", store="skills", item_id="heat-object-b" if i % 2 else "heat-object-a",
                       used=True, reward=float(i % 2), success=bool(i % 2)) for i in range(40)]
    OutcomeLog(home / "outcomes.sqlite").record(rows)
    runner = CliRunner()
    res = runner.invoke(app, ["--json", "skills", "train-router", "--epochs", "30"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["rows"] == 40 and report["checkpoint"].endswith("skill_router")
    assert (home / "checkpoints" / "skill_router" / "meta.json").exists()
    res = runner.invoke(app, ["--json", "skills", "route", "heat the mug number 99", "-k", "2"])
    assert res.exit_code == 0, res.output
    routed = json.loads(res.output)
    assert routed[0]["source"] == "learned" and routed[0]["name"] == "heat-object-b"


def test_train_router_without_outcomes_is_a_clean_error(home, monkeypatch):
    monkeypatch.setenv("AGENTMEM_EMBEDDER__BACKEND", "hash")
    _write_skill(home / "skills", "some-skill", "Does something.")
    res = CliRunner().invoke(app, ["skills", "train-router"])
    assert res.exit_code == 2 and "usable outcome rows" in res.output


def test_register_joins_an_existing_skills_group():
    root = typer.Typer()
    skills = typer.Typer()

    @skills.command("list")
    def _list() -> None:
        """List skills."""

    root.add_typer(skills, name="skills")
    router_cmd.register(root)
    assert len([g for g in root.registered_groups if g.name == "skills"]) == 1
    assert {c.name for c in skills.registered_commands} == {"list", "train-router", "route"}
