"""The wake/sleep learner with a learned attempt ranker (:mod:`.attempts`) trained from its wake rounds.

:class:`RankedWakeSleep` is :class:`~.wake_sleep.WakeSleepLearner` whose searches collect a pool of
``pool`` verified programs (same candidate budget and window as the first-two rule) and choose the two
attempts with the ranker learned so far (none in round 1: discovery order, i.e. the shipped rule).
After each wake round, every pool entry of every training task becomes an outcome row
(``store="arc-attempts"``: its features, and whether it got the task's test outputs: training labels,
as the prior's rows are) in ``<work>/attempts/outcomes.sqlite``, and the ranker is refitted on all
rows so far and saved to ``<work>/attempts/ranker.json`` (a checkpoint: rebuilt from the log at
any time). The evaluation split is never recorded; at evaluation the ranker only reads train pairs,
test inputs and the pool.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentmem.evals.arc.attempts import STORE, AttemptRanker
from agentmem.evals.arc.wake_sleep import RoundReport, WakeSleepConfig, WakeSleepLearner
from agentmem.evals.core import EvalTask


class RankedWakeSleep(WakeSleepLearner):
    """Wake/sleep rounds whose attempts are chosen by an attempt ranker learned from the rounds' outcomes."""

    def __init__(self, work: Path, config: WakeSleepConfig | None = None, *, pool: int = 8, **kwargs: Any) -> None:
        from agentmem.learning.outcome_log import OutcomeLog

        super().__init__(work, config, **kwargs)
        if pool <= self.config.attempts:
            raise ValueError(f"RankedWakeSleep: pool must exceed attempts ({self.config.attempts}), got {pool}")
        self.pool = pool
        self.attempt_dir = self.work / "attempts"
        self.attempt_dir.mkdir(parents=True, exist_ok=True)
        self.attempt_log = OutcomeLog(self.attempt_dir / "outcomes.sqlite")
        self.ranker_path = self.attempt_dir / "ranker.json"
        self.ranker_fits: list[dict[str, float] | None] = []

    def attempt_ranker(self) -> AttemptRanker | None:
        return AttemptRanker.load(self.ranker_path) if self.ranker_path.is_file() else None

    def _solver_kwargs(self, prior: Any) -> dict[str, Any]:
        return {**super()._solver_kwargs(prior), "pool": self.pool, "attempt_ranker": self.attempt_ranker()}

    def round(self, r: int, tasks: list[EvalTask]) -> RoundReport:
        rr = super().round(r, tasks)
        self.record_round(r)
        return rr

    def record_round(self, r: int) -> int:
        """The wake round's pools as outcome rows (training tasks only), then refit and save the ranker."""
        from agentmem.evals.core import RECORDS_FILE, RecordLog
        from agentmem.learning.outcome_log import OutcomeRow

        run = f"wake/round-{r}"
        recs = RecordLog(self.work / run / RECORDS_FILE).load()
        rows = []
        for tid, rec in sorted(recs.items()):
            pool = rec.detail.get("pool") or []
            if len(pool) < 2:
                continue  # nothing was chosen: no signal
            rows += [OutcomeRow(run_id=f"arc-{run}", task_id=tid, task_text="arc attempt", store=STORE, item_id=e["program"], rank=i, used=True,
                                reward=float(all(e["correct"]) and bool(e["correct"])), success=all(e["correct"]) and bool(e["correct"]),
                                extra={"features": e["features"]}) for i, e in enumerate(pool)]
        self.attempt_log.record(rows)
        ranker = AttemptRanker()
        fit = ranker.train_from_log(self.attempt_log)
        self.ranker_fits.append(fit)
        if fit is not None:
            ranker.save(self.ranker_path)
        return len(rows)
