"""The LLM-free ARC solver writes its verified compositions only through the reflective controller:
typed AddSkill edits, audited with run and task ids (``memory why`` names the task), and the
``train_labels`` gate never learns from an evaluation split."""

from __future__ import annotations

import json

import numpy as np
from typer.testing import CliRunner

from agentmem.cli import app
from agentmem.evals.arc.data import ArcTask, Pair
from agentmem.evals.arc.harness import eval_tasks, run_skills_eval
from agentmem.evals.arc.runner import InProcessGridRunner
from agentmem.evals.core import EvalConfig
from agentmem.learning.audit import AuditLog

RNG = np.random.default_rng(5)


def _task(tid: str, colours: dict[int, int]) -> ArcTask:
    def fn(g):
        out = np.rot90(g, -1).copy()
        for a, b in colours.items():
            out[np.rot90(g, -1) == a] = b
        return out

    grids = [RNG.choice((0, 1, 2), size=(3, 4)).tolist() for _ in range(4)]
    pairs = [Pair(input=g, output=fn(np.array(g)).tolist()) for g in grids]
    return ArcTask(id=tid, train=pairs[:3], test=pairs[3:])


TASKS = [_task("t1", {1: 2, 2: 1}), _task("t2", {1: 3, 2: 4})]


def _run(tmp_path, settings, split: str, gate: str):
    cfg = EvalConfig(benchmark="arc", memory="updating", split=split, write_gate=gate, out_dir=tmp_path / f"run-{split}", options={"solver": "skills"})  # pyright: ignore[reportArgumentType]
    lib = settings.paths.skills / "arc-learned"
    return run_skills_eval(cfg, learned_dir=lib, tasks=eval_tasks(split, tasks=TASKS), progress=False, runner=InProcessGridRunner(),
                           in_process=True, outcome_home=settings.paths.home), lib


def test_updating_run_writes_audited_skills_that_memory_why_traces_to_the_task(tmp_path, settings, monkeypatch):
    rep, lib = _run(tmp_path, settings, "training", "self_verification")
    t1 = {t["task_id"]: t for t in rep.tasks}["t1"]
    name = t1["detail"]["written_skill"]
    assert name and t1["detail"]["skill_created"] is True and (lib / name / "SKILL.md").is_file()
    applied = [e for e in AuditLog(settings.paths.home / "audit.sqlite").entries(status="applied") if e.kind == "add_skill"]
    assert [(e.item_id, e.task_id) for e in applied] == [(name, "t1")] and applied[0].run_id.endswith("-t1")

    monkeypatch.setenv("AGENTMEM_HOME", str(settings.home))
    monkeypatch.setenv("AGENTMEM_EMBEDDER__BACKEND", "hash")
    monkeypatch.setenv("AGENTMEM_INDEX__BACKEND", "memory")
    out = CliRunner().invoke(app, ["--json", "memory", "why", f"skills/{name}"])
    assert out.exit_code == 0, out.output
    why = json.loads(out.output)
    assert [(w["task_id"], w["kind"]) for w in why["written_by"]] == [("t1", "add_skill")] and why["written_by"][0]["run_id"] == applied[0].run_id


def test_train_labels_gate_learns_nothing_from_an_evaluation_split(tmp_path, settings):
    rep, lib = _run(tmp_path, settings, "evaluation", "train_labels")
    assert all(t["detail"]["written_skill"] is None for t in rep.tasks)
    assert any(t["detail"].get("program") for t in rep.tasks)  # solved, yet nothing written
    assert not list(lib.glob("*/SKILL.md"))
    audit = AuditLog(settings.paths.home / "audit.sqlite").entries()
    assert audit and all(e.status == "refused" and e.reason.startswith("gate: train_labels gate: task split is 'test'") for e in audit)
    assert {e.task_id for e in audit} == {"t1", "t2"}
