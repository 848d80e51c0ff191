"""ARC scores over the attempts made on one task (ArcMemo's protocol).

* **official**: the fraction of the task's test outputs that *some* allowed attempt got exactly
  right (each test output counts on its own; ARC's "any of the attempts" rule).
* **strict**: 1.0 when a single attempt (one program) got *every* test output right, else 0.0.

An attempt's prediction for a test input is the grid its program returned (None when it
failed); comparison is exact (shape and every cell).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from agentmem.evals.arc.grids import Grid, grids_equal


class TaskScore(BaseModel):
    official: float
    strict: float
    solved_tests: list[bool] = Field(default_factory=list, description="Per test output: solved by some attempt.")


def score_attempts(predictions: list[list[Grid | None]], expected: list[Grid]) -> TaskScore:
    """``predictions[a][i]``: attempt ``a``'s output for test input ``i``."""
    if not expected:
        return TaskScore(official=0.0, strict=0.0)
    solved = [any(i < len(p) and grids_equal(p[i], exp) for p in predictions) for i, exp in enumerate(expected)]
    strict = any(len(p) == len(expected) and all(grids_equal(g, e) for g, e in zip(p, expected)) for p in predictions)
    return TaskScore(official=sum(solved) / len(expected), strict=float(strict), solved_tests=solved)
