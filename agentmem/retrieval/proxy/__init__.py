"""MemSifter proxy retriever (stage 2 of recall): an LLM proxy and a trained proxy.

* :mod:`.base`: the :class:`Proxy` protocol, :class:`HybridOrder` (the fallback), reports.
* :mod:`.llm_proxy`: :class:`LLMProxy` and the strict-but-tolerant :func:`parse_ranking`.
* :mod:`.reward`: Fibonacci cut-offs, DCG-style weights, :func:`memsifter_reward`, task scorers.
* :mod:`.features`, :mod:`.model`, :mod:`.train`, :mod:`.trained`: the trained proxy.
* :mod:`.finetune`: contrastive fine-tuning of MiniLM (query encoder only, or symmetric).
* :mod:`.locomo`: LoCoMo training data and the two-fold protocol.
"""

from .base import HybridOrder, Proxy, ProxyCheckpointError, ProxyReport, ProxyResult

__all__ = ["HybridOrder", "Proxy", "ProxyCheckpointError", "ProxyReport", "ProxyResult"]
