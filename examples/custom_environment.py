"""Example 2: a custom environment where memory measurably improves over rounds.

The task family: quote the price of shipping a parcel to a region. Each region has a pricing
rule the model cannot know (a base fee plus a rate per kilogram). The environment follows the
:class:`agentmem.Environment` protocol; when an answer is wrong, its outcome carries the rule,
as a teacher's correction would.

Learning loop (one round = every task once):

* before each task, recall from the skill library;
* after it, record the outcome for the recalled items (usage statistics + outcome log), and when
  the task failed, write what was learned as a knowledge skill (an edit the library versions and
  can roll back; ``agentmem skills history`` shows it).

The success rate per round is printed; it rises once the lessons are in memory.

    python examples/custom_environment.py --fake
    python examples/custom_environment.py --model openai/gpt-4o-mini --rounds 3
"""

from __future__ import annotations

import random
import re
import uuid
from typing import Any

from _setup import make_llm, make_settings, parse_args

import agentmem
from agentmem.agent.environment import Observation, TaskSpec
from agentmem.llm.base import ToolSpec, system, user

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
    rule = re.search(rf"{region} region costs a base fee of ([\d.]+) plus ([\d.]+) per kg", messages[0].content)
    if rule:
        return f"{float(rule.group(1)) + float(rule.group(2)) * kg:.2f}"
    return f"{5.0 + 1.0 * kg:.2f}"


def run_round(env: ShippingQuotes, llm: Any, skills: agentmem.SkillLibrary, log: agentmem.OutcomeLog) -> float:
    solved = 0
    for task_id in env.tasks:
        task = env.reset(task_id)
        hits = [h for h in skills.search(task.instruction, k=3) if h.score > 0.3]
        context = "\n\n".join(h.record.text for h in hits)
        answer = llm.complete([system("You quote shipping prices.\n\nWhat you know:\n" + (context or "(nothing yet)")), user(task.instruction)]).text
        outcome = env.evaluate(answer)
        solved += outcome.success
        run_id = uuid.uuid4().hex[:8]
        for h in hits:
            skills.record_use(h.record.id, outcome.score, outcome.success)
        log.record([agentmem.OutcomeRow(run_id=run_id, task_id=task.id, task_text=task.instruction, topic=task.topic, store="skills", item_id=h.record.id, rank=j, reward=outcome.score, success=outcome.success) for j, h in enumerate(hits)])
        if not outcome.success and "correction" in outcome.detail:
            name = f"shipping-rate-{outcome.detail['region']}"
            if name not in skills:
                skills.create(name, f"Shipping price rule for the {outcome.detail['region'].title()} region. Use when quoting what it costs to ship a parcel there.", outcome.detail["correction"], source="learned", note=f"learned from task {task.id} (run {run_id})")
    return solved / len(env.tasks)


def main() -> dict[str, Any]:
    args = parse_args(__doc__.splitlines()[0], lambda p: p.add_argument("--rounds", type=int, default=3))
    settings = make_settings(args)
    llm = make_llm(args, settings, fake_model)
    env = ShippingQuotes(seed=settings.seed)
    assert isinstance(env, agentmem.Environment)
    skills = agentmem.SkillLibrary(settings)
    log = agentmem.OutcomeLog(settings.paths.home / "outcomes.sqlite")
    rates = []
    for r in range(1, args.rounds + 1):
        rates.append(run_round(env, llm, skills, log))
        print(f"round {r}: solved {rates[-1]:.0%} of {len(env.tasks)} tasks; learned skills: {sorted(n for n in skills.names() if n.startswith('shipping-rate-'))}")
    return {"rates": rates, "learned": sorted(n for n in skills.names() if n.startswith("shipping-rate-"))}


if __name__ == "__main__":
    main()
