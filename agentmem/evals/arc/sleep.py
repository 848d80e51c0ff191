"""Sleep: compress recurring sub-programs of solved tasks into new composition skills.

DreamCoder's abstraction sleep, in the small. The wake phase leaves, per solved training task,
the verified programs (lists of primitive steps). A **sub-program** is a contiguous run of two
or more steps of such a program whose only parameter-learning (``fit``) step, if any, is its
last, so the abstraction stays parameterised: the last step is re-fitted on each new task
(a colour map, a fill colour, a rule table), and the fixed steps before it are the reusable
structure. A sub-program becomes a candidate when it occurs in the programs of at least
``min_tasks`` different tasks (a whole one-task solution never qualifies) and no library
skill already has its structure.

Each candidate is proposed as a typed :class:`~agentmem.learning.edits.AddSkill` through the
reflective controller: ``scripts/transform.py`` (the self-contained rendered program),
``scripts/test_transform.py`` (its own test: it must explain the train pairs of the tasks it
was abstracted from), ``references/composition.json`` (steps, shape and colour behaviour,
source tasks) and ``references/train_pairs.json``. The controller admits it quarantined; it
becomes active only when its test passes in the sandbox (``verify_quarantined`` with the
skill-test verifier). Source tasks must come from the split's learning part, never from its
validation tasks (the caller's job; :mod:`.wake_sleep` enforces it).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from typing import Any

from pydantic import BaseModel

from agentmem.evals.arc.compose import render_program, structure_key
from agentmem.evals.arc.library import COMPOSITION_FILE, TransformLibrary
from agentmem.evals.arc.search import Step, describe_steps
from agentmem.learning.edits import AddSkill
from agentmem.types import Provenance, Trust

_TEST = '''"""Test of a learned ARC composition: it must explain the train pairs it was abstracted from."""
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import transform as t  # noqa: E402

pairs = json.loads((HERE.parent / "references" / "train_pairs.json").read_text())
for task_id, items in sorted(pairs.items()):
    tp = [(np.array(i), np.array(o)) for i, o in items]
    settings = t.fit(tp) if hasattr(t, "fit") else [{}]
    if not any(all(np.array_equal(np.asarray(t.transform(i, **p)), o) for i, o in tp) for p in settings):
        sys.exit(f"task {task_id}: no setting of this composition reproduces every train output")
print(f"ok: {len(pairs)} source tasks explained")
'''


class Candidate(BaseModel):
    """A recurring sub-program."""

    key: str
    steps: list[dict[str, Any]]
    tasks: list[str]


def sub_programs(steps: list[Step], max_len: int = 3) -> list[list[Step]]:
    """Contiguous runs of 2..max_len steps whose only fitted step (if any) is the last."""
    out = []
    for i in range(len(steps)):
        for j in range(i + 2, min(len(steps), i + max_len) + 1):
            sub = steps[i:j]
            if any(s.get("fit") for s in sub[:-1]):
                continue
            out.append([dict(s) for s in sub])
    return out


def recurring(programs: dict[str, list[list[Step]]], existing: set[str], *, min_tasks: int = 2) -> list[Candidate]:
    """Sub-programs found in the programs of ``min_tasks`` or more tasks, most frequent first."""
    tasks: dict[str, set[str]] = defaultdict(set)
    example: dict[str, list[Step]] = {}
    for task_id, progs in programs.items():
        for steps in progs:
            for sub in sub_programs(steps):
                key = structure_key(sub)
                tasks[key].add(task_id)
                example.setdefault(key, sub)
    out = [Candidate(key=k, steps=example[k], tasks=sorted(ts)) for k, ts in tasks.items() if len(ts) >= min_tasks and k not in existing]
    return sorted(out, key=lambda c: (-len(c.tasks), c.key))


def skill_name(steps: list[Step]) -> str:
    digest = hashlib.sha1(structure_key(steps).encode()).hexdigest()[:6]
    stem = "-then-".join(s["skill"] for s in steps)
    return f"arc-{stem[:50].strip('-')}-{digest}"


def composition_edit(library: TransformLibrary, cand: Candidate, train_pairs: dict[str, list[tuple[Any, Any]]], *, run_id: str,
                     round_no: int | None, proposer: str = "arc:sleep") -> AddSkill:
    """The typed edit that proposes ``cand`` as a skill (quarantined until its test passes).

    ``round_no=None``: a whole composition found by the LLM-free solver on one task and verified on
    its train pairs (the solver's per-task write-back), not a sub-program abstracted in a sleep round.
    """
    steps = cand.steps
    name = skill_name(steps)
    shapes = {library.by_name[s["skill"]].shape for s in steps}
    colours = {library.by_name[s["skill"]].colors for s in steps}
    concept = describe_steps(steps)
    info = {"domain": "arc", "kind": "composition", "entry": "scripts/transform.py", "steps": steps,
            "shape": "same" if shapes == {"same"} else "changes", "colors": "same" if colours == {"same"} else "changes",
            "abstracted_from": cand.tasks, "round": round_no}
    chain = " then ".join(s["skill"] for s in steps)
    refit = steps[-1]["skill"] if steps[-1].get("fit") else None
    found = (f"it recurred in {len(cand.tasks)} solved training tasks" if round_no is not None
             else f"composition search found it on task {cand.tasks[0]} and it reproduced every train pair there in the sandbox")
    description = (f"Learned ARC composition: {chain}{f', re-fitting {refit} on each task' if refit else ''}. "
                   f"Use on ARC tasks that need {steps[0]['skill']} followed by {' and '.join(s['skill'] for s in steps[1:])}; "
                   f"{found}.")[:1024]
    origin = (f"A sub-program that recurred in the verified programs of {len(cand.tasks)} training tasks "
              f"({', '.join(cand.tasks[:8])}{' ...' if len(cand.tasks) > 8 else ''}), abstracted in wake/sleep round {round_no}. "
              if round_no is not None else f"A composition found by the LLM-free solver on task `{cand.tasks[0]}` and verified on every one of its train pairs. ")
    body = (f"# {name}\n\n## Concept\n\n`{concept}`\n\n" + origin
            + ("Its last step is re-fitted on each new task's train pairs.\n" if refit else "All of its parameters are fixed.\n")
            + "\n## Test\n\n`scripts/test_transform.py` checks that it explains the train pairs of every source task "
            "(`references/train_pairs.json`); it stays quarantined until that test passes in the sandbox.\n")
    pairs = {t: [[i, o] for i, o in train_pairs[t]] for t in cand.tasks}
    files = {"scripts/transform.py": render_program(library, steps), "scripts/test_transform.py": _TEST,
             COMPOSITION_FILE: json.dumps(info, indent=1, sort_keys=True), "references/train_pairs.json": json.dumps(pairs)}
    reason = f"sub-program {concept} recurs in {len(cand.tasks)} solved training tasks" if round_no is not None else f"composition {concept} solves the train pairs of task {cand.tasks[0]}"
    return AddSkill(name=name, description=description, body=body, playbook=True, files=files, trust=Trust.learned, proposer=proposer, reason=reason,
                    provenance=Provenance(source="learned", task_id=cand.tasks[0], run_id=run_id, note=f"abstracted from {', '.join(cand.tasks)}"))
