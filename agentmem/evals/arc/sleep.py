"""Sleep: compress recurring sub-programs of solved tasks into new composition skills.

DreamCoder's abstraction sleep, in the small. The wake phase leaves, per solved training task,
the verified programs (lists of primitive steps). A **sub-program** is a contiguous run of two
or more steps of such a program whose only parameter-learning (``fit``) step, if any, is its
last. Sub-programs are compared by their **skill sequence alone** (``parameterised=True``, the
default): ``rotate(k=1) -> color-map`` on one task and ``rotate(k=3) -> color-map`` on another
are the same abstraction, ``rotate -> color-map``, whose steps re-enumerate their parameter
settings (and the last step re-fits) on each new task; whole-step parameters rarely recur
across ARC tasks, skill sequences do. A sequence becomes a candidate when it occurs in the
programs of at least ``min_tasks`` different tasks (a whole one-task solution never qualifies)
and no library skill already has it. With ``parameterised=False`` sub-programs are compared
with their fixed parameters (the earlier behaviour; only the last fitted step is re-learned).

Each candidate is proposed as a typed :class:`~agentmem.learning.edits.AddSkill` through the
reflective controller: ``scripts/transform.py`` (the self-contained rendered program: ``fit`` enumerates the settings
on a task, ``transform`` runs one),
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

from agentmem.evals.arc.compose import render_parameterised, render_program, sequence_key, structure_key
from agentmem.evals.arc.library import COMPOSITION_FILE, TransformLibrary
from agentmem.evals.arc.search import Step, describe_steps
from agentmem.learning.edits import AddSkill
from agentmem.types import Provenance, Trust

SKILL_TEST = '''"""Test of a learned ARC composition: it must explain the train pairs it was abstracted from."""
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
    parameterised: bool = False
    examples: list[str] = []


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


def recurring(programs: dict[str, list[list[Step]]], existing: set[str], *, min_tasks: int = 2, parameterised: bool = False) -> list[Candidate]:
    """Sub-programs found in the programs of ``min_tasks`` or more tasks, most frequent first.

    ``parameterised``: compare by skill sequence (:func:`~.compose.sequence_key`); the candidate's
    steps keep the sequence with open parameters and ``examples`` lists the concrete variants seen."""
    tasks: dict[str, set[str]] = defaultdict(set)
    example: dict[str, list[Step]] = {}
    variants: dict[str, list[str]] = defaultdict(list)
    for task_id, progs in programs.items():
        for steps in progs:
            for sub in sub_programs(steps):
                key = sequence_key(sub) if parameterised else structure_key(sub)
                tasks[key].add(task_id)
                example.setdefault(key, sub)
                d = describe_steps(sub)
                if d not in variants[key]:
                    variants[key].append(d)
    out = []
    for k, ts in tasks.items():
        if len(ts) < min_tasks or k in existing:
            continue
        steps = example[k]
        if parameterised:
            steps = [{"skill": s["skill"], "params": {}, "fit": bool(s.get("fit")) and i == len(steps) - 1} for i, s in enumerate(steps)]
        out.append(Candidate(key=k, steps=steps, tasks=sorted(ts), parameterised=parameterised, examples=variants[k][:8]))
    return sorted(out, key=lambda c: (-len(c.tasks), len(c.steps), c.key))


def skill_name(steps: list[Step], parameterised: bool = False) -> str:
    key = sequence_key(steps) if parameterised else structure_key(steps)
    digest = hashlib.sha1(key.encode()).hexdigest()[:6]
    stem = "-then-".join(s["skill"] for s in steps)
    return f"arc-{stem[:50].strip('-')}-{'p' if parameterised else ''}{digest}"


def composition_edit(library: TransformLibrary, cand: Candidate, train_pairs: dict[str, list[tuple[Any, Any]]], *, run_id: str,
                     round_no: int | None, proposer: str = "arc:sleep") -> AddSkill:
    """The typed edit that proposes ``cand`` as a skill (quarantined until its test passes).

    ``round_no=None``: a whole composition found by the LLM-free solver on one task and verified on
    its train pairs (the solver's per-task write-back), not a sub-program abstracted in a sleep round.
    """
    steps = cand.steps
    param = cand.parameterised
    name = skill_name(steps, param)
    shapes = {library.by_name[s["skill"]].shape for s in steps}
    colours = {library.by_name[s["skill"]].colors for s in steps}
    concept = describe_steps(steps)
    info = {"domain": "arc", "kind": "composition", "entry": "scripts/transform.py", "steps": steps,
            "shape": "same" if shapes == {"same"} else "changes", "colors": "same" if colours == {"same"} else "changes",
            "abstracted_from": cand.tasks, "round": round_no, "parameterised": param, "examples": cand.examples}
    chain = " then ".join(s["skill"] for s in steps)
    refit = steps[-1]["skill"] if steps[-1].get("fit") else None
    if param:
        concept = " -> ".join(s["skill"] for s in steps) + " (parameters found per task)"
    found = (f"it recurred in {len(cand.tasks)} solved training tasks" if round_no is not None
             else f"composition search found it on task {cand.tasks[0]} and it reproduced every train pair there in the sandbox")
    how = ", every step's parameters found again on each task" if param else f", re-fitting {refit} on each task" if refit else ""
    description = (f"Learned ARC composition: {chain}{how}. "
                   f"Use on ARC tasks that need {steps[0]['skill']} followed by {' and '.join(s['skill'] for s in steps[1:])}; "
                   f"{found}.")[:1024]
    origin = (f"A sub-program that recurred in the verified programs of {len(cand.tasks)} training tasks "
              f"({', '.join(cand.tasks[:8])}{' ...' if len(cand.tasks) > 8 else ''}), abstracted in wake/sleep round {round_no}. "
              if round_no is not None else f"A composition found by the LLM-free solver on task `{cand.tasks[0]}` and verified on every one of its train pairs. ")
    body = (f"# {name}\n\n## Concept\n\n`{concept}`\n\n" + origin
            + ("Only the skill sequence is kept: on a new task each step's parameter settings are enumerated again "
               "and the last step is fitted on the train pairs when it can learn its parameters. Variants seen: "
               + "; ".join(f"`{e}`" for e in cand.examples) + ".\n" if param else
               "Its last step is re-fitted on each new task's train pairs.\n" if refit else "All of its parameters are fixed.\n")
            + "\n## Test\n\n`scripts/test_transform.py` checks that it explains the train pairs of every source task "
            "(`references/train_pairs.json`); it stays quarantined until that test passes in the sandbox.\n")
    pairs = {t: [[i, o] for i, o in train_pairs[t]] for t in cand.tasks}
    script = render_parameterised(library, [s["skill"] for s in steps]) if param else render_program(library, steps)
    files = {"scripts/transform.py": script, "scripts/test_transform.py": SKILL_TEST,
             COMPOSITION_FILE: json.dumps(info, indent=1, sort_keys=True), "references/train_pairs.json": json.dumps(pairs)}
    reason = f"sub-program {concept} recurs in {len(cand.tasks)} solved training tasks" if round_no is not None else f"composition {concept} solves the train pairs of task {cand.tasks[0]}"
    return AddSkill(name=name, description=description, body=body, playbook=True, files=files, trust=Trust.learned, proposer=proposer, reason=reason,
                    provenance=Provenance(source="learned", task_id=cand.tasks[0], run_id=run_id, note=f"abstracted from {', '.join(cand.tasks)}"))
