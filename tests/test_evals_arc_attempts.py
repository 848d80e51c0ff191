"""Choosing the two ARC attempts among a pool of verified programs: the pool hook, the ranker, the firewall."""

from __future__ import annotations

import numpy as np
import pytest

from agentmem.evals.arc.attempts import STORE, AttemptRanker, candidate_features, outcome_rows, vote_order
from agentmem.evals.arc.data import ArcTask, Pair
from agentmem.evals.arc.library import TransformLibrary
from agentmem.evals.arc.runner import InProcessGridRunner
from agentmem.evals.arc.search import CompositionSearch, describe_steps
from agentmem.evals.arc.skills_solver import SkillsSolver
from agentmem.evals.core import EvalConfig
from agentmem.learning.outcome_log import OutcomeLog

LIB = TransformLibrary()
# one train pair that several programs explain (flip, rotate 180, ...), with different test predictions
AMB = ArcTask(id="amb", train=[Pair(input=[[1, 2], [1, 2]], output=[[2, 1], [2, 1]])], test=[Pair(input=[[1, 2], [3, 4]], output=[[2, 1], [4, 3]])],
              split="training")


def _task(tid, fn, seed, n_train=2, size=(3, 4)):
    rng = np.random.default_rng(seed)
    grids = [rng.choice((0, 1, 2, 3), size=size) for _ in range(n_train + 1)]
    pairs = [(g.tolist(), np.asarray(fn(g)).tolist()) for g in grids]
    return ArcTask(id=tid, train=[Pair(input=i, output=o) for i, o in pairs[:n_train]], test=[Pair(input=i, output=o) for i, o in pairs[n_train:]],
                   split="training")


def test_a_pool_without_a_ranker_submits_exactly_what_the_first_two_rule_submits():
    plain = CompositionSearch(LIB, attempts=2, max_candidates=3000).solve(AMB.train_pairs, AMB.test_inputs)
    pooled = CompositionSearch(LIB, attempts=2, max_candidates=3000, pool=8).solve(AMB.train_pairs, AMB.test_inputs)
    assert len(pooled.pool) > 2  # more verified programs with distinct predictions exist inside the same window
    assert pooled.programs == plain.programs and pooled.steps == plain.steps and pooled.first_at == plain.first_at
    assert pooled.candidates <= 3000
    keys = [repr(e["prediction"]) for e in pooled.pool]
    assert len(set(keys)) == len(keys) and all(e["votes"] >= 1 for e in pooled.pool)


def test_a_ranker_chooses_the_attempts_among_the_pool():
    against_first = AttemptRanker({"first": -5.0})
    res = CompositionSearch(LIB, attempts=2, max_candidates=3000, pool=8, ranker=against_first).solve(AMB.train_pairs, AMB.test_inputs)
    assert res.programs[0] == res.pool[1]["steps"] and res.pool[0]["steps"] not in res.programs[:1]
    assert res.steps == res.programs[0] and len(res.programs) == 2
    # an untrained ranker keeps discovery order
    res2 = CompositionSearch(LIB, attempts=2, max_candidates=3000, pool=8, ranker=AttemptRanker()).solve(AMB.train_pairs, AMB.test_inputs)
    assert res2.programs == [e["steps"] for e in res2.pool[:2]]


def test_vote_order_puts_the_most_voted_prediction_first():
    pool = [{"votes": 1}, {"votes": 3}, {"votes": 1}, {"votes": 3}]
    assert vote_order(pool) == [1, 3, 0, 2]


def test_features_see_the_prediction_not_the_answer():
    res = CompositionSearch(LIB, attempts=2, max_candidates=3000, pool=8).solve(AMB.train_pairs, AMB.test_inputs)
    f = [candidate_features(AMB.train_pairs, AMB.test_inputs, res.pool, i) for i in range(len(res.pool))]
    assert f[0]["first"] == 1.0 and f[1]["first"] == 0.0 and f[0]["shape_ok"] == 1.0
    shapes = [np.asarray(e["prediction"][0]).shape for e in res.pool]
    assert [x["shape_ok"] for x in f] == [float(s == (2, 2)) for s in shapes]  # the train pairs keep the shape
    assert any(k.startswith("skill:") for k in f[0])
    poisoned = AMB.model_copy(update={"test": [Pair(input=p.input, output=[[9]]) for p in AMB.test]})
    assert [candidate_features(poisoned.train_pairs, poisoned.test_inputs, res.pool, i) for i in range(len(res.pool))] == f


def test_training_lowers_the_loss_and_ranks_held_out_pools_better():
    rng = np.random.default_rng(0)

    def pool_rows(n):
        rows, groups = [], []
        for _ in range(n):
            k = int(rng.integers(2, 5))
            right = int(rng.integers(0, k))
            g = []
            for i in range(k):
                f = {"bias": 1.0, "first": float(i == 0), "identity": float(i != right and rng.random() < 0.8), "log_votes": float(rng.random())}
                g.append((f, i == right))
            groups.append(g)
            rows += g
        return rows, groups

    train, _ = pool_rows(120)
    _, held = pool_rows(60)
    rk = AttemptRanker()
    fit = rk.fit(train)
    assert fit["loss_after"] < fit["loss_before"]
    first_right = sum(g[0][1] for g in held)
    ranked_right = sum(max(g, key=lambda r: rk.score(r[0]))[1] for g in held)
    assert ranked_right > first_right
    assert rk.weights["identity"] < 0
    back = AttemptRanker.from_dict(rk.to_dict())
    assert back.weights == rk.weights


def test_the_ranker_trains_from_outcome_rows_in_the_log(tmp_path):
    log = OutcomeLog(tmp_path / "outcomes.sqlite")
    res = CompositionSearch(LIB, attempts=2, max_candidates=3000, pool=8).solve(AMB.train_pairs, AMB.test_inputs)
    exp = AMB.test[0].output
    correct = [e["prediction"][0] == exp for e in res.pool]
    assert any(correct) and not all(correct)
    log.record(outcome_rows("r1", AMB.id, AMB.train_pairs, AMB.test_inputs, res.pool, correct))
    rows = log.rows(store=STORE)
    assert len(rows) == len(res.pool) and all(r.extra["features"] for r in rows)
    rk = AttemptRanker()
    assert rk.train_from_log(log) is not None and rk.trained
    assert AttemptRanker().train_from_log(OutcomeLog(tmp_path / "empty.sqlite")) is None
    with pytest.raises(ValueError, match="no rows"):
        AttemptRanker().fit([])


def test_the_ranker_never_sees_test_outputs(tmp_path):
    """The firewall with a ranker: poisoned test outputs choose the same attempts; the worker gets no output."""
    tasks = [AMB, _task("b", lambda g: g[:, ::-1], 2), _task("c", lambda g: np.rot90(g, 2), 3)]
    cfg = EvalConfig(benchmark="arc", memory="none", split="training", out_dir=tmp_path / "x", write_gate="self_verification")
    ranker = AttemptRanker({"first": -2.0, "log_votes": 1.0, "identity": -3.0})
    with SkillsSolver(cfg, learned_dir=None, runner=InProcessGridRunner(), in_process=True, pool=8, attempt_ranker=ranker, max_candidates=3000) as solver:
        for t in tasks:
            clean = solver.search(t)
            poisoned = t.model_copy(update={"test": [Pair(input=p.input, output=[[9] * 7] * 7) for p in t.test]})
            assert solver.search(poisoned).programs == clean.programs
            got = solver.score_task(poisoned)
            assert got.detail["programs"] == [describe_steps(p) for p in clean.programs]
            assert got.detail["pool"] and not any(any(e["correct"]) for e in got.detail["pool"])  # scored after the choice
    seen = {}

    class Spy:
        def call(self, fn, timeout=None, **kw):
            seen.update(kw)
            from agentmem.evals.arc.skills_solver import search_in_worker
            return search_in_worker(**kw)

        def close(self):
            pass

    with SkillsSolver(cfg, learned_dir=None, runner=InProcessGridRunner(), in_process=True, pool=8, attempt_ranker=ranker, max_candidates=3000) as solver:
        solver._pool = Spy()  # pyright: ignore[reportAttributeAccessIssue]  # a spy in place of the worker pool
        out = solver.search(tasks[0])
    assert seen["pool"] == 8 and seen["ranker"] == ranker.to_dict()
    assert seen["train_pairs"] == tasks[0].train_pairs and seen["test_inputs"] == tasks[0].test_inputs
    assert "test" not in seen and not any(k.startswith("expected") for k in seen)
    assert out.programs[0] != out.pool[0]["steps"] or len(out.pool) == 1


def test_wake_rounds_train_the_attempt_ranker_from_training_outcomes(tmp_path):
    from agentmem.evals.arc.harness import eval_tasks
    from agentmem.evals.arc.ranked_wake_sleep import RankedWakeSleep
    from agentmem.evals.arc.wake_sleep import WakeSleepConfig

    tasks = [AMB, _task("b", lambda g: g[:, ::-1], 2), _task("c", lambda g: np.rot90(g, 2), 3)]
    with pytest.raises(ValueError, match="pool must exceed"):
        RankedWakeSleep(tmp_path / "bad", WakeSleepConfig(rounds=1, workers=1), pool=2, runner=InProcessGridRunner(), progress=False)
    learner = RankedWakeSleep(tmp_path / "w", WakeSleepConfig(rounds=2, workers=1, max_candidates=1500, max_seconds=60), pool=6,
                              runner=InProcessGridRunner(), progress=False)
    assert learner.attempt_ranker() is None
    rounds = learner.learn(eval_tasks("training", tasks=tasks))
    rows = learner.attempt_log.rows(store=STORE)
    assert rows and {r.run_id for r in rows} <= {"arc-wake/round-1", "arc-wake/round-2"}
    assert any(r.success for r in rows) and not all(r.success for r in rows)
    ranker = learner.attempt_ranker()
    assert learner.ranker_fits[0] is not None and ranker is not None and ranker.trained
    assert rounds[1].solved >= 1
    assert learner._solver_kwargs(None)["attempt_ranker"].weights == ranker.weights
