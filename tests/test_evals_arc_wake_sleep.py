"""The ARC wake/sleep learner: two attempts, the test-output firewall, worker processes, sleep through the controller, credit and retirement."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from agentmem.evals.arc.compose import render_program
from agentmem.evals.arc.data import ArcTask, Pair
from agentmem.evals.arc.harness import eval_tasks
from agentmem.evals.arc.library import TransformLibrary
from agentmem.evals.arc.prior import task_features
from agentmem.evals.arc.runner import InProcessGridRunner
from agentmem.evals.arc.search import CompositionSearch, describe_steps
from agentmem.evals.arc.skills_solver import SkillsSolver
from agentmem.evals.arc.sleep import recurring, sub_programs
from agentmem.evals.arc.wake_sleep import WakeSleepConfig, WakeSleepLearner
from agentmem.evals.core import EvalConfig

REPO = Path(__file__).resolve().parents[1]
LIB = TransformLibrary()


def _task(tid, fn, seed, n_train=3, size=(4, 5), colours=(0, 1, 2, 3)):
    rng = np.random.default_rng(seed)
    grids = [rng.choice(colours, size=size) for _ in range(n_train + 1)]
    pairs = [(g.tolist(), np.asarray(fn(g)).tolist()) for g in grids]
    return ArcTask(id=tid, train=[Pair(input=i, output=o) for i, o in pairs[:n_train]], test=[Pair(input=i, output=o) for i, o in pairs[n_train:]],
                   split="training")


def rot_map(k, mapping):
    def f(g):
        o = np.rot90(g, -k).copy()
        r = o.copy()
        for a, b in mapping.items():
            r[o == a] = b
        return r
    return f


def fall(g):
    """Gravity down: every non-zero cell drops to the bottom of its column."""
    out = np.zeros_like(g)
    for c in range(g.shape[1]):
        col = [v for v in g[:, c] if v != 0]
        if col:
            out[-len(col):, c] = col
    return out


def test_two_attempts_are_distinct_programs_with_distinct_test_predictions():
    # a 1-pixel grid that both "flip" and "rotate 180" explain: two programs, same predictions -> one attempt;
    # a task that two programs explain with different test predictions -> two attempts
    t = ArcTask(id="amb", train=[Pair(input=[[1, 2], [1, 2]], output=[[2, 1], [2, 1]])], test=[Pair(input=[[1, 2], [3, 4]], output=[[2, 1], [4, 3]])])
    res = CompositionSearch(LIB, attempts=2).solve(t.train_pairs, t.test_inputs)
    assert len(res.programs) == 2
    preds = [InProcessGridRunner().run(render_program(LIB, p), t.test_inputs)[0].output for p in res.programs]
    assert preds[0] != preds[1]
    assert res.steps == res.programs[0]


def test_test_outputs_never_influence_the_chosen_programs(tmp_path):
    """The firewall: the same task with its test outputs poisoned (or removed) yields the same programs."""
    tasks = [_task("a", rot_map(1, {1: 5}), 1), _task("b", lambda g: g[:, ::-1], 2), _task("c", rot_map(2, {2: 7}), 3)]
    cfg = EvalConfig(benchmark="arc", memory="none", split="training", out_dir=tmp_path / "x", write_gate="train_pairs")  # pyright: ignore[reportArgumentType]
    with SkillsSolver(cfg, learned_dir=None, runner=InProcessGridRunner(), in_process=True) as solver:
        for t in tasks:
            clean = solver.search(t)
            poisoned = t.model_copy(update={"test": [Pair(input=p.input, output=[[9] * 7] * 7) for p in t.test]})
            assert solver.search(poisoned).programs == clean.programs
            got = solver.score_task(poisoned)
            assert got.detail["programs"] == [describe_steps(p) for p in clean.programs]
            assert got.score == 0.0  # scored against the poisoned labels, chosen without them
    # and the worker never receives the outputs at all: the call carries train pairs and test inputs only
    seen = {}

    class Spy:
        def call(self, fn, timeout=None, **kw):
            seen.update(kw)
            from agentmem.evals.arc.skills_solver import search_in_worker
            return search_in_worker(**kw)

        def close(self):
            pass

    with SkillsSolver(cfg, learned_dir=None, runner=InProcessGridRunner(), in_process=True) as solver:
        solver._pool = Spy()  # pyright: ignore[reportAttributeAccessIssue]
        solver.search(tasks[0])
    assert set(seen) == {"shipped", "learned", "train_pairs", "max_candidates", "max_seconds", "max_depth", "test_inputs", "order", "attempts",
                         "learned_only", "exclude"}
    assert seen["train_pairs"] == tasks[0].train_pairs and seen["test_inputs"] == tasks[0].test_inputs


def test_worker_pool_works_from_a_script_without_a_main_guard(tmp_path):
    script = tmp_path / "driver.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from agentmem.evals.arc.workers import SearchWorkers
        with SearchWorkers(2) as pool:
            r = pool.call("search", timeout=120, shipped=None, learned=None, train_pairs=[([[1, 2, 3]], [[3, 2, 1]]), ([[4, 5, 0]], [[0, 5, 4]])], max_candidates=500,
                          max_seconds=30.0, max_depth=1)
        print("OK", len(r["steps"]))
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "OK 1" in out.stdout


def test_sub_programs_and_recurrence():
    a = [{"skill": "rotate", "params": {"k": 1}, "fit": False}, {"skill": "color-map", "params": {"mapping": {"1": 5}}, "fit": True}]
    b = [{"skill": "rotate", "params": {"k": 1}, "fit": False}, {"skill": "color-map", "params": {"mapping": {"1": 6}}, "fit": True}]
    c = [{"skill": "flip", "params": {"axis": "h"}, "fit": False}, {"skill": "color-map", "params": {"mapping": {"1": 6}}, "fit": True}]
    assert sub_programs(a) == [a]
    fitted_first = [{"skill": "color-map", "params": {}, "fit": True}, {"skill": "flip", "params": {"axis": "h"}, "fit": False}]
    assert sub_programs(fitted_first) == []  # a fitted step can only be last (it is re-fitted on each task)
    cands = recurring({"t1": [a], "t2": [b], "t3": [c]}, existing=set())
    assert len(cands) == 1 and cands[0].tasks == ["t1", "t2"]  # the one-task solution (t3) is not abstracted
    assert recurring({"t1": [a], "t2": [b]}, existing={cands[0].key}) == []


def test_task_features_use_no_test_outputs():
    t = _task("a", rot_map(1, {1: 5}), 1)
    f = task_features(t.train_pairs, t.test_inputs)
    assert "shape-same" not in f and "colours-new" in f
    poisoned = t.model_copy(update={"test": [Pair(input=p.input, output=[[9]]) for p in t.test]})
    assert task_features(poisoned.train_pairs, poisoned.test_inputs) == f


def test_wake_sleep_learns_a_composition_through_the_controller(tmp_path):
    # four tasks share "rotate then recolour" (with different colours); sleep abstracts it, its sandbox test activates it;
    # the next wake solves a task that needs three steps (gravity, then the learned pair), out of reach of the depth-2 search
    # over primitives; credit is measured by re-running without the skill, and every step is audited
    hard = _task("h", lambda g: rot_map(1, {1: 6, 2: 8})(fall(g)), 50)
    tasks = [_task(f"t{i}", rot_map(1, {1: 4 + i % 3, 2: 8}), 10 + i) for i in range(4)] + [hard, _task("u0", lambda g: g[::-1, :], 99)]
    learner = WakeSleepLearner(tmp_path / "w", WakeSleepConfig(rounds=2, workers=1, max_candidates=8000, max_seconds=120, validation_every=7),
                               runner=InProcessGridRunner(), progress=False)
    rounds = learner.learn(eval_tasks("training", tasks=tasks))
    assert rounds[0].solved == 5 and rounds[0].added, rounds[0]
    name = rounds[0].added[0]
    assert name in rounds[0].activated
    assert rounds[1].solved == 6 and rounds[1].positive_credits >= 1, rounds[1]
    assert name in learner.active() and not rounds[1].retired
    hist = learner.controller.why(f"skills/{name}")
    assert hist.found and hist.attributes["state"] == "active"
    # each credited use is recorded once by the controller's apply: one outcome row, one utility-table use, one run in `why`
    credit_rows = [row for row in learner.controller.outcomes.rows(store="skills", item_id=name) if "credit" in row.extra]
    assert credit_rows and hist.attributes["credited_uses"] == len(credit_rows) == learner.ledger[name]["uses"]
    assert all(row.used and row.extra["credit_method"] == "marginal" for row in credit_rows)
    assert sorted(u["run_id"] for u in hist.used_in) == sorted(row.run_id for row in credit_rows)
    rows = learner.controller.engine.audit.entries(store="skills", item_id=name)
    kinds = {(r.kind, r.status) for r in rows}
    assert ("add_skill", "quarantined") in kinds and ("activate_item", "applied") in kinds and ("update_utility", "applied") in kinds, kinds
    # the learned skill is a valid, self-testing playbook in the home's skill library
    skill = learner.skills.find(name)
    assert skill is not None and skill.tests == ["scripts/test_transform.py"]
