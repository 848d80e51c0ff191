"""The learned vocabulary: cell-lookup members learned in sleep from training outcomes, through the controller."""

from __future__ import annotations

import numpy as np
import pytest

from agentmem.evals.arc.cell_vocab import MemberStats, member_edit, member_stats, select_members, task_members
from agentmem.evals.arc.compose import render_program
from agentmem.evals.arc.data import ArcTask, Pair
from agentmem.evals.arc.harness import eval_tasks
from agentmem.evals.arc.library import TransformLibrary
from agentmem.evals.arc.runner import InProcessGridRunner
from agentmem.evals.arc.search import CompositionSearch
from agentmem.evals.arc.wake_sleep import WakeSleepConfig, WakeSleepLearner

LIB = TransformLibrary()
CF = LIB.by_name["cell-lookup"]


def left_up_rule(g):
    """A background cell whose first colour seen leftwards is 3 and upwards is 1 turns 5."""
    f = CF.module.features(g)
    out = g.copy()
    out[(g == 0) & (f["fl"] == 3) & (f["fu"] == 1)] = 5
    return out


def _task(tid, fn, seed, n_train=5, size=(9, 9)):
    rng = np.random.default_rng(seed)
    grids = [rng.choice([0, 0, 0, 1, 3], size=size) for _ in range(n_train + 1)]
    pairs = [(g.tolist(), np.asarray(fn(g)).tolist()) for g in grids]
    return ArcTask(id=tid, train=[Pair(input=i, output=o) for i, o in pairs[:n_train]], test=[Pair(input=i, output=o) for i, o in pairs[n_train:]],
                   split="training")


def test_cell_lookup_fits_only_the_member_it_is_told():
    t = _task("x", left_up_rule, 1)
    pairs = [(np.asarray(i), np.asarray(o)) for i, o in t.train_pairs]
    assert CF.fit(pairs) == []  # no learned member named: the family tries nothing
    got = CF.fit(pairs, {"features": ["fl", "fu"]})
    assert len(got) == 1 and got[0]["features"] == ["fl", "fu"]
    test_in = np.asarray(t.test_inputs[0])
    assert np.array_equal(CF.apply(test_in, got[0]), np.asarray(t.test[0].output))
    # the whole family finds it too, among the members that verify
    assert ["fl", "fu"] in [s["features"] for s in CF.fit(pairs, {"features": "*"})]
    # a key never seen in the train pairs is no prediction (so never an attempt)
    with pytest.raises(ValueError):
        CF.apply(np.full((3, 3), 7), got[0])


def test_leave_one_out_rejects_a_memorising_member():
    # a rule keyed on a feature whose values each occur in one pair only cannot be checked by leave-one-out
    pairs = [(np.array([[1, 0], [0, 0]]), np.array([[2, 0], [0, 0]])), (np.array([[0, 0], [0, 1]]), np.array([[0, 0], [0, 4]]))]
    assert CF.fit(pairs, {"features": ["r2"]}) == []


def test_task_members_scores_on_training_labels_and_selection_needs_two_tasks():
    tasks = [_task(f"t{i}", left_up_rule, 10 + i) for i in range(3)]
    found = [task_members(LIB, t) for t in tasks]
    assert all((["fl", "fu"], True) in f for f in found)
    stats = {"fl+fu": MemberStats(features=["fl", "fu"], right=["t0", "t1"]), "r2": MemberStats(features=["r2"], right=["t2"]),
             "ink8": MemberStats(features=["ink8"], right=["t0", "t1", "t2"], wrong=["a", "b", "c"])}
    chosen = select_members(stats)
    assert [c.features for c in chosen] == [["fl", "fu"]]  # one-task member and a member wrong as often as right are not chosen
    assert select_members(stats, known={"fl+fu"}) == []
    assert select_members(stats, covered={"t0", "t1"}) == []


def test_member_mining_refuses_tasks_outside_the_training_split():
    t = _task("ev", left_up_rule, 10).model_copy(update={"split": "evaluation"})
    with pytest.raises(ValueError, match="training tasks only"):
        member_stats(LIB, [t])


def test_learned_member_never_sees_test_outputs(tmp_path):
    """Firewall for the vocabulary: with a learned member active, poisoned test outputs give the same programs."""
    t = _task("t0", left_up_rule, 10)
    edit = member_edit(LIB, MemberStats(features=["fl", "fu"], right=["t0"]), {"t0": t.train_pairs}, run_id="r", round_no=1)
    home = tmp_path / "lib" / edit.name
    for rel, text in edit.files.items():
        (home / rel).parent.mkdir(parents=True, exist_ok=True)
        (home / rel).write_text(text)
    lib = TransformLibrary(learned=tmp_path / "lib")
    assert [u.name for u in lib.learned] == [edit.name]
    clean = CompositionSearch(lib, attempts=2).solve(t.train_pairs, t.test_inputs)
    assert clean.programs and clean.programs[0][-1]["skill"] == "cell-lookup"
    for out in ([[9] * 7] * 7, [[0]]):
        poisoned = t.model_copy(update={"test": [Pair(input=p.input, output=out) for p in t.test]})
        assert CompositionSearch(lib, attempts=2).solve(poisoned.train_pairs, poisoned.test_inputs).programs == clean.programs
    # the rendered skill program (what the sandbox runs) re-fits the member from the hint and reproduces the pairs
    res = InProcessGridRunner().run(render_program(lib, clean.programs[0]), t.test_inputs)
    assert res[0].output == t.test[0].output


def test_wake_sleep_learns_credits_and_retires_members(tmp_path):
    # three tasks need the left/up rule (no shipped transform has it), three are "fill enclosed background" (shipped fill-enclosed does it)
    def enclose(seed):
        def fn(g):
            out = g.copy()
            out[CF.module.features(g)["enclosed"] == 1] = 4
            return out
        return _task(f"e{seed}", fn, seed, size=(8, 8))

    tasks = [_task(f"r{i}", left_up_rule, 10 + i) for i in range(3)] + [enclose(40 + i) for i in range(3)]
    learner = WakeSleepLearner(tmp_path / "w", WakeSleepConfig(rounds=2, workers=1, max_candidates=3000, max_seconds=120, validation_every=50),
                               runner=InProcessGridRunner(), progress=False)
    rounds = learner.learn(eval_tasks("training", tasks=tasks))
    added = [n for n in rounds[0].added if n.startswith("arc-cell-lookup-")]
    assert added and set(added) <= set(rounds[0].activated), rounds[0]
    rule = next(n for n in added if "fl" in n and "fu" in n)
    assert rounds[1].positive_credits >= 1 and rule in learner.active(), rounds[1]
    assert rounds[1].solved >= rounds[0].solved
    hist = learner.controller.why(f"skills/{rule}")
    assert hist.found and hist.attributes["state"] == "active"
    assert hist.attributes["credited_uses"] >= 1 and hist.attributes["utility"] > 0  # the re-run credit reaches `memory why`
    rows = learner.controller.engine.audit.entries(store="skills", item_id=rule)
    kinds = {(r.kind, r.status) for r in rows}
    assert ("add_skill", "quarantined") in kinds and ("activate_item", "applied") in kinds and ("update_utility", "applied") in kinds, kinds
    # a member that only repeats what a shipped transform already solves (fill-enclosed) earns no credit and is retired
    assert any("enclosed" in n for n in rounds[1].retired), rounds[1]
    for name in rounds[1].retired:
        assert name not in learner.active()
        assert any(r.kind == "retire_item" for r in learner.controller.engine.audit.entries(store="skills", item_id=name))
