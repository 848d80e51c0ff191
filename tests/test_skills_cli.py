"""`agentmem skills ...` end to end through the typer app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from agentmem.cli import app

runner = CliRunner()


def invoke(home: Path, *args: str, input: str | None = None):
    return runner.invoke(app, ["--home", str(home), *args], input=input, catch_exceptions=False)


def make(root: Path, name: str, text: str, files: dict[str, str] | None = None) -> Path:
    d = root / name
    d.mkdir(parents=True)
    (d / "SKILL.md").write_text(text)
    for rel, content in (files or {}).items():
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / rel).write_text(content)
    return d


def test_list_show_and_json(home):
    res = invoke(home, "skills", "list")
    assert res.exit_code == 0 and "heat-object" in res.stdout and "json-validate" in res.stdout
    data = json.loads(invoke(home, "--json", "skills", "list").stdout)
    names = {s["name"] for s in data["skills"]}
    assert {"decompose-problem", "find-object", "reading-arc-grids"} <= names and data["problems"] == []
    shown = invoke(home, "skills", "show", "heat-object")
    assert shown.exit_code == 0 and "heat <object> with microwave" in shown.stdout and "(playbook, version 1, shipped, active)" in shown.stdout
    missing = invoke(home, "skills", "show", "heat-objekt")
    assert missing.exit_code == 2 and "did you mean heat-object" in missing.stderr


def test_lint_whole_library_and_bad_path(home, tmp_path):
    ok = invoke(home, "skills", "lint")
    assert ok.exit_code == 0, ok.stdout
    bad = make(tmp_path, "bad-skill", "---\nname: Bad_Skill\ndescription: x\nextra: 1\n---\n")
    res = invoke(home, "skills", "lint", str(bad))
    assert res.exit_code == 1
    lines = res.stdout.strip().splitlines()
    assert f"{bad}/SKILL.md: extra: unknown top-level field" in lines[0] or any(line.startswith(f"{bad}/SKILL.md: extra:") for line in lines)
    assert any(line.startswith(f"{bad}/SKILL.md: name:") for line in lines)
    # a bad user skill makes the default lint fail too, and the others still list
    make(home / "skills", "broken", "---\nname: broken\n---\n")
    assert invoke(home, "skills", "lint").exit_code == 1
    listed = invoke(home, "skills", "list")
    assert listed.exit_code == 0 and "heat-object" in listed.stdout and "broken" in listed.stderr


def test_add_history_rollback_run(home, tmp_path):
    src = make(tmp_path, "echo-args", "---\nname: echo-args\ndescription: Echo the arguments.\n---\nRun it.\n", {"scripts/run.py": "import sys\nprint(' '.join(sys.argv[1:]))\n"})
    res = invoke(home, "skills", "add", str(src))
    assert res.exit_code == 0 and "added echo-args" in res.stdout
    assert (home / "skills" / "echo-args" / "SKILL.md").read_bytes() == (src / "SKILL.md").read_bytes()
    assert invoke(home, "skills", "add", str(src)).exit_code == 2  # exists already
    (src / "scripts" / "run.py").write_text("import sys\nprint('v2', *sys.argv[1:])\n")
    assert invoke(home, "skills", "add", str(src), "--replace").exit_code == 0
    run = invoke(home, "skills", "run", "echo-args", "--", "a", "b")
    assert run.exit_code == 0 and run.stdout == "v2 a b\n"
    hist = invoke(home, "skills", "history", "echo-args")
    assert "snapshot 1: version 1" in hist.stdout
    assert invoke(home, "skills", "rollback", "echo-args").exit_code == 0
    assert invoke(home, "skills", "run", "echo-args", "--", "x").stdout == "x\n"
    assert invoke(home, "skills", "rollback", "../etc").exit_code == 2


def test_run_reports_failures_and_json_validate(home, tmp_path):
    doc = tmp_path / "doc.json"
    doc.write_text('{"a": 1}')
    ok = invoke(home, "skills", "run", "json-validate", "--stdin", str(doc), "--", "-", "--schema-json", '{"type": "object", "required": ["a"]}')
    assert ok.exit_code == 0 and ok.stdout == "valid\n"
    bad = invoke(home, "skills", "run", "json-validate", "--stdin", str(doc), "--", "-", "--schema-json", '{"required": ["b"]}')
    assert bad.exit_code == 1 and "missing required property 'b'" in bad.stdout
    make(home / "skills", "loops", "---\nname: loops\ndescription: Loops.\n---\n", {"scripts/run.py": "while True:\n    pass\n"})
    res = invoke(home, "skills", "run", "loops", "--timeout", "1")
    assert res.exit_code == 1 and "killed: timeout" in res.stderr
    assert invoke(home, "skills", "run", "decompose-problem").exit_code == 2  # knowledge skill: clear error


def test_state_and_search(home, monkeypatch):
    monkeypatch.setenv("AGENTMEM_EMBEDDER__BACKEND", "hash")
    monkeypatch.setenv("AGENTMEM_INDEX__BACKEND", "memory")
    found = json.loads(invoke(home, "--json", "skills", "search", "cool the apple with the fridge", "-k", "3").stdout)
    assert found[0]["name"] == "cool-object" and 0 < found[0]["score"] <= 1
    assert invoke(home, "skills", "state", "find-object", "retired").exit_code == 0
    listed = invoke(home, "skills", "list")
    assert "find-object" not in listed.stdout and "find-object" in invoke(home, "skills", "list", "--all").stdout
    assert invoke(home, "skills", "state", "find-object", "bogus").exit_code == 2
