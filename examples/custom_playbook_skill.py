"""Example 3: write a playbook skill with a script, lint it (with its tests), add it, use it.

A *playbook* skill is an Agent Skills folder whose ``SKILL.md`` names an entry script. This
example writes ``csv-column-stats`` (sum, mean, min and max of one column of a CSV file),
lints it with its test script run in the sandbox, adds it to the library, finds it by search,
and gives it to an agent through a Python function registered as a tool (``agentmem.tool``),
run by ``agentmem.Runner``.

    python examples/custom_playbook_skill.py --fake
    python examples/custom_playbook_skill.py --model openai/gpt-4o-mini

The same from the shell: ``agentmem skills lint --test DIR``, ``agentmem skills add DIR``,
``agentmem skills run csv-column-stats -- data.csv price``.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from _setup import make_llm, make_settings, parse_args

import agentmem
from agentmem.llm.base import Message
from agentmem.stores.skill_lint import lint_paths
from agentmem.testing import tool_call_reply

SKILL_MD = """---
name: csv-column-stats
description: Sum, mean, min and max of one numeric column of a CSV file. Use when a question asks for totals or averages over a CSV table.
license: Apache-2.0
metadata:
  kind: playbook
  entry: scripts/run.py
  test: scripts/test_run.py
---

# CSV column statistics (playbook)

Run `scripts/run.py FILE.csv COLUMN`; it prints one JSON object
`{"column", "count", "sum", "mean", "min", "max"}`. Exit code 1 if the column is missing or
holds a non-number.
"""

RUN_PY = '''"""Statistics of one CSV column; prints JSON."""
import csv
import json
import sys


def stats(rows, column):
    values = [float(r[column]) for r in rows]
    return {"column": column, "count": len(values), "sum": sum(values), "mean": sum(values) / len(values), "min": min(values), "max": max(values)}


def main(argv):
    path, column = argv
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or column not in rows[0]:
        print(f"no column {column!r}", file=sys.stderr)
        return 1
    try:
        print(json.dumps(stats(rows, column)))
    except ValueError as exc:
        print(f"column {column!r}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
'''

TEST_PY = '''"""Tests of run.py (exit 0 = pass)."""
import run

rows = [{"price": "2"}, {"price": "4.5"}, {"price": "-1"}]
got = run.stats(rows, "price")
assert got == {"column": "price", "count": 3, "sum": 5.5, "mean": 5.5 / 3, "min": -1.0, "max": 4.5}, got
'''

CSV = "item,price\napple,1.25\nbread,3.10\ncheese,7.40\n"


def write_skill(folder: Path) -> Path:
    (folder / "scripts").mkdir(parents=True)
    (folder / "SKILL.md").write_text(SKILL_MD)
    (folder / "scripts" / "run.py").write_text(RUN_PY)
    (folder / "scripts" / "test_run.py").write_text(TEST_PY)
    return folder


def fake_model(messages: list[Message], info: dict[str, Any]) -> Any:
    """Stands in for a model: calls the skill the prompt offers, then reads the tool result."""
    if messages[-1].role == "tool":
        return f"The total is {json.loads(messages[-1].content)['sum']:.2f}."
    return tool_call_reply("run_skill", {"name": "csv-column-stats", "args": ["basket.csv", "price"]})


def skill_tools(skills: agentmem.SkillLibrary, files: dict[str, str]) -> list[agentmem.Tool]:
    """Python functions registered as tools: here, one that runs playbook skills in the sandbox."""

    @agentmem.tool
    def run_skill(name: str, args: list[str]) -> str:
        """Run a playbook skill's entry script in the sandbox (the user's files are in its working folder).

        Args:
            name: the skill's name.
            args: command-line arguments for the script.
        """
        result = skills.run(name, args, files=files)
        if result.exit_code != 0:
            raise ValueError(f"{name} exited with {result.exit_code}: {result.stderr.strip()[:500]}")
        return result.stdout.strip()

    return [run_skill]


def main() -> dict[str, Any]:
    args = parse_args(__doc__.splitlines()[0])
    settings = make_settings(args)
    llm = make_llm(args, settings, fake_model)
    skills = agentmem.SkillLibrary(settings)

    folder = write_skill(Path(tempfile.mkdtemp(prefix="skill-src-")) / "csv-column-stats")
    problems = lint_paths([folder], run_tests=True)
    print("lint:", "clean" if not problems else "\n  ".join(str(p) for p in problems))
    if any(p.severity == "error" for p in problems):
        raise SystemExit(1)
    skill = skills.add(folder, replace=True, note="example 3")
    print(f"added {skill.name} v{skill.version} -> {skill.path}")

    task = "What is the total price of the items in basket.csv?"
    # runnable skills only; five, since the shipped ARC grid transforms are playbooks too and, under
    # --fake (a hashing embedder, not MiniLM), tie with the CSV skill on the dense side
    found = skills.candidates(task, k=5, kind="playbook")
    print("search:", [(s.name, round(score, 2)) for s, score in found])
    offered = "\n".join(f"- {s.name}: {s.description}" for s, _ in found)
    agent = agentmem.Agent(
        name="analyst",
        model=llm,
        instructions=f"Playbook skills you can run with run_skill:\n{offered}\nThe user's file basket.csv is in the working folder.",
        tools=skill_tools(skills, {"basket.csv": CSV}),
        max_steps=4,
    )
    result = agentmem.Runner(settings).run(agent, task)
    answer = result.final_answer or ""
    ok = "11.75" in answer
    skills.record_use("csv-column-stats", reward=float(ok), success=ok)
    print(f"answer: {answer} ({'correct' if ok else 'wrong'}; expected 11.75)")
    return {"lint_errors": len(problems), "answer": answer, "correct": ok, "found": [s.name for s, _ in found]}


if __name__ == "__main__":
    main()
