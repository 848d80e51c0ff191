"""Which verified ARC programs become the two attempts: an attempt ranker learned from outcomes.

Every program the search submits reproduces every train pair, so on the train pairs all candidates
look the same; they differ in *what they are* (skills, depth, fitted or fixed parameters, how soon
the search found them) and in *what they predict* on the test inputs. ARC allows two attempts, and
the shipped rule submits the first two verified programs with distinct test predictions. Some
settings are verified on train yet wrong on test and take those slots while a right program found a
little later is never submitted.

With ``pool > attempts`` (:class:`~.search.CompositionSearch`), the search keeps collecting verified
programs with distinct test predictions inside the **same** window (``second_budget`` candidate checks
after the first program, never past ``max_candidates``), and an :class:`AttemptRanker` orders that pool;
the first ``attempts`` of its order are submitted. The ranker sees the train pairs, the test
*inputs* and the pool (programs and their predictions): never a test output.

**Features** of one pool entry (:func:`candidate_features`): discovery rank and how many checks
after the first program it came; depth; whether its last step was fitted; how many verified
programs (duplicates included) made the same prediction (a vote) and its share of the pool; and
properties of the prediction against what the train pairs show: shape consistent with the train
shape rule, prediction equal to the test input, colours it adds that the train outputs never add,
colours outside the train outputs' and test input's palette, the fraction of cells it changes
against the train pairs' changed fraction, uniform output; plus one indicator per skill used.

**Learning signal** (training split only): each pool entry of a training task is an outcome row
(:class:`~agentmem.learning.outcome_log.OutcomeRow`, ``store="arc-attempts"``; ``success``: its
predictions equal the task's test outputs; the features in ``extra``) written to the outcome log
every learner reads. :meth:`AttemptRanker.train` fits an L2-regularised logistic model on those
rows (numpy, full-batch gradient descent, deterministic): a small model of its own rather than the
skill router's head, because the router scores (task text, skill card) pairs and these rows are
(task, program, prediction) triples with numeric features. Ranking is by the model's probability,
ties in discovery order.

:func:`vote_order` is the non-learned baseline (most votes first, then discovery order).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from agentmem.fileio import atomic_write_json

STORE = "arc-attempts"


def _shape_rule(ins: list[np.ndarray], outs: list[np.ndarray]) -> str:
    if all(i.shape == o.shape for i, o in zip(ins, outs)):
        return "same"
    if len({o.shape for o in outs}) == 1:
        return "fixed"
    ratios = {(o.shape[0] / i.shape[0], o.shape[1] / i.shape[1]) for i, o in zip(ins, outs)}
    return "ratio" if len(ratios) == 1 else "free"


def _colours(g: np.ndarray) -> set[int]:
    return set(np.unique(g).tolist())


def candidate_features(train_pairs: Sequence[tuple[Any, Any]], test_inputs: Sequence[Any], pool: Sequence[dict[str, Any]], index: int) -> dict[str, float]:
    """Features of ``pool[index]`` (see the module docstring); never reads a test output."""
    e = pool[index]
    ins = [np.asarray(i) for i, _ in train_pairs]
    outs = [np.asarray(o) for _, o in train_pairs]
    first_at = min(int(p.get("found_at") or 0) for p in pool)
    total_votes = sum(int(p.get("votes") or 1) for p in pool)
    votes = int(e.get("votes") or 1)
    steps = e.get("steps") or []
    f: dict[str, float] = {
        "bias": 1.0,
        "first": float(index == 0),
        "second": float(index == 1),
        "log_rank": math.log1p(index),
        "later_checks": min(1.0, (int(e.get("found_at") or 0) - first_at) / 1000.0),
        "depth2": float(int(e.get("depth") or 1) >= 2),
        "fitted": float(bool(steps) and bool(steps[-1].get("fit"))),
        "log_votes": math.log1p(votes),
        "vote_share": votes / max(1, total_votes),
        "top_vote": float(votes == max(int(p.get("votes") or 1) for p in pool)),
        "pool_size": math.log1p(len(pool)),
        "n_train": min(len(train_pairs), 6) / 6.0,
    }
    rule = _shape_rule(ins, outs)
    out_cols = set().union(*[_colours(o) for o in outs]) if outs else set()
    adds_new = any(_colours(o) - _colours(i) for i, o in zip(ins, outs))
    same_pairs = [(i, o) for i, o in zip(ins, outs) if i.shape == o.shape]
    changed_train = float(np.mean([(i != o).mean() for i, o in same_pairs])) if same_pairs else None
    acc: dict[str, list[float]] = {}
    preds = e.get("prediction") or [None] * len(test_inputs)
    for t, p in zip(test_inputs, preds):
        if p is None:
            continue
        t, p = np.asarray(t), np.asarray(p)
        vals: dict[str, float] = {}
        if rule == "same":
            vals["shape_ok"] = float(p.shape == t.shape)
        elif rule == "fixed":
            vals["shape_ok"] = float(p.shape == outs[0].shape)
        elif rule == "ratio":
            r = (outs[0].shape[0] / ins[0].shape[0], outs[0].shape[1] / ins[0].shape[1])
            vals["shape_ok"] = float(abs(p.shape[0] - t.shape[0] * r[0]) < 1e-6 and abs(p.shape[1] - t.shape[1] * r[1]) < 1e-6)
        else:
            vals["shape_ok"] = 0.5
        vals["identity"] = float(p.shape == t.shape and np.array_equal(p, t))
        pc, tc = _colours(p), _colours(t)
        vals["new_colour_unlike_train"] = float(bool(pc - tc) and not adds_new)
        vals["foreign_colour"] = float(bool(pc - tc - out_cols))
        vals["uniform"] = float(len(pc) == 1)
        vals["fewer_colours"] = float(len(pc) < min(len(_colours(o)) for o in outs)) if outs else 0.0
        if changed_train is not None and p.shape == t.shape:
            vals["changed_gap"] = abs(float((p != t).mean()) - changed_train)
        lo, hi = min(o.size for o in outs), max(o.size for o in outs)
        vals["size_outside_train"] = float(p.size < lo or p.size > hi) if rule != "same" else 0.0
        for k, v in vals.items():
            acc.setdefault(k, []).append(v)
    for k in ("shape_ok", "identity", "new_colour_unlike_train", "foreign_colour", "uniform", "fewer_colours", "changed_gap", "size_outside_train"):
        f[k] = float(np.mean(acc[k])) if acc.get(k) else 0.0
    for name in sorted({str(s.get("skill")) for s in steps}):
        f[f"skill:{name}"] = 1.0
    return f


def vote_order(pool: Sequence[dict[str, Any]]) -> list[int]:
    """The non-learned baseline: most votes first, then discovery order."""
    return sorted(range(len(pool)), key=lambda i: (-int(pool[i].get("votes") or 1), i))


class AttemptRanker:
    """An L2-regularised logistic model over :func:`candidate_features`, trained from outcome rows."""

    def __init__(self, weights: dict[str, float] | None = None, *, l2: float = 1.0, epochs: int = 400, lr: float = 0.5) -> None:
        self.weights = dict(weights or {})
        self.l2, self.epochs, self.lr = l2, epochs, lr

    @property
    def trained(self) -> bool:
        return bool(self.weights)

    def score(self, feats: dict[str, float]) -> float:
        z = sum(self.weights.get(k, 0.0) * v for k, v in feats.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def order(self, train_pairs: Sequence[tuple[Any, Any]], test_inputs: Sequence[Any], pool: Sequence[dict[str, Any]]) -> list[int]:
        """Pool indices, best first (ties keep discovery order); discovery order when untrained."""
        if not self.trained or len(pool) < 2:
            return list(range(len(pool)))
        scores = [self.score(candidate_features(train_pairs, test_inputs, pool, i)) for i in range(len(pool))]
        return sorted(range(len(pool)), key=lambda i: (-round(scores[i], 9), i))

    def fit(self, rows: Sequence[tuple[dict[str, float], bool]]) -> dict[str, float]:
        """Fit on ``(features, correct)`` pairs; returns the training log-loss before and after."""
        if not rows:
            raise ValueError("AttemptRanker.fit: no rows")
        names = sorted({k for f, _ in rows for k in f})
        x = np.array([[f.get(k, 0.0) for k in names] for f, _ in rows], dtype=float)
        y = np.array([1.0 if ok else 0.0 for _, ok in rows])
        w = np.zeros(len(names))
        reg = np.array([0.0 if k == "bias" else self.l2 for k in names]) / len(rows)

        def loss(w: np.ndarray) -> float:
            p = 1 / (1 + np.exp(-np.clip(x @ w, -30, 30)))
            return float(-np.mean(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)))

        before = loss(w)
        for _ in range(self.epochs):
            p = 1 / (1 + np.exp(-np.clip(x @ w, -30, 30)))
            w -= self.lr * (x.T @ (p - y) / len(rows) + reg * w)
        self.weights = {k: round(float(v), 6) for k, v in zip(names, w) if v != 0.0}
        return {"rows": float(len(rows)), "positives": float(y.sum()), "loss_before": round(before, 4), "loss_after": round(loss(w), 4)}

    # ---- the outcome log ------------------------------------------------------------------------
    def train_from_log(self, log: Any, *, store: str = STORE) -> dict[str, float] | None:
        """Fit on the outcome log's ``store`` rows (features in ``extra``); None when no task had a right and a wrong entry."""
        rows = [r for r in log.rows(store=store) if r.extra.get("features")]
        by_task: dict[str, set[bool]] = {}
        for r in rows:
            by_task.setdefault(f"{r.run_id}/{r.task_id}", set()).add(bool(r.success))
        if not any(len(v) == 2 for v in by_task.values()):
            return None
        return self.fit([(dict(r.extra["features"]), bool(r.success)) for r in rows])

    def to_dict(self) -> dict[str, Any]:
        return {"weights": self.weights, "l2": self.l2, "epochs": self.epochs, "lr": self.lr}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "AttemptRanker":
        return cls(d.get("weights") or {}, l2=float(d.get("l2", 1.0)), epochs=int(d.get("epochs", 400)), lr=float(d.get("lr", 0.5)))

    def save(self, path: Path) -> None:
        atomic_write_json(Path(path), self.to_dict())

    @classmethod
    def load(cls, path: Path) -> "AttemptRanker":
        p = Path(path)
        try:
            return cls.from_dict(json.loads(p.read_text()))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{p}: not an attempt-ranker file ({exc})") from exc


def outcome_rows(run_id: str, task_id: str, train_pairs: Sequence[tuple[Any, Any]], test_inputs: Sequence[Any], pool: Sequence[dict[str, Any]],
                 correct: Sequence[bool]) -> list[Any]:
    """One outcome row per pool entry of a **training** task (``correct[i]``: entry ``i`` got every test output)."""
    from agentmem.evals.arc.search import describe_steps
    from agentmem.learning.outcome_log import OutcomeRow

    return [OutcomeRow(run_id=run_id, task_id=task_id, task_text="arc attempt", store=STORE, item_id=describe_steps(e["steps"]), rank=i, used=True,
                       reward=float(ok), success=bool(ok), extra={"features": candidate_features(train_pairs, test_inputs, pool, i)})
            for i, (e, ok) in enumerate(zip(pool, correct))]
