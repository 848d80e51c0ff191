"""What the two depth-1 coverage scripts share: the search's shape/colour pruning and a timed,
exception-safe transform call (CPU time: the box is shared, wall time would measure the neighbours)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from agentmem.evals.arc.library import Transform


def feasible(t: Transform, ins: list[np.ndarray], outs: list[np.ndarray]) -> bool:
    """False when the transform's ``shape: same`` / ``colors: same`` hints rule it out, as in the search."""
    if t.shape == "same" and any(a.shape != b.shape for a, b in zip(ins, outs)):
        return False
    if t.colors == "same" and any(not set(np.unique(b).tolist()) <= set(np.unique(a).tolist()) for a, b in zip(ins, outs)):
        return False
    return True


def timed_call(t: Transform, grid: np.ndarray, params: dict[str, Any], costs: list[float]) -> np.ndarray | None:
    """``t`` applied to ``grid`` (None when it does not apply or gives no 2-D grid); its CPU time goes to ``costs``."""
    t0 = time.process_time()
    try:
        out = np.asarray(t.apply(grid, params))
    except Exception:  # a transform that does not apply is not a candidate
        out = None
    costs.append(time.process_time() - t0)
    if out is None or out.ndim != 2 or out.size == 0:
        return None
    return out
