"""Credit assignment: how much did each item in context contribute to the outcome?

Two methods:

* **marginal** (MemSifter-style): with a re-scoring callable ``rescore(task, items) -> score``
  (re-run or re-judge the task with a given context), an item's credit is
  ``score(all items) - score(all items but this one)``. Each item costs one call; the
  per-task ``marginal_budget`` caps the calls, and items beyond it fall back to usage credit.
* **usage** (outcome-weighted usage): every item in context gets ``reward - baseline``, where
  the baseline is the running mean reward of earlier runs of the same topic (or of all runs).

:class:`UtilityTable` keeps per-item credit sums and per-topic reward baselines; an item's
utility is its credit mean shrunk towards zero (``sum / (n + prior)``). It is rebuilt from
the outcome log (``extra["credit"]``), the same log the routers train on. An item is retired
once it has ``retire_after`` credited uses and its mean credit plus ``retire_z`` standard errors
is still below ``retire_below``: exact marginal credit retires a harmful item quickly, noisy
usage credit needs more evidence.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..types import Outcome, Recalled

#: ``rescore(task, items_in_context) -> score in [0, 1]``.
Rescorer = Callable[[Any, list[Recalled]], float]


class CreditConfig(BaseModel):
    """How credit is assigned and when low-utility items are retired."""

    method: Literal["auto", "marginal", "usage"] = Field(default="auto", description="auto = marginal when a rescorer is given and the budget allows, else usage.")
    marginal_budget: int = Field(default=8, ge=0, description="Most re-scoring calls per task (the full context costs one, each item one more).")
    prior: float = Field(default=2.0, ge=0, description="Pseudo-count shrinking utilities towards 0 for rarely used items.")
    retire_after: int = Field(default=4, ge=1, description="Uses an item needs before it can be retired.")
    retire_below: float = Field(default=-0.1, description="Retire items whose credit stays below this.")
    retire_z: float = Field(default=1.0, ge=0, description="Retire only when mean credit + retire_z standard errors is still below retire_below (noisy credit needs more evidence).")
    utility_weight: float = Field(default=1.0, ge=0, description="Weight of utility when routing re-ranks recalled items.")
    explore: float = Field(default=0.3, ge=0, description="Optimism bonus for rarely credited items when routing (UCB-style).")


class ItemCredit(BaseModel):
    store: str
    item_id: str
    rank: int
    credit: float
    method: Literal["marginal", "usage"]


class _Acc(BaseModel):
    n: int = 0
    total: float = 0.0
    sq: float = 0.0

    def upper(self, z: float) -> float:
        """Mean + z standard errors (the mean itself for a single observation)."""
        mean = self.total / self.n
        if self.n < 2:
            return mean
        var = max(0.0, (self.sq - self.n * mean * mean) / (self.n - 1))
        return mean + z * math.sqrt(var / self.n)


class UtilityTable:
    """Running credit per item and reward baseline per topic."""

    def __init__(self, config: CreditConfig | None = None) -> None:
        self.config = config or CreditConfig()
        self.items: dict[tuple[str, str], _Acc] = {}
        self.topics: dict[str, _Acc] = {}
        self.runs = 0

    def baseline(self, topic: str | None) -> float:
        acc = self.topics.get(topic or "*") or self.topics.get("*")
        return acc.total / acc.n if acc and acc.n else 0.5

    def observe_run(self, topic: str | None, reward: float) -> None:
        self.runs += 1
        for key in {topic or "*", "*"}:
            acc = self.topics.setdefault(key, _Acc())
            acc.n += 1
            acc.total += reward

    def add_credit(self, store: str, item_id: str, credit: float) -> None:
        acc = self.items.setdefault((store, item_id), _Acc())
        acc.n += 1
        acc.total += credit
        acc.sq += credit * credit

    def uses(self, store: str, item_id: str) -> int:
        acc = self.items.get((store, item_id))
        return acc.n if acc else 0

    def utility(self, store: str, item_id: str) -> float:
        acc = self.items.get((store, item_id))
        if not acc or not acc.n:
            return 0.0
        return acc.total / (acc.n + self.config.prior)

    def routing_score(self, store: str, item_id: str, recall_score: float, explore: bool = True) -> float:
        """Recall score + weighted utility + an exploration bonus that shrinks with use."""
        n = self.uses(store, item_id)
        bonus = self.config.explore * math.sqrt(math.log(self.runs + 2) / (n + 1)) if explore else 0.0
        return recall_score + self.config.utility_weight * self.utility(store, item_id) + bonus

    def should_retire(self, store: str, item_id: str) -> bool:
        """Enough uses, and even an optimistic estimate of the mean credit is below ``retire_below``."""
        acc = self.items.get((store, item_id))
        if not acc or acc.n < self.config.retire_after:
            return False
        return acc.upper(self.config.retire_z) < self.config.retire_below

    @classmethod
    def from_rows(cls, rows: Iterable[Any], config: CreditConfig | None = None) -> "UtilityTable":
        """Rebuild from outcome-log rows (one per run and item; ``extra["credit"]`` when credited)."""
        table = cls(config)
        seen_runs: set[str] = set()
        for r in rows:
            if r.extra.get("judged", True) is False:
                continue  # a run nobody judged (yet) says nothing about the baseline
            if r.run_id not in seen_runs:
                seen_runs.add(r.run_id)
                table.observe_run(r.topic, r.reward)
            if "credit" in r.extra:
                table.add_credit(r.store, r.item_id, float(r.extra["credit"]))
        return table


def assign_credit(
    task: Any,
    items: list[Recalled],
    outcome: Outcome,
    table: UtilityTable,
    rescore: Rescorer | None = None,
) -> list[ItemCredit]:
    """Credit for each item in context (see the module docstring)."""
    cfg = table.config
    base = table.baseline(getattr(task, "topic", None))
    usage = outcome.score - base
    use_marginal = rescore is not None and cfg.method in {"auto", "marginal"} and cfg.marginal_budget >= 2 and items
    out: list[ItemCredit] = []
    if use_marginal:
        assert rescore is not None
        full = float(rescore(task, list(items)))
        budget = cfg.marginal_budget - 1
        for rank, it in enumerate(items):
            if rank < budget:
                without = float(rescore(task, [x for x in items if x is not it]))
                out.append(ItemCredit(store=it.record.store, item_id=it.record.id, rank=rank, credit=full - without, method="marginal"))
            else:
                out.append(ItemCredit(store=it.record.store, item_id=it.record.id, rank=rank, credit=usage, method="usage"))
        return out
    return [ItemCredit(store=it.record.store, item_id=it.record.id, rank=rank, credit=usage, method="usage") for rank, it in enumerate(items)]
