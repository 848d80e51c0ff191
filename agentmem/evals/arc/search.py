"""LLM-free ARC solver: search compositions of library transforms, verified on train pairs.

Depth 1 tries every transform with each of its parameter settings (``PARAMS``, or ``fit`` on
the train pairs when it learns its parameters). Depth 2 applies every first step with fixed
parameters to all train inputs, drops no-ops and duplicate intermediates, and then tries every
second step on the intermediates, fitting it on ``(intermediate, output)`` pairs when it can.
Pruning by shape and colour features: a second step declared ``shape: same`` is skipped when
an intermediate's shape differs from its output's; one declared ``colors: same`` is skipped
when an output holds a colour its intermediate lacks. A candidate is first checked on one
pair, then on the rest; the first one that reproduces **every** train output is the answer.

**Two attempts** (ARC's official scoring): after the first verified program the search goes on
for a further ``second_budget`` candidate checks (a fixed count) and keeps the next verified
program whose predictions on the *test inputs* differ from the first one's (test inputs only:
test outputs never reach the search; ``tests/test_evals_arc_wake_sleep.py`` poisons them to check).

**Prior order.** ``order`` (skill name -> prior score, higher first; the outcome-trained router
of :mod:`.prior` produces it) sets the order in which first and second steps are enumerated;
without it learned compositions come first, then the primitives by name. The order changes
which verified program is found first (and how soon), never what counts as verified.

**Cache.** Within one task, the output of a fixed-parameter step on each train input is
computed once and reused by depth 1, depth 2 and the second-attempt search.

The budget is a count of candidate checks (deterministic, so runs are reproducible) with a
wall-clock cap as a safety net; both are reported. Steps are plain dicts
``{"skill", "params", "fit"}`` over *primitive* transforms: a learned composition used as a
step is flattened into its own steps, so a solution can always be rendered as one
self-contained program (:func:`agentmem.evals.arc.compose.render_program`).
"""

from __future__ import annotations

import time
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
    skills_used: list[list[str]] = Field(default_factory=list, description="Per program: the library skills as searched (a learned composition by its own name).")
    tried: list[str] = Field(default_factory=list, description="Skills tried alone (depth 1) before the first program was found.")
    first_at: int | None = Field(default=None, description="Candidate checks spent when the first program was found.")
    candidates: int = 0
    seconds: float = 0.0
    budget_hit: str | None = Field(default=None, description="'candidates' or 'time' when the search stopped on its budget.")


class _Budget(Exception):
    pass


def _safe(t: Transform, grid: np.ndarray, params: dict[str, Any]) -> np.ndarray | None:
    try:
        out = np.asarray(t.apply(grid, params))
    except Exception:  # a transform that does not apply to this grid is simply not a candidate
        return None
    if out.ndim != 2 or out.size == 0 or out.shape[0] > 60 or out.shape[1] > 60:
        return None
    return out


def _flatten(t: Transform, params: dict[str, Any], fitted: bool) -> list[Step]:
    """Primitive steps of ``t`` with ``params`` (a learned composition expands to its steps)."""
    inner = getattr(t.module, "STEPS", None)
    if t.learned and inner is not None:
        steps = [dict(s) for s in inner]
        if "last" in params and params["last"] is not None:
            steps[-1] = {**steps[-1], "params": params["last"]}
        return steps
    return [{"skill": t.name, "params": params, "fit": fitted}]


class CompositionSearch:
    """Searches compositions (depth 1 and 2) of a :class:`TransformLibrary`'s transforms."""

    def __init__(self, library: TransformLibrary, *, max_depth: int = 2, max_candidates: int = 40_000, max_seconds: float = 30.0,
                 order: dict[str, float] | None = None, attempts: int = 1, second_budget: int | None = None,
                 exclude: frozenset[str] | set[str] = frozenset()) -> None:
        self.library = library
        self.max_depth = max_depth
        self.max_candidates = max_candidates
        self.max_seconds = max_seconds
        self.order = dict(order or {})
        self.attempts = attempts
        self.second_budget = max_candidates // 4 if second_budget is None else second_budget
        self.exclude = frozenset(exclude)

    def solve(self, train_pairs: list[tuple[Any, Any]], test_inputs: list[Any] | None = None) -> SearchResult:
        """Search on ``train_pairs``; ``test_inputs`` (inputs only) tell two attempts apart."""
        ins = [np.asarray(i) for i, _ in train_pairs]
        outs = [np.asarray(o) for _, o in train_pairs]
        tests = [np.asarray(t) for t in (test_inputs or [])]
        self._count = 0
        self._limit = self.max_candidates
        self._cache: dict[tuple[str, str, int], np.ndarray | None] = {}
        self._tried: set[str] = set()
        self._found = False
        self._deadline = time.perf_counter() + self.max_seconds
        t0 = time.perf_counter()
        result = SearchResult()
        seen_preds: list[bytes] = []
        try:
            for steps, depth, learned, names in self._programs(ins, outs):
                pred = self._predict(steps, tests)
                if tests and pred is None:
                    continue  # fails on a test input: not an attempt worth making
                key = pred if tests else structure_bytes(steps)
                if key in seen_preds:
                    continue
                seen_preds.append(key)  # type: ignore[arg-type]
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
        result.tried = sorted(self._tried)
        result.candidates = self._count
        result.seconds = round(time.perf_counter() - t0, 3)
        return result

    def _predict(self, steps: list[Step], tests: list[np.ndarray]) -> bytes | None:
        out = []
        for g in tests:
            got = apply_steps(self.library, steps, g)
            if got is None:
                return None
            out.append(got.tobytes() + bytes(str(got.shape), "ascii"))
        return b"|".join(out)

    def _programs(self, ins: list[np.ndarray], outs: list[np.ndarray]) -> Any:
        yield from self._depth1(ins, outs)
        if self.max_depth >= 2:
            yield from self._depth2(ins, outs)

    # -- internals -------------------------------------------------------------------
    def _tick(self) -> None:
        self._count += 1
        if self._count > self._limit:
            raise _Budget("candidates")
        if self._count % 64 == 0 and time.perf_counter() > self._deadline:
            raise _Budget("time")

    def _ordered(self) -> list[Transform]:
        items = [t for t in self.library.learned + self.library.primitives if t.name not in self.exclude]
        if not self.order:
            # learned compositions first: they are specific, and reuse is what the library is for
            return items
        return sorted(items, key=lambda t: -self.order.get(t.name, 0.0))  # stable: ties keep learned-first order

    def _fixed(self, t: Transform, params: dict[str, Any], grids: list[np.ndarray], tag: str) -> list[np.ndarray | None]:
        """``t(params)`` on each grid, cached within the task (``tag`` names the grid list)."""
        pkey = repr(sorted(params.items()))
        out = []
        for i, g in enumerate(grids):
            key = (t.name + tag, pkey, i)
            if key not in self._cache:
                self._cache[key] = _safe(t, g, params)
            out.append(self._cache[key])
        return out

    @staticmethod
    def _feasible(t: Transform, mids: list[np.ndarray], outs: list[np.ndarray]) -> bool:
        if t.shape == "same" and any(m.shape != o.shape for m, o in zip(mids, outs)):
            return False
        if t.colors == "same" and any(not set(np.unique(o).tolist()) <= set(np.unique(m).tolist()) for m, o in zip(mids, outs)):
            return False
        return True

    def _settings(self, t: Transform, mids: list[np.ndarray], outs: list[np.ndarray]) -> list[tuple[dict[str, Any], bool]]:
        if t.can_fit:
            try:
                return [(p, True) for p in t.fit(list(zip(mids, outs)))]
            except Exception:
                return []
        return [(p, False) for p in t.params]

    def _verify(self, t: Transform, params: dict[str, Any], mids: list[np.ndarray], outs: list[np.ndarray]) -> bool:
        self._tick()
        for m, o in zip(mids, outs):
            got = _safe(t, m, params)
            if got is None or got.shape != o.shape or not np.array_equal(got, o):
                return False
        return True

    def _verify_fixed(self, t: Transform, params: dict[str, Any], ins: list[np.ndarray], outs: list[np.ndarray]) -> bool:
        self._tick()
        pkey = repr(sorted(params.items()))
        for i, (g, o) in enumerate(zip(ins, outs)):
            key = (t.name + ":in", pkey, i)
            if key not in self._cache:
                self._cache[key] = _safe(t, g, params)
            got = self._cache[key]
            if got is None or got.shape != o.shape or not np.array_equal(got, o):
                return False
        return True

    def _depth1(self, ins: list[np.ndarray], outs: list[np.ndarray]) -> Any:
        for t in self._ordered():
            if not self._feasible(t, ins, outs):
                continue
            if not self._found:
                self._tried.add(t.name)
            for params, fitted in self._settings(t, ins, outs):
                ok = self._verify(t, params, ins, outs) if fitted else self._verify_fixed(t, params, ins, outs)
                if ok:
                    yield _flatten(t, params, fitted), 1, t.name if t.learned else None, [t.name]

    def _depth2(self, ins: list[np.ndarray], outs: list[np.ndarray]) -> Any:
        seen: set[bytes] = {b"".join(g.tobytes() + bytes(str(g.shape), "ascii") for g in ins)}
        firsts = [t for t in self._ordered() if t.params]  # a first step needs fixed parameters
        for t1 in firsts:
            for p1 in t1.params:
                self._tick()
                mids = self._fixed(t1, p1, ins, ":in")
                if any(m is None for m in mids):
                    continue
                key = b"".join(m.tobytes() + bytes(str(m.shape), "ascii") for m in mids)  # type: ignore[union-attr]
                if key in seen:
                    continue
                seen.add(key)
                for t2 in self._ordered():
                    if not self._feasible(t2, mids, outs):  # type: ignore[arg-type]
                        continue
                    for p2, fitted in self._settings(t2, mids, outs):  # type: ignore[arg-type]
                        if self._verify(t2, p2, mids, outs):  # type: ignore[arg-type]
                            learned = t1.name if t1.learned else t2.name if t2.learned else None
                            yield _flatten(t1, p1, False) + _flatten(t2, p2, fitted), 2, learned, [t1.name, t2.name]


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
