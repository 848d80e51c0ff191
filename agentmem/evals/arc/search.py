"""LLM-free ARC solver: search compositions of library transforms, verified on train pairs.

**Units and slots.** The search enumerates *units*: a shipped transform is a unit of one slot;
a learned composition is a unit of several slots (one per step). A slot either carries fixed
parameters (a composition learned with its parameters) or leaves them open: an open slot tries
every setting in its transform's ``PARAMS`` when it is followed by another step, and is fitted on
the ``(intermediate, output)`` pairs (``fit``) when it is the program's last step and can learn
its parameters. A *parameterised* learned composition (:mod:`.sleep`) keeps only its skill
sequence, so it transfers across tasks whose steps need other parameters.

**Depths and best-first order.** Depth 1 tries every unit alone; depth 2 tries pairs of units,
depth 3 (only when ``max_depth >= 3``) triples of the ``depth3_top`` cheapest units. Within a
depth, unit tuples are enumerated best-first by the sum of their costs: ``-log p`` of the prior's
score (``order``, skill name -> score, higher first: the outcome-trained router of :mod:`.prior`;
a learned composition costs no more than the mean cost of its steps) or, without a prior, ``log(2 + rank)`` of the library's default order (learned compositions first,
then the primitives by name). The budget is split by depth: depth 1 runs to the end (it is
small), depth 2 may spend the whole budget or, when depth 3 is on, all but ``depth3_share`` of
it. The order changes which verified program is found first (and how soon), never what counts
as verified.

**Cheap candidate checks.** Within one task: the intermediate grids of every prefix (a tuple of
steps with parameters) are computed once and reused by every continuation; a transform's output
on a given grid content is memoised (two prefixes that agree on some pair share the work); a
prefix whose intermediates are a no-op, or equal to ones already seen before the same remaining
steps, is skipped; a last step declared ``shape: same`` is skipped when an intermediate's shape
differs from its output's, one declared ``colors: same`` when an output holds a colour its
intermediate lacks; a candidate is checked on the smallest train pair first and stops at the
first mismatch. The first program that reproduces **every** train output is the answer.

**Two attempts** (ARC's official scoring): after the first verified program the search goes on
for a further ``second_budget`` candidate checks (a fixed count) and keeps the next verified
program whose predictions on the *test inputs* differ from the first one's (test inputs only:
test outputs never reach the search; ``tests/test_evals_arc_wake_sleep.py`` poisons them to check).
With a prior (``order``) and no attempt ranker, the search collects up to ``attempts + SIMPLEST_EXTRA``
such programs inside the same window and submits the simplest (depth, then the library order's cost):
the prior decides what is found within the budget, not which found program is submitted.

The budget is a count of candidate checks (an intermediate computed, a fit, a verification: each
one check; deterministic, so runs are reproducible) with a wall-clock cap as a safety net; both are
reported. Steps are plain dicts ``{"skill", "params", "fit"}`` over *primitive* transforms: a
learned composition used as a unit is flattened into its own steps, so a solution can always be
rendered as one self-contained program (:func:`agentmem.evals.arc.compose.render_program`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from agentmem.evals.arc.library import Transform, TransformLibrary

Step = dict[str, Any]


class SearchResult(BaseModel):
    """The outcome of one search."""

    steps: list[Step] | None = Field(default=None, description="The first verified composition (primitive steps), or None.")
    depth: int = 0
    used_learned: str | None = Field(default=None, description="Name of the learned composition the solution uses, if any.")
    programs: list[list[Step]] = Field(default_factory=list, description="Up to `attempts` verified compositions with distinct test predictions (first = steps).")
    learned_used: list[str | None] = Field(default_factory=list, description="Per program: the learned composition it uses, if any.")
    skills_used: list[list[str]] = Field(default_factory=list, description="Per program: the library units as searched (a learned composition by its own name).")
    tried: list[str] = Field(default_factory=list, description="Units tried alone (depth 1) before the first program was found.")
    first_at: int | None = Field(default=None, description="Candidate checks spent when the first program was found.")
    candidates: int = 0
    by_depth: dict[str, int] = Field(default_factory=dict, description="Candidate checks spent per depth.")
    seconds: float = 0.0
    budget_hit: str | None = Field(default=None, description="'candidates' or 'time' when the search stopped on its budget.")
    pool: list[dict[str, Any]] = Field(default_factory=list, description="With ``pool > attempts``: every verified program with a distinct test prediction found "
                                       "within the same budget (discovery order; :mod:`.attempts`), from which the attempts were chosen.")


#: With a prior and no attempt ranker, the search collects this many verified programs beyond the attempts
#: (inside the same ``second_budget`` window) and submits the simplest of them (:meth:`CompositionSearch._choose`).
SIMPLEST_EXTRA = 4


def _library_cost(rank: int) -> float:
    """A unit's cost in the library's default order (no prior): ``log(2 + rank)``."""
    return math.log(2 + rank)


class _Budget(Exception):
    pass


class _StageBudget(Exception):
    pass


@dataclass(frozen=True)
class Slot:
    """One step of a unit: a transform with fixed parameters, or open (``params is None``)."""

    t: Transform
    params: dict[str, Any] | None = None
    fit: bool = False  # a fixed slot whose parameters were fitted (re-fitted when it is the last step)


@dataclass(frozen=True)
class Unit:
    """What the search enumerates: a shipped transform (one open slot) or a learned composition."""

    name: str
    slots: tuple[Slot, ...]
    learned: bool = False

    @property
    def prefixable(self) -> bool:
        """Can run before another unit: every slot has fixed parameters or a ``PARAMS`` list to try."""
        return all((s.params is not None and not s.fit) or (s.params is None and s.t.params) for s in self.slots)


def units_of(library: TransformLibrary) -> list[Unit]:
    """The library as search units: learned compositions (by their ``STEPS``) first, then the primitives."""
    out = []
    for t in library.learned:
        steps = getattr(t.module, "STEPS", None)
        if not steps or any(s.get("skill") not in library.by_name for s in steps):
            out.append(Unit(t.name, (Slot(t),), learned=True))
            continue
        open_ = bool(getattr(t.module, "PARAMETERISED", False))
        slots = tuple(Slot(library.by_name[s["skill"]], None if open_ else dict(s.get("params") or {}), fit=bool(s.get("fit")) and not open_)
                      for s in steps)
        out.append(Unit(t.name, slots, learned=True))
    out += [Unit(t.name, (Slot(t),)) for t in library.primitives]
    return out


def _pkey(params: dict[str, Any]) -> str:
    return repr(sorted(params.items()))


def _gbytes(g: np.ndarray) -> bytes:
    return g.tobytes() + bytes(str(g.shape), "ascii")


def _safe(t: Transform, grid: np.ndarray, params: dict[str, Any]) -> np.ndarray | None:
    try:
        out = np.asarray(t.apply(grid, params))
    except Exception:  # a transform that does not apply to this grid is simply not a candidate
        return None
    if out.ndim != 2 or out.size == 0 or out.shape[0] > 60 or out.shape[1] > 60:
        return None
    return out


def _colours(g: np.ndarray) -> frozenset[int]:
    if g.dtype.kind in "iu" and g.size and g.min() >= 0 and g.max() < 16:
        return frozenset(np.flatnonzero(np.bincount(g.ravel(), minlength=10)).tolist())
    return frozenset(np.unique(g).tolist())


class CompositionSearch:
    """Best-first search over compositions (depth 1, 2, optionally 3) of a :class:`TransformLibrary`'s units."""

    def __init__(self, library: TransformLibrary, *, max_depth: int = 2, max_candidates: int = 40_000, max_seconds: float = 30.0,
                 order: dict[str, float] | None = None, attempts: int = 1, second_budget: int | None = None,
                 exclude: frozenset[str] | set[str] = frozenset(), depth3_share: float = 0.25, depth3_top: int = 12,
                 pool: int = 0, ranker: Any = None) -> None:
        self.library = library
        self.max_depth = max_depth
        self.max_candidates = max_candidates
        self.max_seconds = max_seconds
        self.order = dict(order or {})
        self.attempts = attempts
        self.second_budget = max_candidates // 4 if second_budget is None else second_budget
        self.exclude = frozenset(exclude)
        self.depth3_share = depth3_share
        self.depth3_top = depth3_top
        self.units = [u for u in units_of(library) if u.name not in self.exclude]
        #: ``pool`` > ``attempts``: keep collecting verified programs with distinct test predictions (inside the same
        #: ``second_budget`` window) and let ``ranker`` (:class:`~.attempts.AttemptRanker`) choose the attempts among them
        self.pool, self.ranker = pool, ranker

    # ---- public -----------------------------------------------------------------------------------
    def solve(self, train_pairs: list[tuple[Any, Any]], test_inputs: list[Any] | None = None) -> SearchResult:
        """Search on ``train_pairs``; ``test_inputs`` (inputs only) tell two attempts apart."""
        ins = [np.asarray(i) for i, _ in train_pairs]
        outs = [np.asarray(o) for _, o in train_pairs]
        tests = [np.asarray(t) for t in (test_inputs or [])]
        self._begin(ins, outs)
        t0 = time.perf_counter()
        result = SearchResult()
        seen_preds: list[bytes] = []
        collect = max(self.attempts, self.pool)
        if self.order and self.ranker is None and self.attempts > 1:
            collect = max(collect, self.attempts + SIMPLEST_EXTRA)  # a prior finds; the simplest found are the attempts
        votes: dict[bytes, int] = {}
        try:
            for steps, depth, names in self._programs(ins):
                pred = self._predict(steps, tests)
                if tests and pred is None:
                    continue  # fails on a test input: not an attempt worth making
                key = pred if tests else structure_bytes(steps)
                votes[key] = votes.get(key, 0) + 1  # type: ignore[index]
                if key in seen_preds:
                    continue
                seen_preds.append(key)  # type: ignore[arg-type]
                learned = next((n for n in names if n in self._learned_names), None)
                if collect > self.attempts:
                    result.pool.append({"steps": steps, "depth": depth, "skills": names, "learned": learned, "found_at": self._count, "key": key})
                    if result.steps is None:
                        self._found = True
                        result.first_at = self._count
                        result.steps, result.depth, result.used_learned = steps, depth, learned
                        self._limit = min(self.max_candidates, self._count + self.second_budget)
                    if len(result.pool) >= collect:
                        break
                    continue
                if result.steps is None:
                    self._found = True
                    result.first_at = self._count
                    result.steps, result.depth, result.used_learned = steps, depth, learned
                    self._limit = min(self.max_candidates, self._count + self.second_budget)
                result.programs.append(steps)
                result.learned_used.append(learned)
                result.skills_used.append(names)
                if len(result.programs) >= self.attempts:
                    break
        except _Budget as exc:
            if result.steps is None:
                result.budget_hit = str(exc)
        if result.pool:
            self._choose(result, votes, train_pairs, test_inputs or [])
        result.tried = sorted(self._tried)
        result.candidates = self._count
        result.by_depth = dict(self._depth_spent)
        result.seconds = round(time.perf_counter() - t0, 3)
        self._memo.clear()
        self._mids.clear()
        self._colcache.clear()
        return result

    def trace(self, train_pairs: list[tuple[Any, Any]]) -> Any:
        """Every program verified on ``train_pairs``, in search order, as ``(checks_spent, steps, depth, names)``.

        The enumeration ``solve`` walks, without attempt selection, until the candidate budget runs out
        (``_Budget`` ends it); for studying the order (``benchmarks/arc/order_headroom.py``)."""
        ins = [np.asarray(i) for i, _ in train_pairs]
        outs = [np.asarray(o) for _, o in train_pairs]
        self._begin(ins, outs)
        try:
            for steps, depth, names in self._programs(ins):
                yield self._count, steps, depth, names
        except _Budget:
            return
        finally:
            self._memo.clear()
            self._mids.clear()
            self._colcache.clear()

    def _choose(self, result: SearchResult, votes: dict[bytes, int], train_pairs: list[tuple[Any, Any]], test_inputs: list[Any]) -> None:
        """Pick the attempts among the pool: the ranker's order; with no ranker but a prior, the *simplest* found
        programs (depth, then the library order's cost: the first-two rule of the search without a prior); else
        discovery order, i.e. the first-two rule."""
        for e in result.pool:
            e["votes"] = votes.get(e.pop("key"), 1)
            e["prediction"] = [None if g is None else g.tolist() for g in (apply_steps(self.library, e["steps"], t) for t in test_inputs)]
        order = list(range(len(result.pool)))
        if self.ranker is not None:
            order = self.ranker.order(train_pairs, test_inputs, result.pool)
        elif self.order:
            # a prior changes which programs are found within the budget, never which found one is submitted:
            # the attempts are the found programs in the order the library's own order would enumerate them
            rank = {u.name: i for i, u in enumerate(self.units)}
            pool = result.pool
            order.sort(key=lambda i: (pool[i]["depth"], sum(_library_cost(rank.get(n, len(rank))) for n in pool[i]["skills"]), pool[i]["found_at"]))
        chosen = [result.pool[i] for i in order[: self.attempts]]
        result.programs = [e["steps"] for e in chosen]
        result.learned_used = [e["learned"] for e in chosen]
        result.skills_used = [e["skills"] for e in chosen]
        result.steps, result.depth, result.used_learned = chosen[0]["steps"], chosen[0]["depth"], chosen[0]["learned"]

    def _begin(self, ins: list[np.ndarray], outs: list[np.ndarray]) -> None:
        """Fresh per-task state (budget counters, memo tables) for one search over these train pairs."""
        self._outs = outs
        self._out_colours = [_colours(o) for o in outs]
        self._vorder = sorted(range(len(outs)), key=lambda i: (ins[i].size + outs[i].size, i))  # cheapest pair first
        self._ins_key = b"|".join(_gbytes(g) for g in ins)
        self._count = 0
        self._limit = self.max_candidates
        self._stage_limit = self.max_candidates
        self._memo: dict[tuple[str, str, bytes], np.ndarray | None] = {}
        self._mids: dict[tuple[tuple[str, str], ...], tuple[list[np.ndarray], bytes] | None] = {}
        self._seen: set[tuple[bytes, tuple]] = set()
        self._colcache: dict[bytes, list[frozenset[int]]] = {}
        self._tried: set[str] = set()
        self._found = False
        self._depth_spent: dict[str, int] = {}
        self._deadline = time.perf_counter() + self.max_seconds

    @property
    def _learned_names(self) -> set[str]:
        return {u.name for u in self.units if u.learned}

    # ---- enumeration --------------------------------------------------------------------------------
    def _costs(self) -> list[tuple[float, Unit]]:
        """Units with their cost, cheapest first (ties keep the library's order: learned first)."""
        if self.order:
            def cost(name: str) -> float:
                return -math.log(max(self.order.get(name, 0.0), 1e-4))

            # a learned composition the prior knows little about yet is as promising as its steps on average
            costed = [(min(cost(u.name), sum(cost(sl.t.name) for sl in u.slots) / len(u.slots)) if u.learned and len(u.slots) > 1 else cost(u.name), i, u)
                      for i, u in enumerate(self.units)]
        else:
            costed = [(_library_cost(i), i, u) for i, u in enumerate(self.units)]
        return [(c, u) for c, _, u in sorted(costed, key=lambda x: (x[0], x[1]))]

    def _programs(self, ins: list[np.ndarray]) -> Any:
        costed = self._costs()
        start = self._count
        for _, u in costed:
            if not self._found:
                self._tried.add(u.name)
            for steps in self._sequence(u.slots, ins):
                yield steps, 1, [u.name]
        self._depth_spent["1"] = self._count - start
        if self.max_depth < 2:
            return
        firsts = [(c, i, u) for i, (c, u) in enumerate(costed) if u.prefixable]
        pairs = sorted(((c1 + c2, i1, i2, u1, u2) for c1, i1, u1 in firsts for i2, (c2, u2) in enumerate(costed)), key=lambda x: x[:3])
        start = self._count
        reserve = int(self.max_candidates * self.depth3_share) if self.max_depth >= 3 else 0
        self._stage_limit = max(self._count, self.max_candidates - reserve)
        try:
            for _, _, _, u1, u2 in pairs:
                for steps in self._sequence(u1.slots + u2.slots, ins):
                    yield steps, 2, [u1.name, u2.name]
        except _StageBudget:
            pass
        self._depth_spent["2"] = self._count - start
        self._stage_limit = self.max_candidates
        if self.max_depth < 3:
            return
        start = self._count
        top = [(c, i, u) for c, i, u in firsts][: self.depth3_top]
        lasts = [(c, i, u) for i, (c, u) in enumerate(costed)][: self.depth3_top]
        triples = sorted(((a[0] + b[0] + z[0], a[1], b[1], z[1], a[2], b[2], z[2]) for a in top for b in top for z in lasts), key=lambda x: x[:4])
        for *_, u1, u2, u3 in triples:
            for steps in self._sequence(u1.slots + u2.slots + u3.slots, ins):
                yield steps, 3, [u1.name, u2.name, u3.name]
        self._depth_spent["3"] = self._count - start

    def _sequence(self, slots: tuple[Slot, ...], ins: list[np.ndarray]) -> Any:
        """Verified programs made of ``slots`` (prefix slots enumerate fixed settings; the last is fitted or enumerated)."""
        yield from self._level(slots, 0, ins, self._ins_key, (), [])

    def _level(self, slots: tuple[Slot, ...], k: int, grids: list[np.ndarray], gkey: bytes, prefix: tuple[tuple[str, str], ...],
               steps: list[Step]) -> Any:
        slot = slots[k]
        t = slot.t
        if k == len(slots) - 1:
            if not self._feasible(t, grids, gkey):
                return
            for params, fitted in self._final_settings(slot, grids):
                if self._verify(t, params, grids):
                    yield steps + [{"skill": t.name, "params": params, "fit": fitted}]
            return
        rest = tuple((s.t.name, None if s.params is None else _pkey(s.params)) for s in slots[k + 1:])
        settings = [slot.params] if slot.params is not None else t.params
        for params in settings:
            key = prefix + ((t.name, _pkey(params)),)
            got = self._intermediate(key, t, params, grids)
            if got is None:
                continue
            mids, mkey = got
            if mkey == self._ins_key:
                continue  # a no-op (or a round trip back to the inputs)
            if (mkey, rest) in self._seen:
                continue  # the same intermediates were already searched with the same remaining steps
            self._seen.add((mkey, rest))
            yield from self._level(slots, k + 1, mids, mkey, key, steps + [{"skill": t.name, "params": params, "fit": False}])

    # ---- candidate checks ---------------------------------------------------------------------------
    def _tick(self) -> None:
        self._count += 1
        if self._count > self._limit:
            raise _Budget("candidates")
        if self._count > self._stage_limit:
            raise _StageBudget()
        if self._count % 64 == 0 and time.perf_counter() > self._deadline:
            raise _Budget("time")

    def _apply(self, t: Transform, params: dict[str, Any], pkey: str, g: np.ndarray) -> np.ndarray | None:
        key = (t.name, pkey, _gbytes(g))
        if key not in self._memo:
            if len(self._memo) > 200_000:
                self._memo.clear()
            self._memo[key] = _safe(t, g, params)
        return self._memo[key]

    def _intermediate(self, key: tuple[tuple[str, str], ...], t: Transform, params: dict[str, Any],
                      grids: list[np.ndarray]) -> tuple[list[np.ndarray], bytes] | None:
        if key not in self._mids:
            self._tick()
            pk = key[-1][1]
            mids = []
            for g in grids:
                m = self._apply(t, params, pk, g)
                if m is None:
                    self._mids[key] = None
                    return None
                mids.append(m)
            self._mids[key] = (mids, b"|".join(_gbytes(m) for m in mids))
        return self._mids[key]

    def _feasible(self, t: Transform, mids: list[np.ndarray], mkey: bytes) -> bool:
        if t.shape == "same" and any(m.shape != o.shape for m, o in zip(mids, self._outs)):
            return False
        if t.colors == "same":
            cols = self._colcache.get(mkey)
            if cols is None:
                cols = self._colcache[mkey] = [_colours(m) for m in mids]
            if any(not oc <= c for c, oc in zip(cols, self._out_colours)):
                return False
        return True

    def _final_settings(self, slot: Slot, mids: list[np.ndarray]) -> list[tuple[dict[str, Any], bool]]:
        t = slot.t
        if slot.params is not None and not slot.fit:
            return [(slot.params, False)]
        if t.can_fit:
            self._tick()
            try:
                return [(p, True) for p in t.fit(list(zip(mids, self._outs)), slot.params)]
            except Exception:
                return []
        return [(p, False) for p in t.params]

    def _verify(self, t: Transform, params: dict[str, Any], mids: list[np.ndarray]) -> bool:
        self._tick()
        pk = _pkey(params)
        for i in self._vorder:
            got = self._apply(t, params, pk, mids[i])
            o = self._outs[i]
            if got is None or got.shape != o.shape or not np.array_equal(got, o):
                return False
        return True

    def _predict(self, steps: list[Step], tests: list[np.ndarray]) -> bytes | None:
        out = []
        for g in tests:
            got = apply_steps(self.library, steps, g)
            if got is None:
                return None
            out.append(_gbytes(got))
        return b"|".join(out)


def apply_steps(library: TransformLibrary, steps: list[Step], grid: Any) -> np.ndarray | None:
    """Run primitive ``steps`` in-process (trusted shipped code) on ``grid``."""
    g = np.asarray(grid)
    for s in steps:
        t = library.by_name.get(s["skill"])
        if t is None:
            return None
        out = _safe(t, g, s["params"])
        if out is None:
            return None
        g = out
    return g


def structure_bytes(steps: list[Step]) -> bytes:
    """A program's identity (skills and parameters) as bytes."""
    return repr([(s["skill"], sorted(s["params"].items(), key=str)) for s in steps]).encode()


def describe_steps(steps: list[Step]) -> str:
    """``rotate(k=1) -> color-map(fitted)``."""
    parts = []
    for s in steps:
        if s.get("fit"):
            parts.append(f"{s['skill']}(fitted)")
        else:
            args = ", ".join(f"{k}={v}" for k, v in sorted(s["params"].items()))
            parts.append(f"{s['skill']}({args})")
    return " -> ".join(parts)
