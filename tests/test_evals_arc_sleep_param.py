"""Sleep abstracts *parameterised* compositions: skill sequences that recur across solved tasks with
different step parameters become skills (through the controller, quarantined until their own test passes
in the sandbox), solve new tasks with yet other parameters, are credited by a real re-run and retired
when they never help."""

from __future__ import annotations

import numpy as np

from agentmem.evals.arc.compose import sequence_key
from agentmem.evals.arc.data import ArcTask, Pair
from agentmem.evals.arc.harness import eval_tasks
from agentmem.evals.arc.library import TransformLibrary
from agentmem.evals.arc.runner import InProcessGridRunner
from agentmem.evals.arc.search import CompositionSearch
from agentmem.evals.arc.sleep import recurring
from agentmem.evals.arc.wake_sleep import WakeSleepConfig, WakeSleepLearner


def _task(tid, fn, seed, n_train=3, size=(4, 5), colours=(0, 1, 2, 3)):
    rng = np.random.default_rng(seed)
    grids = [rng.choice(colours, size=size) for _ in range(n_train + 1)]
    pairs = [(g.tolist(), np.asarray(fn(g)).tolist()) for g in grids]
    return ArcTask(id=tid, train=[Pair(input=i, output=o) for i, o in pairs[:n_train]], test=[Pair(input=i, output=o) for i, o in pairs[n_train:]],
                   split="training")


def flip_map(axis, mapping):
    def f(g):
        o = g[:, ::-1] if axis == "h" else g[::-1, :]
        r = o.copy()
        for a, b in mapping.items():
            r[o == a] = b
        return r
    return f


def _step(skill, fit=False, **params):
    return {"skill": skill, "params": params, "fit": fit}


def test_recurrence_by_skill_sequence_across_different_parameters():
    a = [_step("rotate", k=1), _step("color-map", True, mapping={"1": 5})]
    b = [_step("rotate", k=3), _step("color-map", True, mapping={"2": 6})]
    c = [_step("flip", axis="h"), _step("crop-to-content")]
    fixed = recurring({"t1": [a], "t2": [b], "t3": [c]}, existing=set())
    assert fixed == []  # with fixed parameters nothing recurs (rotate k=1 vs k=3): the old sleep learned nothing here
    cands = recurring({"t1": [a], "t2": [b], "t3": [c]}, existing=set(), parameterised=True)
    assert len(cands) == 1 and cands[0].tasks == ["t1", "t2"] and cands[0].parameterised
    assert cands[0].steps == [_step("rotate"), _step("color-map", True)]  # the sequence, parameters open
    assert len(cands[0].examples) == 2
    assert recurring({"t1": [a], "t2": [b]}, existing={sequence_key(a)}, parameterised=True) == []


def _learner(tmp_path, **cfg):
    conf = WakeSleepConfig(rounds=2, workers=1, max_candidates=4000, max_seconds=120, validation_every=9).model_copy(update=cfg)
    return WakeSleepLearner(tmp_path / "w", conf, runner=InProcessGridRunner(), progress=False)


def test_parameterised_composition_is_proposed_quarantined_activated_and_transfers(tmp_path):
    # "flip then recolour" with the flip axis and the colours varying from task to task
    tasks = [_task("p0", flip_map("h", {1: 5}), 1), _task("p1", flip_map("v", {2: 7}), 2), _task("p2", flip_map("h", {3: 8, 1: 4}), 3)]
    learner = _learner(tmp_path, rounds=1)
    rounds = learner.learn(eval_tasks("training", tasks=tasks))
    added = [n for n in rounds[0].added if "flip-then-color-map" in n]
    assert added and added[0] in rounds[0].activated, rounds[0]
    name = added[0]
    info = learner._info(name)
    assert info["parameterised"] is True and [s["skill"] for s in info["steps"]] == ["flip", "color-map"]
    # through the controller: quarantined on admission, activated by its sandbox test, explained by `memory why`
    kinds = {(r.kind, r.status) for r in learner.controller.engine.audit.entries(store="skills", item_id=name)}
    assert ("add_skill", "quarantined") in kinds and ("activate_item", "applied") in kinds, kinds
    assert learner.controller.why(f"skills/{name}").found
    # the rendered program runs on its own: fit enumerates settings on a new task, one of them reproduces it
    import importlib.util

    spec = importlib.util.spec_from_file_location("learned_param", learner.skills_dir / name / "scripts" / "transform.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    new = _task("n0", flip_map("v", {1: 9, 3: 6}), 7)
    assert any(all(np.array_equal(mod.transform(np.array(i), **p), np.array(o)) for i, o in new.train_pairs) for p in mod.fit(new.train_pairs))
    # a new task with another axis and other colours is solved at depth 1 through the learned unit
    lib = TransformLibrary(learned=learner.skills_dir, only={name})
    res = CompositionSearch(lib).solve(new.train_pairs, new.test_inputs)
    assert res.depth == 1 and res.used_learned == name and [s["skill"] for s in res.steps or []] == ["flip", "color-map"]
    # a three-step task (gravity first) is reached at depth 2 through it
    from agentmem.evals.arc.search import apply_steps

    deeper = _task("d0", lambda g: flip_map("h", {2: 6})(np.rot90(g, -1)), 11)
    res = CompositionSearch(lib, max_candidates=20_000).solve(deeper.train_pairs, deeper.test_inputs)
    assert res.steps is not None and res.used_learned == name and len(res.steps) == 3
    got = apply_steps(lib, res.steps, deeper.test_inputs[0])
    assert got is not None and np.array_equal(got, np.array(deeper.test[0].output))


def test_credit_by_re_run_and_retirement_when_it_never_helps(tmp_path):
    tasks = [_task("p0", flip_map("h", {1: 5}), 1), _task("p1", flip_map("v", {2: 7}), 2), _task("p2", flip_map("h", {3: 8, 1: 4}), 3)]
    # a saving threshold no use can reach: the skill is used and credited, never counts as helping, and is retired
    learner = _learner(tmp_path, min_saving=2.0)
    rounds = learner.learn(eval_tasks("training", tasks=tasks))
    name = next(n for n in rounds[0].added if "flip-then-color-map" in n)
    assert rounds[1].credited_uses >= 1 and rounds[1].positive_credits == 0, rounds[1]
    assert name in rounds[1].retired and name not in learner.active()
    rows = learner.controller.engine.audit.entries(store="skills", item_id=name)
    kinds = {(r.kind, r.status) for r in rows}
    assert ("update_utility", "applied") in kinds and ("retire_item", "applied") in kinds, kinds
    # the credit came from a real re-run without the skill (its reason names both scores)
    assert any(r.kind == "update_utility" and "re-searched without it" in (r.reason or "") for r in rows)
