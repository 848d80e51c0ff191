"""Example 2: a custom environment where memory measurably improves over rounds.

The task family: quote the price of shipping a parcel to a region. Each region has a pricing
rule the model cannot know (a base fee plus a rate per kilogram). The environment follows the
:class:`agentmem.Environment` protocol; when an answer is wrong, its outcome carries the rule,
as a teacher's correction would.

The agent runs with ``agentmem.Runner``; its memory is a small :class:`agentmem.MemoryHook`
(one round = every task once):

* ``before_task``: recall from the skill library into the system prompt;
* ``after_task``: record the outcome for the recalled items (usage statistics + outcome log),
  and when the task failed, write what was learned as a knowledge skill (an edit the library
  versions and can roll back; ``agentmem skills history`` shows it).

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
from agentmem.agent.environment import Observation, TaskSpec
from agentmem.agent.hooks import RecallContext
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
        return TaskSpec(id=task_id, instruction=f"What does it cost to ship a {kg} kg parcel to the {region.title()} region? Answer with the price only.", topic=region)

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


class LessonMemory:
    """A MemoryHook: recall skills before a task; after it, record the outcome and learn a lesson from a correction."""

    def __init__(self, skills: agentmem.SkillLibrary, log: agentmem.OutcomeLog, min_score: float = 0.3) -> None:
        self.skills, self.log, self.min_score = skills, log, min_score

    def before_task(self, task: TaskSpec) -> RecallContext:
        hits = [h for h in self.skills.search(task.instruction, k=3) if h.score > self.min_score]
        text = "What you know:\n" + "\n\n".join(h.record.text for h in hits) if hits else ""
        return RecallContext(text=text, items=hits, tokens=len(text) // 4)

    def after_task(self, task: TaskSpec, context: RecallContext, trajectory: list[Any], outcome: agentmem.Outcome, run_id: str) -> None:
        for h in context.items:
            self.skills.record_use(h.record.id, outcome.score, outcome.success)
        self.log.record([agentmem.OutcomeRow(run_id=run_id, task_id=task.id, task_text=task.instruction, topic=task.topic, store="skills", item_id=h.record.id, rank=j, reward=outcome.score, success=outcome.success) for j, h in enumerate(context.items)])
        if not outcome.success and "correction" in outcome.detail:
            name = f"shipping-rate-{outcome.detail['region']}"
            if name not in self.skills:
                description = f"Shipping price rule for the {outcome.detail['region'].title()} region. Use when quoting what it costs to ship a parcel there."
                self.skills.create(name, description, outcome.detail["correction"], source="learned", note=f"learned from task {task.id} (run {run_id})")


def run_round(runner: agentmem.Runner, agent: agentmem.Agent, env: ShippingQuotes) -> float:
    """Run every task once; the success rate."""
    results = [runner.run(agent, env, task_id=task_id) for task_id in env.tasks]
    return sum(bool(r.outcome.success) for r in results) / len(results)


def main() -> dict[str, Any]:
    args = parse_args(__doc__.splitlines()[0], lambda p: p.add_argument("--rounds", type=int, default=3))
    settings = make_settings(args)
    llm = make_llm(args, settings, fake_model)
    env = ShippingQuotes(seed=settings.seed)
    assert isinstance(env, agentmem.Environment)
    skills = agentmem.SkillLibrary(settings)
    memory = LessonMemory(skills, agentmem.OutcomeLog(settings.paths.home / "outcomes.sqlite"))
    agent = agentmem.Agent(name="quoter", model=llm, instructions="You quote shipping prices. Answer with the price only.", memory=memory, max_steps=2)
    runner = agentmem.Runner(settings)
    rates = []
    for r in range(1, args.rounds + 1):
        rates.append(run_round(runner, agent, env))
        print(f"round {r}: solved {rates[-1]:.0%} of {len(env.tasks)} tasks; learned skills: {sorted(n for n in skills.names() if n.startswith('shipping-rate-'))}")
    return {"rates": rates, "learned": sorted(n for n in skills.names() if n.startswith("shipping-rate-"))}


if __name__ == "__main__":
    main()
