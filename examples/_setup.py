"""Shared set-up for the examples: a home folder, settings and an LLM (real or fake).

``--fake`` (what the test suite passes) uses a throw-away home, the hash embedder and the
in-memory index, and the example's own :class:`~agentmem.testing.FunctionLLM`; without it the
examples use your ``AGENTMEM_HOME``, the packaged MiniLM embedder and the model from
``--model`` / ``AGENTMEM_MODEL`` through the litellm adapter.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def parse_args(description: str, extra: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--fake", action="store_true", help="Use the shipped fake LLM and a temporary home (no API key needed).")
    p.add_argument("--model", default=os.environ.get("AGENTMEM_MODEL"), help="litellm model string for real runs, e.g. openai/gpt-4o-mini.")
    p.add_argument("--home", default=None, help="Home folder (default: a temporary one with --fake, else AGENTMEM_HOME).")
    if extra:
        extra(p)
    return p.parse_args()


def make_settings(args: argparse.Namespace) -> Any:
    from agentmem import Settings

    if args.fake:
        home = Path(args.home or tempfile.mkdtemp(prefix="agentmem-example-"))
        return Settings.load(home=home, embedder={"backend": "hash"}, index={"backend": "memory"}).ensure_home()
    return Settings.load(home=args.home, llm={"model": args.model} if args.model else {}).ensure_home()


def make_llm(args: argparse.Namespace, settings: Any, fake: Callable[[list[Any], dict[str, Any]], Any]) -> Any:
    """The fake (``--fake``) or the configured real model."""
    if args.fake:
        from agentmem.testing import FunctionLLM

        return FunctionLLM(fake, model="example-fake")
    if not settings.llm.model:
        raise SystemExit("no model: pass --model provider/name (or set AGENTMEM_MODEL), or run with --fake")
    from agentmem.llm import make_llm as real

    return real(settings)
