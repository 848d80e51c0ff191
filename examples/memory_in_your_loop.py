"""Example 1: add agentmem memory to a plain, hand-written agent loop.

The loop below is yours: a prompt, a model call, a check. ``agentmem.Memory`` adds two calls:

1. **recall before the model call**: ``memory.recall(task)`` searches every store (here the
   skill library and the fact store) within one token budget and renders the context;
2. **record the outcome after**: ``memory.learn(task, context, outcome)`` tells each store how
   the task went for the items that were in context (usage statistics) and appends it to the
   outcome log every learner reads.

The task family: write support-ticket ids in the house format, a convention the model cannot
know. A knowledge skill holds the convention; the run compares the loop without memory and
with it.

    python examples/memory_in_your_loop.py --fake
    python examples/memory_in_your_loop.py --model openai/gpt-4o-mini
"""

from __future__ import annotations

import re
from typing import Any

from _setup import make_llm, make_settings, parse_args

import agentmem
from agentmem.llm.base import system, user

TASKS = [(42, 2025), (7, 2024), (1234, 2026), (99, 2023)]

HOUSE_RULE = """Support ticket ids are written `TCK-<year>-<number>`, where <number> is the
ticket number zero-padded to five digits: ticket 42 opened in 2025 is `TCK-2025-00042`.
Answer with the id only."""


def expected(number: int, year: int) -> str:
    return f"TCK-{year}-{number:05d}"


def fake_model(messages: list[Any], info: dict[str, Any]) -> str:
    """Stands in for a model: it follows the house rule only when the rule is in its prompt."""
    prompt = "\n".join(m.content for m in messages)
    number, year = (int(x) for x in re.search(r"ticket (\d+) opened in (\d+)", messages[-1].content).groups())
    return expected(number, year) if "zero-padded to five digits" in prompt else f"#{number}"


def run(llm: Any, memory: agentmem.Memory | None) -> float:
    solved = 0
    for number, year in TASKS:
        task = f"Write the id of support ticket {number} opened in {year}."
        context = memory.recall(task, budget_tokens=600) if memory is not None else None  # 1. recall
        prompt = "You are a support assistant.\n\n" + (context.text if context else "")
        answer = llm.complete([system(prompt), user(task.replace("support ticket", "ticket"))]).text.strip()
        ok = answer == expected(number, year)
        solved += ok
        if memory is not None and context is not None:  # 2. record the outcome
            memory.learn(task, context, agentmem.Outcome(score=float(ok), success=ok))
        print(f"  {task:52} -> {answer:16} {'ok' if ok else 'wrong'}")
    return solved / len(TASKS)


def main() -> dict[str, float]:
    args = parse_args(__doc__.splitlines()[0])
    settings = make_settings(args)
    llm = make_llm(args, settings, fake_model)
    skills = agentmem.SkillLibrary(settings)
    if "ticket-id-format" not in skills:
        skills.create("ticket-id-format", "House format of support ticket ids (TCK-year-number). Use when writing or checking a support ticket id.", HOUSE_RULE, source="user")
    memory = agentmem.Memory.from_settings(settings, [skills, agentmem.FactStore.from_settings(settings)])
    memory.remember("Support tickets opened before 2020 were migrated; their ids keep the same format.")

    print("without memory:")
    before = run(llm, None)
    print("with memory:")
    after = run(llm, memory)
    stats = skills.stats("ticket-id-format")
    print(f"solved without memory {before:.0%}, with memory {after:.0%}; ticket-id-format used {stats.uses} times, {stats.successes} successes")
    return {"without": before, "with": after, "uses": stats.uses}


if __name__ == "__main__":
    main()
