"""The skill router learns from real runs: ARC LLM-free solver runs log the skills they used through
the controller, `skills train-router` trains on exactly those rows, and the controller routes with
the checkpoint (and an exploration share)."""

from __future__ import annotations

import json

import numpy as np
from typer.testing import CliRunner

from agentmem.cli import app
from agentmem.environment import TaskSpec
from agentmem.evals.arc.data import ArcTask, Pair
from agentmem.evals.arc.harness import eval_tasks, run_skills_eval
from agentmem.evals.arc.runner import InProcessGridRunner
from agentmem.evals.core import EvalConfig
from agentmem.learning.outcome_log import OutcomeLog
from agentmem.learning.routing import CheckpointRouter, router_from_settings
from agentmem.learning.wiring import controller_over

RNG = np.random.default_rng(3)


def _task(tid: str, fn) -> ArcTask:
    grids = [RNG.choice((0, 1, 2), size=(3, 4)).tolist() for _ in range(4)]
    pairs = [Pair(input=g, output=fn(np.array(g)).tolist()) for g in grids]
    return ArcTask(id=tid, train=pairs[:3], test=pairs[3:])


KINDS = {"flip": lambda g: g[:, ::-1], "rot": lambda g: np.rot90(g, -1), "transpose": lambda g: g.T}


def test_router_trains_on_arc_solver_runs_and_the_controller_uses_it(tmp_path, settings, monkeypatch):
    tasks = [_task(f"{kind}-{i}", fn) for i in range(4) for kind, fn in KINDS.items()]
    cfg = EvalConfig(benchmark="arc", memory="none", split="training", out_dir=tmp_path / "run", options={"solver": "skills"})
    rep = run_skills_eval(cfg, learned_dir=None, tasks=eval_tasks("training", tasks=tasks), progress=False, runner=InProcessGridRunner(), in_process=True,
                          outcome_home=settings.paths.home)
    used = OutcomeLog(settings.paths.home / "outcomes.sqlite").rows(store="skills", used_only=True)
    solved = {t["task_id"]: t["detail"]["skills"] for t in rep.tasks if t["detail"].get("skills")}
    assert len(solved) >= 10
    # one row per skill a run used, with the run id, the task, and the training-label outcome
    assert sorted((r.task_id, r.item_id) for r in used) == sorted((tid, s) for tid, names in solved.items() for s in names)
    assert all(r.run_id.startswith("arc-") and r.run_id.endswith(f"-{r.task_id}") and r.outcome_source == "environment" for r in used)
    assert len({r.run_id.rsplit("-", 2)[0] for r in used}) == 1  # one evaluation run's fingerprint

    monkeypatch.setenv("AGENTMEM_HOME", str(settings.home))
    monkeypatch.setenv("AGENTMEM_EMBEDDER__BACKEND", "hash")
    monkeypatch.setenv("AGENTMEM_INDEX__BACKEND", "memory")
    cli = CliRunner()
    assert router_from_settings(settings) is None  # no checkpoint yet: the controller does not route
    trained = cli.invoke(app, ["--json", "skills", "train-router", "--epochs", "20"])
    assert trained.exit_code == 0, trained.output
    report = json.loads(trained.output)
    assert report["rows"] == len(used)  # trained on exactly the logged runs

    router = router_from_settings(settings, explore=0.0)
    assert isinstance(router, CheckpointRouter) and router.router.trained
    spec = TaskSpec(id="new", instruction="ARC task new: find the rule that maps each input grid to its output grid.", metadata={"split": "train"})
    ctl = controller_over([], settings.paths.home, mode="frozen", router=router)
    ctx = ctl.before_task(spec)
    assert ctx.routed_skill == router.last.skill and router.last.source == "learned" and not router.last.explored
    assert router.last.trained_on_rows == len(used)
    explorer = router_from_settings(settings, explore=1.0, k=3)
    choice = explorer.choose(spec.instruction)
    assert choice.explored and choice.skill != choice.candidates[0]["skill"]
    # the routed skill's outcome is logged as the skill used: the next training round sees it
    from agentmem.types import Outcome

    ctl.after_task(spec, ctx, [], Outcome(score=1.0, success=True, source="environment"), "run-routed")
    assert [(r.item_id, r.used) for r in OutcomeLog(settings.paths.home / "outcomes.sqlite").rows(run_id="run-routed")] == [(ctx.routed_skill, True)]

    explained = cli.invoke(app, ["skills", "route", spec.instruction, "-k", "2"])
    assert explained.exit_code == 0 and f"trained on {len(used)} outcome rows" in explained.output and explained.output.count("(learned") == 2
