"""`agentmem memory seed` and `agentmem skills state` are typed edits through the reflective controller:
each change leaves an audit row (kind, proposer's trust, item), nothing is written on the side."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agentmem.cli import app
from agentmem.learning.audit import AuditLog


@pytest.fixture
def cli(home, monkeypatch):
    monkeypatch.setenv("AGENTMEM_EMBEDDER__BACKEND", "hash")
    monkeypatch.setenv("AGENTMEM_INDEX__BACKEND", "memory")
    return CliRunner()


def _audit(home):
    return AuditLog(home / "audit.sqlite").entries()


def test_seed_is_audited_add_edits_and_a_second_seed_adds_nothing(cli, home):
    out = cli.invoke(app, ["--json", "memory", "seed", "behaviors"])
    assert out.exit_code == 0, out.output
    rep = json.loads(out.stdout)
    assert len(rep["added"]) == 7 and not rep["skipped"]
    rows = [e for e in _audit(home) if e.status == "applied"]
    assert sorted(e.item_id for e in rows) == sorted(rep["added"]) and {e.kind for e in rows} == {"add_behavior"}
    shown = json.loads(cli.invoke(app, ["--json", "memory", "show", "behaviors", "behavior_check_units"]).stdout)
    assert shown["trust"] == "shipped" and shown["provenance"][0]["source"] == "shipped"
    again = json.loads(cli.invoke(app, ["--json", "memory", "seed", "behaviors"]).stdout)
    assert again["added"] == [] and len(again["skipped"]) == 7 and len(_audit(home)) == len(rows)
    assert cli.invoke(app, ["memory", "seed", "concepts"]).exit_code == 0
    assert {e.kind for e in _audit(home) if e.status == "applied"} == {"add_behavior", "add_concepts"}


def test_skills_state_is_an_audited_lifecycle_edit(cli, home):
    for state, kind in (("retired", "retire_item"), ("quarantined", "quarantine_item"), ("active", "activate_item")):
        out = cli.invoke(app, ["skills", "state", "find-object", state])
        assert out.exit_code == 0 and out.stdout.strip() == f"find-object: {state}", out.output
        rows = [e for e in _audit(home) if e.kind == kind]
        assert [(e.status, e.item_id, e.trust) for e in rows] == [("applied", "find-object", "shipped")]
    assert [e.kind for e in _audit(home) if e.status == "applied"] == ["retire_item", "quarantine_item", "activate_item"]
    assert cli.invoke(app, ["skills", "state", "find-object", "active"]).exit_code == 0  # already active: no edit, no row
    assert len([e for e in _audit(home) if e.status == "applied"]) == 3
    assert cli.invoke(app, ["skills", "state", "no-such-skill", "retired"]).exit_code == 2
