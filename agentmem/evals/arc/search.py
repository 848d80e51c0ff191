"""LLM-free ARC solver: search compositions of library transforms, verified on train pairs.

Depth 1 tries every transform with each of its parameter settings (``PARAMS``, or ``fit`` on
the train pairs when it learns its parameters). Depth 2 applies every first step with fixed
parameters to all train inputs, drops no-ops and duplicate intermediates, and then tries every
second step on the intermediates, fitting it on ``(intermediate, output)`` pairs when it can.
Pruning by shape and colour features: a second step declared ``shape: same`` is skipped when
an intermediate's shape differs from its output's; one declared ``colors: same`` is skipped
when an output holds a colour its intermediate lacks. A candidate is first checked on one
pair, then on the rest; the first one that reproduces **every** train output is the answer.

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

    steps: list[Step] | None = Field(default=None, description="The verified composition (primitive steps), or None.")
    depth: int = 0
    used_learned: str | None = Field(default=None, description="Name of the learned composition the solution uses, if any.")
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

    def __init__(self, library: TransformLibrary, *, max_depth: int = 2, max_candidates: int = 40_000, max_seconds: float = 30.0) -> None:
        self.library = library
        self.max_depth = max_depth
        self.max_candidates = max_candidates
        self.max_seconds = max_seconds

    def solve(self, train_pairs: list[tuple[Any, Any]]) -> SearchResult:
        ins = [np.asarray(i) for i, _ in train_pairs]
        outs = [np.asarray(o) for _, o in train_pairs]
        self._count = 0
        self._deadline = time.perf_counter() + self.max_seconds
        t0 = time.perf_counter()
        result = SearchResult()
        try:
            found = self._depth1(ins, outs)
            if found is None and self.max_depth >= 2:
                found = self._depth2(ins, outs)
            if found is not None:
                steps, depth, learned = found
                result = SearchResult(steps=steps, depth=depth, used_learned=learned)
        except _Budget as exc:
            result.budget_hit = str(exc)
        result.candidates = self._count
        result.seconds = round(time.perf_counter() - t0, 3)
        return result

    # -- internals -------------------------------------------------------------------
    def _tick(self) -> None:
        self._count += 1
        if self._count > self.max_candidates:
            raise _Budget("candidates")
        if self._count % 64 == 0 and time.perf_counter() > self._deadline:
            raise _Budget("time")

    def _ordered(self) -> list[Transform]:
        # learned compositions first: they are specific, and reuse is what the library is for
        return self.library.learned + self.library.primitives

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

    def _depth1(self, ins: list[np.ndarray], outs: list[np.ndarray]) -> tuple[list[Step], int, str | None] | None:
        for t in self._ordered():
            if not self._feasible(t, ins, outs):
                continue
            for params, fitted in self._settings(t, ins, outs):
                if self._verify(t, params, ins, outs):
                    return _flatten(t, params, fitted), 1, t.name if t.learned else None
        return None

    def _depth2(self, ins: list[np.ndarray], outs: list[np.ndarray]) -> tuple[list[Step], int, str | None] | None:
        seen: set[bytes] = {b"".join(g.tobytes() + bytes(str(g.shape), "ascii") for g in ins)}
        firsts = [t for t in self._ordered() if t.params]  # a first step needs fixed parameters
        for t1 in firsts:
            for p1 in t1.params:
                self._tick()
                mids = [_safe(t1, g, p1) for g in ins]
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
                            return _flatten(t1, p1, False) + _flatten(t2, p2, fitted), 2, learned
        return None


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
