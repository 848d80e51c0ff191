"""Plumbing check: a one-task ARC run through the local Gemma provider (structure only, not accuracy)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.local_llm


def test_arc_llm_loop_runs_through_the_local_model(tmp_path, settings):
    factory = pytest.importorskip("agentmem.llm.factory")
    local = pytest.importorskip("agentmem.llm.local")
    if not local.local_extra_available():
        pytest.skip("the 'local' extra (llama-cpp-python + Gemma GGUF) is not installed")
    from agentmem.evals.arc.harness import eval_tasks, run_llm_eval
    from agentmem.evals.core import EvalConfig

    llm = factory.make_llm(settings.model_copy(update={"llm": settings.llm.model_copy(update={"max_tokens": 256})}), model="local/gemma3-270m")
    cfg = EvalConfig(benchmark="arc", model=llm.model, split="eval100", limit=1, out_dir=tmp_path / "run", options={"solver": "llm", "attempts": 1})
    rep = run_llm_eval(cfg, llm, tasks=eval_tasks("eval100"), progress=False)
    assert rep.n_tasks == 1 and rep.n_errors == 0 and 0.0 <= rep.score <= 1.0
    assert rep.usage.calls == 1
