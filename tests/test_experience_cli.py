"""`agentmem memory list|show|search|seed` per store, through the real CLI app."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agentmem.cli import app
from agentmem.settings import Settings
from agentmem.stores.subroutines import Subroutine, SubroutineStore


@pytest.fixture
def cli_env(home, monkeypatch):
    monkeypatch.setenv("AGENTMEM_EMBEDDER__BACKEND", "hash")
    monkeypatch.setenv("AGENTMEM_INDEX__BACKEND", "memory")
    return CliRunner()


def _run(runner, *args):
    res = runner.invoke(app, list(args))
    return res.exit_code, res.stdout


def test_seed_list_show_search_behaviors_and_concepts(cli_env):
    assert _run(cli_env, "memory", "seed", "behaviors")[0] == 0
    code, out = _run(cli_env, "--json", "memory", "list", "behaviors")
    assert code == 0 and "behavior_inclusion_exclusion" in [r["id"] for r in json.loads(out)]
    code, out = _run(cli_env, "--json", "memory", "show", "behaviors", "behavior_check_units")
    assert code == 0 and json.loads(out)["trust"] == "shipped"
    code, out = _run(cli_env, "--json", "memory", "search", "behaviors", "union of overlapping sets", "--k", "1")
    assert code == 0 and json.loads(out)[0]["id"] == "behavior_inclusion_exclusion"
    assert _run(cli_env, "memory", "seed", "concepts")[0] == 0
    code, out = _run(cli_env, "--json", "memory", "show", "concepts", "recolor objects")
    data = json.loads(out)
    assert code == 0 and data["relations"][0] == {"target": "find objects", "kind": "uses", "weight": 1.0}
    assert data["parameters"][0]["description"] == "new colour of each object (by size, shape, position)"
    code, out = _run(cli_env, "memory", "list", "concepts")
    assert code == 0 and "tile pattern" in out
    code, _ = _run(cli_env, "memory", "seed", "behaviors")
    assert code == 0 and len(json.loads(_run(cli_env, "--json", "memory", "list", "behaviors")[1])) == 7


def test_subroutines_through_cli(cli_env, home):
    st = SubroutineStore(Settings.load(home=home, embedder={"backend": "hash"}, index={"backend": "memory"}).ensure_home())
    st.add([Subroutine(subquestion=f"question number {i}", subroutine=f"procedure {i}") for i in range(5)])
    code, out = _run(cli_env, "--json", "memory", "list", "subroutines", "--limit", "2", "--offset", "1")
    assert code == 0 and [r["id"] for r in json.loads(out)] == ["sr-1", "sr-2"]
    code, out = _run(cli_env, "--json", "memory", "show", "subroutines", "sr-3")
    assert code == 0 and json.loads(out)["subroutine"] == "procedure 3"
    code, out = _run(cli_env, "--json", "memory", "search", "subroutines", "question number 4", "-k", "1")
    assert code == 0 and json.loads(out)[0]["id"] == "sr-4"
    code, out = _run(cli_env, "memory", "reindex", "subroutines")
    assert code == 0 and "5" in out


def test_errors_are_one_line(cli_env):
    res = cli_env.invoke(app, ["memory", "list", "nope"])
    assert res.exit_code == 2 and "known stores: behaviors, concepts, subroutines" in res.output
    res = cli_env.invoke(app, ["memory", "show", "behaviors", "missing"])
    assert res.exit_code == 2 and "no item 'missing'" in res.output and "Traceback" not in res.output


def test_registry_accepts_new_stores(cli_env, home):
    from agentmem.cli import memory_cmd

    memory_cmd.register_store("behaviors2", memory_cmd.STORES["behaviors"])
    try:
        assert cli_env.invoke(app, ["--json", "memory", "list", "behaviors2"]).exit_code == 0
    finally:
        memory_cmd.STORES.pop("behaviors2")
