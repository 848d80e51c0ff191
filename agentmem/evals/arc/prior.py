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
    feats |= _relation_features(ins, outs, [np.asarray(t) for t in test_inputs])
    return sorted(feats)


def _is_subgrid(small: np.ndarray, big: np.ndarray) -> bool:
    h, w = small.shape
    H, W = big.shape
    if h > H or w > W or (h, w) == (H, W):
        return False
    for r in range(H - h + 1):
        for c in range(W - w + 1):
            if np.array_equal(big[r:r + h, c:c + w], small):
                return True
    return False


def _dihedral(g: np.ndarray) -> list[tuple[str, np.ndarray]]:
    return [("rot90", np.rot90(g, 1)), ("rot180", np.rot90(g, 2)), ("rot270", np.rot90(g, 3)), ("flip-lr", g[:, ::-1]),
            ("flip-ud", g[::-1, :]), ("transpose", g.T), ("anti-transpose", np.rot90(g, 2).T)]


def _period(g: np.ndarray) -> bool:
    """The grid repeats a smaller tile along some axis (rows or columns)."""
    h, w = g.shape
    for p in range(1, h):
        if h > p and h % p == 0 and np.array_equal(g, np.tile(g[:p], (h // p, 1))):
            return True
    for p in range(1, w):
        if w > p and w % p == 0 and np.array_equal(g, np.tile(g[:, :p], (1, w // p))):
            return True
    return False


def _relation_features(ins: list[np.ndarray], outs: list[np.ndarray], tests: list[np.ndarray]) -> set[str]:
    """How each output relates to its input (train pairs only), as ``rel-*`` tokens that hold on every pair."""
    feats: set[str] = set()
    if not ins:
        return feats
    if all(_is_subgrid(o, i) for i, o in zip(ins, outs)):
        feats.add("rel-out-subgrid-of-in")
    if all(_is_subgrid(i, o) for i, o in zip(ins, outs)):
        feats.add("rel-in-subgrid-of-out")
    for name in ("rot90", "rot180", "rot270", "flip-lr", "flip-ud", "transpose", "anti-transpose"):
        if all(dict(_dihedral(i))[name].shape == o.shape and np.array_equal(dict(_dihedral(i))[name], o) for i, o in zip(ins, outs)):
            feats.add(f"rel-out-is-{name}")
    same = all(i.shape == o.shape for i, o in zip(ins, outs))
    if same:
        mapping: dict[int, int] = {}
        ok = True
        for i, o in zip(ins, outs):
            for a, b in zip(i.ravel().tolist(), o.ravel().tolist()):
                if mapping.setdefault(a, b) != b:
                    ok = False
                    break
            if not ok:
                break
        if ok and any(a != b for a, b in mapping.items()):
            feats.add("rel-cellwise-colour-map")
        grown = [int((o != 0).sum()) - int((i != 0).sum()) for i, o in zip(ins, outs)]
        feats.add("rel-ink-more" if all(g > 0 for g in grown) else "rel-ink-less" if all(g < 0 for g in grown) else
                  "rel-ink-equal" if all(g == 0 for g in grown) else "rel-ink-mixed")
        diff = [i != o for i, o in zip(ins, outs)]
        if all(d.any() for d in diff):
            rows = [np.flatnonzero(d.any(axis=1)) for d in diff]
            cols = [np.flatnonzero(d.any(axis=0)) for d in diff]
            if all(len(r) <= 2 or len(c) <= 2 for r, c in zip(rows, cols)):
                feats.add("rel-changes-in-lines")
            area = [float(d.sum()) / max(1, (r[-1] - r[0] + 1) * (c[-1] - c[0] + 1)) for d, r, c in zip(diff, rows, cols)]
            if all(a > 0.9 for a in area):
                feats.add("rel-changes-fill-box")
            news = [set(o[d].tolist()) for o, d in zip(outs, diff)]
            if all(len(n) == 1 for n in news) and len(set.union(*news)) == 1:
                feats.add("rel-changes-one-colour")
    else:
        if all(o.shape[0] <= i.shape[0] and o.shape[1] <= i.shape[1] for i, o in zip(ins, outs)):
            feats.add("rel-out-fits-in")
        if all(o.shape[0] % i.shape[0] == 0 and o.shape[1] % i.shape[1] == 0 for i, o in zip(ins, outs)):
            feats.add("rel-out-multiple-of-in")
    n_in = [_objects(i) for i in ins]
    n_out = [_objects(o) for o in outs]
    feats.add("rel-objects-" + ("equal" if n_in == n_out else "fewer" if all(b < a for a, b in zip(n_in, n_out)) else
                               "more" if all(b > a for a, b in zip(n_in, n_out)) else "mixed"))
    if all(len(np.unique(o)) == 1 for o in outs):
        feats.add("out-one-colour")
    if all(_period(o) for o in outs):
        feats.add("out-periodic")
    if all(_period(i) for i in ins):
        feats.add("in-periodic")
    shapes_in = {i.shape for i in ins + tests}
    feats.add("in-shape-fixed" if len(shapes_in) == 1 else "in-shape-varies")
    sizes = max(max(i.shape) for i in ins)
    feats.add("in-size-" + ("small" if sizes <= 6 else "medium" if sizes <= 15 else "large"))
    singles = [sum(1 for v in np.unique(i) if v != 0 and _objects(np.where(i == v, v, 0)) >= 4 and int((i == v).sum()) <= 2 * _objects(np.where(i == v, v, 0)))
               for i in ins]
    if all(s > 0 for s in singles):
        feats.add("in-scattered-pixels")
    return feats


def task_text(train_pairs: Sequence[tuple[Any, Any]], test_inputs: Sequence[Any] = ()) -> str:
    """The features as the router's task text: one word per feature (``in-objects-1`` -> ``fInobjects1``), so
    the router's hash embedder sees each feature as one token instead of splitting it into words that
    several features share (``in``, ``objects``, ``1``)."""
    return " ".join(feature_word(f) for f in task_features(train_pairs, test_inputs))


def feature_word(feature: str) -> str:
    return "f" + "".join(p[:1].upper() + p[1:] for p in feature.replace("+", "plus").split("-"))


EMBED_DIM = 1024  # about 130 feature words and their neighbour bigrams: few hash collisions at this width


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
        self.router = SkillRouter([_Card(n, d) for n, d in skills], HashEmbedder(EMBED_DIM), InMemoryIndex(), checkpoint_dir=None,
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

    def record_outcomes(self, run_id: str, task_id: str, text: str, *, correct: Sequence[str], wrong: Sequence[str] = (),
                        tried: Sequence[str] = ()) -> int:
        """Outcome rows of one searched task: success for every unit of a program that was **correct** (its
        prediction matched the task's held-out output; training split only), failure for the units of
        programs verified on train but wrong, and for every unit tried that is in no correct program
        (a task nothing solved gives failure rows for all it tried). Returns rows written."""
        good = set(correct)
        bad = (set(wrong) | set(tried)) - good
        rows = [OutcomeRow(run_id=run_id, task_id=task_id, task_text=text, store="skills", item_id=n, used=True, reward=1.0, success=True)
                for n in sorted(good)]
        rows += [OutcomeRow(run_id=run_id, task_id=task_id, task_text=text, store="skills", item_id=n, used=True, reward=0.0, success=False)
                 for n in sorted(bad)]
        self.log.record(rows)
        return len(rows)

    def train(self) -> TrainReport | None:
        rows = [r for r in self.log.rows() if r.store == "skills" and r.used and r.item_id in self.router.skills]
        if len({r.task_id for r in rows if r.success}) < 5:
            return None
        return self.router.train(rows)
