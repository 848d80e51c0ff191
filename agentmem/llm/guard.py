"""The switch that blocks real provider calls (the test suite turns it on).

Real calls are allowed unless ``AGENTMEM_BLOCK_REAL_LLM=1`` is set or :func:`block_real_calls`
is active. A test opts back in with ``with allow_real_calls(): ...`` (or the ``real_llm``
marker in tests/conftest.py). Local in-process models (``local/...``) count as real calls too:
their integration test opts in explicitly.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

from ..errors import RealCallBlockedError

_state = threading.local()


def real_calls_allowed() -> bool:
    override = getattr(_state, "override", None)
    if override is not None:
        return bool(override)
    return os.environ.get("AGENTMEM_BLOCK_REAL_LLM", "0") not in {"1", "true", "yes"}


def check_real_call(model: str) -> None:
    if not real_calls_allowed():
        raise RealCallBlockedError(
            f"real LLM call to {model!r} blocked: AGENTMEM_BLOCK_REAL_LLM is set (tests use agentmem.testing fakes; "
            "opt in with agentmem.llm.guard.allow_real_calls())",
            model=model,
        )


@contextlib.contextmanager
def _override(value: bool) -> Iterator[None]:
    prev = getattr(_state, "override", None)
    _state.override = value
    try:
        yield
    finally:
        _state.override = prev


def allow_real_calls() -> contextlib.AbstractContextManager[None]:
    return _override(True)


def block_real_calls() -> contextlib.AbstractContextManager[None]:
    return _override(False)
