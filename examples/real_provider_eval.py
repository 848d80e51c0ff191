"""Example 4: run an evaluation against a real provider.

Evaluates the shipping-quotes task family of example 2 twice with the same model: without
memory and with the learning controller (behaviors learned from corrected failures are recalled
in later tasks), and
prints the success rate per round for both, plus the tokens used.

    export OPENAI_API_KEY=...            # or any provider litellm supports
    python examples/real_provider_eval.py --model openai/gpt-4o-mini --rounds 3
    python examples/real_provider_eval.py --fake                       # offline, the fake model

Without ``--fake`` and without a model, or when the provider's key is missing from the
environment, it prints why and exits 0 (skipped), so it is safe to run anywhere. Calls to real
providers are blocked inside the test suite (``AGENTMEM_BLOCK_REAL_LLM=1``); the suite runs this
file with ``--fake``, and once more against a real provider when ``AGENTMEM_MODEL`` and its key
are set (marker ``real_llm``). The benchmark harnesses (``agentmem eval ...``, see the
evaluation pages) follow the same protocol at scale.
"""

from __future__ import annotations

import tempfile
from typing import Any

from _setup import make_llm, make_settings, parse_args
from custom_environment import ShippingQuotes, fake_model, make_controller, run_round

import agentmem


def provider_ready(model: str | None) -> str | None:
    """``None`` when ``model`` can be called, else the reason to skip."""
    if not model:
        return "no model configured (pass --model provider/name or set AGENTMEM_MODEL)"
    if model.startswith(("ollama/", "local/", "hosted_vllm/")):
        return None
    import os

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    check = litellm.validate_environment(model=model)
    if not check.get("keys_in_environment", False):
        return f"{model}: missing {', '.join(check.get('missing_keys') or ['API key'])} in the environment"
    return None


def evaluate(args: Any, with_memory: bool) -> dict[str, Any]:
    """Success rate per round for one condition, and the tokens it used."""
    settings = make_settings(args)
    llm = make_llm(args, settings, fake_model)
    env = ShippingQuotes(seed=settings.seed)
    controller = make_controller(settings) if with_memory else None
    agent = agentmem.Agent(name="quoter", model=llm, instructions="You quote shipping prices. Answer with the price only.", max_steps=2)
    runner = agentmem.Runner(settings)
    rates = [run_round(runner, agent, env, controller) for _ in range(args.rounds)]
    usage = getattr(llm, "usage", None)
    return {"rates": rates, "tokens": usage.total.total_tokens if usage is not None else 0}


def main() -> dict[str, Any] | None:
    args = parse_args(__doc__.splitlines()[0], lambda p: p.add_argument("--rounds", type=int, default=3))
    if not args.fake:
        reason = provider_ready(args.model)
        if reason:
            print(f"skipped: {reason}")
            return None
    results = {}
    for with_memory in (False, True):
        run_args = type(args)(**vars(args))
        if args.home is None:
            run_args.home = tempfile.mkdtemp(prefix="agentmem-eval-") if not args.fake else None
        results["with memory" if with_memory else "without memory"] = evaluate(run_args, with_memory)
    print(f"model: {args.model if not args.fake else 'fake'}; task family: shipping quotes, {args.rounds} rounds")
    print("| condition | " + " | ".join(f"round {i + 1}" for i in range(args.rounds)) + " | tokens |")
    print("|---|" + "---|" * (args.rounds + 1))
    for name, res in results.items():
        print(f"| {name} | " + " | ".join(f"{r:.0%}" for r in res["rates"]) + f" | {res['tokens']} |")
    return results


if __name__ == "__main__":
    main()
