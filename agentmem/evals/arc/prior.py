"""The search prior: the outcome-trained skill router, over ARC task features.

DreamCoder's recognition model maps a task to a distribution over library primitives; here that
role is played by :class:`agentmem.learning.skill_router.SkillRouter`, the same router that routes
any task to skills, fed with a text rendering of features computed from a task's **train pairs
and test inputs** (never test outputs): the shape relation and scale factors, colour counts and
whether colours appear or vanish, object counts, symmetries of inputs and outputs, separator
lines, the background colour. Each feature is one token, so the router's hash embedder and BM25
see them as words.

Outcome rows: after a wake round, every skill in a verified program of a solved task is a
success row for that task's features; every skill the search tried alone on the task (depth 1)
that is not in the program is a failure row (that skill was run and did not explain the pairs).
The router's head (P(success | task features, skill)) is retrained on all rows so far; its scores
order the next round's enumeration. Without a trained head the order is the library's default.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from agentmem.learning.outcome_log import OutcomeLog, OutcomeRow
from agentmem.learning.skill_router import RouterConfig, SkillRouter, TrainReport


def _objects(g: np.ndarray) -> int:
    from scipy import ndimage

    n = 0
    for v in np.unique(g):
        if v == 0:
            continue
        n += int(ndimage.label(g == v, structure=np.ones((3, 3), dtype=int))[1])  # pyright: ignore[reportIndexIssue]  # scipy's stub types the pair loosely
    return n


def _bucket(n: int) -> str:
    return str(n) if n <= 4 else "5-9" if n < 10 else "10+"


def _symmetries(g: np.ndarray) -> list[str]:
    out = []
    if np.array_equal(g, g[:, ::-1]):
        out.append("lr")
    if np.array_equal(g, g[::-1, :]):
        out.append("ud")
    if g.shape[0] == g.shape[1] and np.array_equal(g, g.T):
        out.append("diag")
    return out


def _separators(g: np.ndarray) -> bool:
    h, w = g.shape
    rows = [r for r in range(h) if len(set(g[r].tolist())) == 1 and g[r, 0] != 0]
    cols = [c for c in range(w) if len(set(g[:, c].tolist())) == 1 and g[0, c] != 0]
    return 0 < len(rows) < h or 0 < len(cols) < w


def task_features(train_pairs: Sequence[tuple[Any, Any]], test_inputs: Sequence[Any] = ()) -> list[str]:
    """Feature tokens of an ARC task (train pairs and test inputs only)."""
    ins = [np.asarray(i) for i, _ in train_pairs]
    outs = [np.asarray(o) for _, o in train_pairs]
    feats: set[str] = set()
    rel = set()
    for i, o in zip(ins, outs):
        if i.shape == o.shape:
            rel.add("same")
        elif o.size < i.size:
            rel.add("shrink")
        else:
            rel.add("grow")
        for axis, name in ((0, "h"), (1, "w")):
            a, b = i.shape[axis], o.shape[axis]
            if b % a == 0 and b != a:
                feats.add(f"{name}-times-{b // a}")
            elif a % b == 0 and a != b:
                feats.add(f"{name}-div-{a // b}")
        if o.shape == i.shape[::-1] and i.shape[0] != i.shape[1]:
            feats.add("shape-transposed")
        if o.size == 1:
            feats.add("out-single-cell")
    feats.add("shape-" + ("-".join(sorted(rel))))
    if len({o.shape for o in outs}) == 1:
        feats.add("out-shape-fixed")
    cin = [set(np.unique(i).tolist()) for i in ins]
    cout = [set(np.unique(o).tolist()) for o in outs]
    feats.add("colours-new" if any(b - a for a, b in zip(cin, cout)) else "colours-no-new")
    feats.add("colours-lost" if any(a - b for a, b in zip(cin, cout)) else "colours-kept")
    feats.add("in-colours-" + _bucket(max(len(c) for c in cin)))
    feats.add("out-colours-" + _bucket(max(len(c) for c in cout)))
    feats.add("in-objects-" + _bucket(max(_objects(i) for i in ins)))
    feats.add("out-objects-" + _bucket(max(_objects(o) for o in outs)))
    bg = [int(np.bincount(i.ravel(), minlength=10).argmax()) for i in ins]
    feats.add("bg-zero" if all(b == 0 for b in bg) else "bg-other")
    for s in set.intersection(*[set(_symmetries(o)) for o in outs]) if outs else set():
        feats.add(f"out-sym-{s}")
    for s in set.intersection(*[set(_symmetries(i)) for i in ins]) if ins else set():
        feats.add(f"in-sym-{s}")
    if all(_separators(i) for i in ins + [np.asarray(t) for t in test_inputs]):
        feats.add("separator-lines")
    same = [(i, o) for i, o in zip(ins, outs) if i.shape == o.shape]
    if same:
        changed = np.mean([float((i != o).mean()) for i, o in same])
        feats.add("changed-few" if changed < 0.1 else "changed-some" if changed < 0.4 else "changed-most")
        if all(((i != o) & (i != 0)).sum() == 0 for i, o in same):
            feats.add("only-background-changes")
        if all(((i != o) & (o == 0)).sum() == ((i != o).sum()) for i, o in same):
            feats.add("only-erases")
    return sorted(feats)


def task_text(train_pairs: Sequence[tuple[Any, Any]], test_inputs: Sequence[Any] = ()) -> str:
    return " ".join(task_features(train_pairs, test_inputs))


class _Card:
    def __init__(self, name: str, description: str) -> None:
        self.name, self.description, self.body = name, description, ""


class ArcPrior:
    """The outcome-trained router over ARC features, persisted under ``folder``."""

    def __init__(self, folder: Path, skills: Iterable[tuple[str, str]], *, config: RouterConfig | None = None) -> None:
        from agentmem.retrieval.hash_embedder import HashEmbedder
        from agentmem.retrieval.memory_index import InMemoryIndex

        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.log = OutcomeLog(self.folder / "outcomes.sqlite")
        cfg = config or RouterConfig(candidates=64, epochs=120, min_rows=20, seed=0)
        ckpt = self.folder / "router"
        # no checkpoint before the first training is the normal start here, not a fallback worth a warning
        self.router = SkillRouter([_Card(n, d) for n, d in skills], HashEmbedder(256), InMemoryIndex(), checkpoint_dir=None,
                                  outcome_log=self.log, config=cfg)
        self.router.checkpoint_dir = ckpt
        if (ckpt / "meta.json").exists():
            self.router.load()

    @property
    def trained(self) -> bool:
        return self.router.trained

    def order(self, text: str) -> dict[str, float]:
        """Prior score per skill for a task (empty when the head is untrained)."""
        if not self.router.trained:
            return {}
        names = sorted(self.router.skills)
        probs = self.router.score(text, names)
        return {n: round(float(p), 6) for n, p in zip(names, probs)}

    def record(self, run_id: str, task_id: str, text: str, used: Sequence[str], tried: Sequence[str]) -> int:
        """Success rows for ``used``, failure rows for ``tried`` skills outside it; returns rows written."""
        rows = [OutcomeRow(run_id=run_id, task_id=task_id, task_text=text, store="skills", item_id=n, used=True, reward=1.0, success=True)
                for n in sorted(set(used))]
        rows += [OutcomeRow(run_id=run_id, task_id=task_id, task_text=text, store="skills", item_id=n, used=True, reward=0.0, success=False)
                 for n in sorted(set(tried) - set(used))]
        self.log.record(rows)
        return len(rows)

    def train(self) -> TrainReport | None:
        rows = [r for r in self.log.rows() if r.store == "skills" and r.used and r.item_id in self.router.skills]
        if len({r.task_id for r in rows if r.success}) < 5:
            return None
        return self.router.train(rows)
