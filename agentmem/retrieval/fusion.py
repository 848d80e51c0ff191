"""Rank fusion and score normalisation for hybrid (lexical + dense) search."""

from __future__ import annotations

from collections.abc import Sequence

from .base import Hit


def rrf(rankings: Sequence[Sequence[Hit]], k: int = 60, weights: Sequence[float] | None = None) -> list[Hit]:
    """Reciprocal rank fusion: ``score(d) = sum_i w_i / (k + rank_i(d))`` (ranks from 1).

    k=60 is the constant of Cormack et al. (2009). The fused hits keep the document and
    metadata of the first ranking that returned them.
    """
    weights = list(weights) if weights is not None else [1.0] * len(rankings)
    scores: dict[str, float] = {}
    first: dict[str, Hit] = {}
    for w, ranking in zip(weights, rankings, strict=True):
        for rank, hit in enumerate(ranking, start=1):
            scores[hit.id] = scores.get(hit.id, 0.0) + w / (k + rank)
            first.setdefault(hit.id, hit)
    order = sorted(scores, key=lambda i: (-scores[i], i))
    return [first[i].model_copy(update={"score": scores[i]}) for i in order]


def minmax(hits: Sequence[Hit]) -> list[Hit]:
    """Scale scores to [0, 1] within one result list (1 = best); a single hit scores 1."""
    if not hits:
        return []
    hi = max(h.score for h in hits)
    lo = min(h.score for h in hits)
    span = hi - lo
    return [h.model_copy(update={"score": 1.0 if span <= 0 else (h.score - lo) / span}) for h in hits]
