"""The one token estimate every budget in agentmem uses (recall, hooks, fakes, evaluations).

Provider-neutral and deliberately simple: ``ceil(len(text) / 4)`` characters per token (about
right for English with the common BPE tokenizers), 0 for empty text. Budgets compare estimates
with estimates, so the same rule everywhere matters more than its precision; the LLM adapters
report real token counts from the provider for usage and cost.
"""

from __future__ import annotations


def approx_tokens(text: str) -> int:
    """Estimated tokens of ``text``: ``ceil(len(text) / 4)``; 0 for empty text."""
    return (len(text) + 3) // 4 if text else 0
