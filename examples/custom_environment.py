"""Example 2: a custom environment where memory measurably improves over rounds.

The task family: quote the price of shipping a parcel to a region. Each region has a pricing
rule the model cannot know (a base fee plus a rate per kilogram). The environment follows the
:class:`agentmem.Environment` protocol; when an answer is wrong, its outcome carries the rule,
as a teacher's correction would.

The agent runs under the learning controller (``agentmem.ReflectiveController``, mode
``updating``, write gate ``train_labels``) over the behavior handbook; one round = every task once:

* before each task the controller recalls behaviors into the system prompt, routed by learned
  utility;
* after it, the controller logs the outcome, credits the behaviors that were in context, and
  asks its learners for edits: the example's learner (``CorrectionLearner``, a few lines)
  proposes an ``add_behavior`` edit from the environment's correction; the controller
  validates and admits it, applies it atomically, and records it in the audit log and the
  provenance graph (``agentmem memory audit``, ``agentmem memory why behaviors/NAME``), so it
  can be rolled back (``agentmem memory rollback``).

The success rate per round is printed; it rises once the lessons are in memory.

    python examples/custom_environment.py --fake
    python examples/custom_environment.py --model openai/gpt-4o-mini --rounds 3
"""

from __future__ import annotations

import random
import re
from typing import Any

from _setup import make_llm, make_settings, parse_args

import agentmem
from agentmem.environment import Observation, TaskSpec
from agentmem.learning.appliers import ApplierRegistry
from agentmem.learning.edits import AddBehavior
from agentmem.learning.learners import LearningContext, Proposal
from agentmem.learning.store_appliers import open_behaviors
from agentmem.llm.base import ToolSpec

RULES = {"avalon": (4.0, 1.5), "brindle": (2.5, 3.0), "corvex": (9.0, 0.5)}


class ShippingQuotes:
    """Quote shipping prices; the pricing rules are hidden until an answer is corrected."""

    name = "shipping-quotes"

    def __init__(self, seed: int = 0, n_tasks: int = 9) -> None:
        rng = random.Random(seed)
        regions = sorted(RULES)
        self.tasks = {f"q{i}": (regions[i % len(regions)], rng.randint(1, 12)) for i in range(n_tasks)}
        self.current: tuple[str, int] | None = None

    def reset(self, task_id: str | None = None) -> TaskSpec:
        task_id = task_id or next(iter(self.tasks))
        region, kg = self.tasks[task_id]
        self.current = (region, kg)
        instruction = f"What does it cost to ship a {kg} kg parcel to the {region.title()} region? Answer with the price only."
        return TaskSpec(id=task_id, instruction=instruction, topic=region, metadata={"split": "train"})  # labels may be learned from

    def tools(self) -> list[ToolSpec]:
        return []

    def step(self, tool: str, arguments: dict[str, Any]) -> Observation:
        return Observation(text=f"no tool named {tool!r} in this environment")

    def price(self) -> float:
        assert self.current is not None
        base, per_kg = RULES[self.current[0]]
        return round(base + per_kg * self.current[1], 2)

    def evaluate(self, final_answer: str | None) -> agentmem.Outcome:
        assert self.current is not None
        found = re.findall(r"-?\d+(?:\.\d+)?", final_answer or "")
        ok = bool(found) and abs(float(found[-1]) - self.price()) < 0.005
        region = self.current[0]
        base, per_kg = RULES[region]
        correction = f"Shipping to the {region.title()} region costs a base fee of {base:.2f} plus {per_kg:.2f} per kg."
        return agentmem.Outcome(score=float(ok), success=ok, source="environment", detail={} if ok else {"correction": correction, "region": region})


def fake_model(messages: list[Any], info: dict[str, Any]) -> str:
    """Stands in for a model: applies a pricing rule found in its prompt for the asked region, else guesses."""
    question = messages[-1].content
    kg = float(re.search(r"(\d+) kg", question).group(1))
    region = re.search(r"the (\w+) region\?", question).group(1)
    rule = re.search(rf"{region} region costs a base fee of ([\d.]+) plus ([\d.]+) per kg", messages[0].content)  # the system prompt
    if rule:
        return f"{float(rule.group(1)) + float(rule.group(2)) * kg:.2f}"
    return f"{5.0 + 1.0 * kg:.2f}"


class CorrectionLearner:
    """A learner: when an answer was corrected, propose the correction as a behavior (the controller decides)."""

    name = "correction-learner"

    def propose(self, ctx: LearningContext) -> Proposal:
        detail = ctx.outcome.detail
        if ctx.outcome.success or "correction" not in detail:
            return Proposal()
        region = detail["region"]
        edit = AddBehavior(name=f"shipping rate {region}", instruction=detail["correction"], when=f"quoting shipping to the {region.title()} region", reason=f"corrected answer on task {ctx.task.id}", proposer=self.name)
        return Proposal(edits=[edit])


def make_controller(settings: Any, learners: list[Any] | None = None) -> agentmem.ReflectiveController:
    """The learning controller over the home's behavior handbook, in updating mode."""
    handbook, applier, opener = open_behaviors(settings)
    registry = ApplierRegistry()
    registry.register("behaviors", applier)
    config = agentmem.ControllerConfig(mode="updating", write_gate="train_labels", context_k=3)
    return agentmem.ReflectiveController.from_settings(settings, [handbook], openers={"behaviors": opener}, registry=registry, learners=learners if learners is not None else [CorrectionLearner()], config=config)


def run_round(runner: agentmem.Runner, agent: agentmem.Agent, env: ShippingQuotes, controller: agentmem.ReflectiveController | None) -> float:
    """Run every task once (under the controller, if any); the success rate."""
    results = [controller.run_task(agent, env, runner=runner, task_id=t)[0] if controller else runner.run(agent, env, task_id=t) for t in env.tasks]
    return sum(bool(r.outcome.success) for r in results) / len(results)


def main() -> dict[str, Any]:
    args = parse_args(__doc__.splitlines()[0], lambda p: p.add_argument("--rounds", type=int, default=3))
    settings = make_settings(args)
    llm = make_llm(args, settings, fake_model)
    env = ShippingQuotes(seed=settings.seed)
    assert isinstance(env, agentmem.Environment)
    controller = make_controller(settings)
    handbook = controller.state.store("behaviors")
    agent = agentmem.Agent(name="quoter", model=llm, instructions="You quote shipping prices. Answer with the price only.", max_steps=2)
    runner = agentmem.Runner(settings)
    rates = []
    for r in range(1, args.rounds + 1):
        rates.append(run_round(runner, agent, env, controller))
        learned = sorted(rec.id for rec in handbook.records() if "shipping" in rec.id)
        print(f"round {r}: solved {rates[-1]:.0%} of {len(env.tasks)} tasks; learned behaviors: {learned}")
    return {"rates": rates, "learned": learned}


if __name__ == "__main__":
    main()
