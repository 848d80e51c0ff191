"""A learned vocabulary: members of the ``cell-lookup`` family that generalised on training tasks.

The shipped ``skills/arc/cell-lookup`` transform is a *family* of cell rules (a cell's output colour
looked up from its own colour and 1-2 of ~36 per-cell features: ~670 members). Trying every member on
every intermediate grid of a search is too costly, and most members are memorisers; so on its own the
skill tries nothing, and which members the search may use is **learned** here, in sleep:

1. :func:`member_stats`: on each *learning* training task (never a validation task, never the
   evaluation split) the whole family is fitted on the train pairs; a member that verifies (no
   conflict, leave-one-out) and covers the test inputs is scored on the task's own test output
   (training labels, allowed by the ``train_labels`` write gate): right or wrong.
2. :func:`select_members`: greedy cover: the member right on the most not-yet-covered tasks, minus the
   tasks it verified but got wrong, while it covers a new task and was right on ``min_tasks`` or more
   tasks (a one-task member is a one-task solution, not an abstraction).
3. :func:`member_edit`: each selected member becomes a typed :class:`~agentmem.learning.edits.AddSkill`
   through the reflective controller: a one-step learned composition ``cell-lookup(features=...)``
   re-fitted on each task (the features are the ``FIT_HINT`` of the slot), with its own sandbox test
   (the source tasks' train pairs), quarantined until it passes. Credit by re-run and retirement are
   the wake/sleep learner's, as for any learned composition.

The test outputs read here are those of training tasks only; the search itself never sees a test
output (``tests/test_evals_arc_wake_sleep.py`` poisons them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from agentmem.evals.arc.compose import render_program
from agentmem.evals.arc.data import ArcTask
from agentmem.evals.arc.library import COMPOSITION_FILE, TransformLibrary
from agentmem.evals.arc.sleep import SKILL_TEST
from agentmem.fileio import atomic_write_json
from agentmem.learning.edits import AddSkill
from agentmem.types import Provenance, Trust

FAMILY = "cell-lookup"


class MemberStats(BaseModel):
    """Where one member verified on training tasks, and whether it was right there."""

    features: list[str]
    right: list[str] = Field(default_factory=list)
    wrong: list[str] = Field(default_factory=list)


def member_key(features: list[str]) -> str:
    return "+".join(features)


def task_members(library: TransformLibrary, task: ArcTask) -> list[tuple[list[str], bool]]:
    """Every family member that verifies on ``task``'s train pairs and covers its test inputs, in family order,
    with whether it reproduces the task's test outputs (the task's labels: call only on learning tasks)."""
    t = library.by_name.get(FAMILY)
    if t is None:
        return []
    pairs = [(np.asarray(i), np.asarray(o)) for i, o in task.train_pairs]
    try:
        settings = t.fit(pairs, {"features": "*"})
    except Exception:  # a grid the feature bank cannot describe: no member
        return []
    out = []
    for s in settings:
        try:
            preds = [np.asarray(t.apply(np.asarray(g), s)) for g in task.test_inputs]
        except ValueError:
            continue  # does not cover a test input: no attempt
        right = all(p.shape == np.asarray(o.output).shape and np.array_equal(p, np.asarray(o.output)) for p, o in zip(preds, task.test))
        out.append((list(s["features"]), right))
    return out


def member_stats(library: TransformLibrary, tasks: list[ArcTask], cache: Path | None = None) -> dict[str, MemberStats]:
    """Per member, the learning tasks where it was right or wrong (``cache``: a JSON file of per-task results).

    Reads the tasks' test outputs, so only training tasks are accepted (:class:`ValueError` otherwise)."""
    bad = sorted(t.id for t in tasks if t.split != "training")
    if bad:
        raise ValueError(f"member_stats scores members on test outputs: training tasks only, got {len(bad)} others ({', '.join(bad[:5])})")
    per_task: dict[str, list[tuple[list[str], bool]]] = {}
    if cache is not None and cache.is_file():
        per_task = {k: [(list(f), bool(r)) for f, r in v] for k, v in json.loads(cache.read_text()).items()}
    for task in tasks:
        if task.id not in per_task:
            per_task[task.id] = task_members(library, task)
    if cache is not None:
        atomic_write_json(cache, {k: [[f, r] for f, r in v] for k, v in per_task.items()})
    stats: dict[str, MemberStats] = {}
    for task in tasks:
        for feats, right in per_task[task.id]:
            st = stats.setdefault(member_key(feats), MemberStats(features=feats))
            (st.right if right else st.wrong).append(task.id)
    return stats


def select_members(stats: dict[str, MemberStats], *, min_tasks: int = 2, max_new: int = 12, known: set[str] = frozenset(),  # type: ignore[assignment]
                   covered: set[str] | None = None) -> list[MemberStats]:
    """Greedy cover of the tasks the members were right on (see the module text); ``known`` members are skipped."""
    done: set[str] = set(covered or ())
    pool = {k: s for k, s in stats.items() if k not in known and len(s.right) >= min_tasks}
    chosen: list[MemberStats] = []
    def gain(s: MemberStats, covered: set[str]) -> tuple[int, int, int, str]:
        return (len(set(s.right) - covered) - len(s.wrong), len(s.right), -len(s.features), member_key(s.features))

    while pool and len(chosen) < max_new:
        best = max(pool.values(), key=lambda s: gain(s, done))
        if not set(best.right) - done or gain(best, done)[0] <= 0:
            break
        chosen.append(best)
        done |= set(best.right)
        del pool[member_key(best.features)]
    return chosen


def member_name(features: list[str]) -> str:
    return f"arc-{FAMILY}-{'-'.join(features)}"


def member_edit(library: TransformLibrary, member: MemberStats, train_pairs: dict[str, list[tuple[Any, Any]]], *, run_id: str, round_no: int) -> AddSkill:
    """The typed edit proposing ``member`` as a learned skill (quarantined until its sandbox test passes)."""
    feats = member.features
    name = member_name(feats)
    steps = [{"skill": FAMILY, "params": {"features": feats}, "fit": True}]
    tasks = sorted(member.right)
    info = {"domain": "arc", "kind": "vocabulary", "family": FAMILY, "features": feats, "entry": "scripts/transform.py", "steps": steps,
            "shape": "same", "colors": "changes", "abstracted_from": tasks, "wrong_on": sorted(member.wrong), "round": round_no, "parameterised": False}
    what = " and ".join(f"`{f}`" for f in feats)
    description = (f"Learned ARC cell rule: each cell's output colour looked up from its own colour and {', '.join(feats)} "
                   f"(a member of the cell-lookup family). Use on ARC tasks whose output keeps the input's shape and recolours cells "
                   f"by {', '.join(feats)}; it verified and was right on {len(tasks)} training tasks.")[:1024]
    body = (f"# {name}\n\n## Concept\n\nA member of the `{FAMILY}` family: the cell's own colour and {what} as the key of a lookup "
            f"table fitted on each new task's train pairs (no conflict, leave-one-out). Learned in wake/sleep round {round_no}: over the "
            f"learning part of the training split it verified on the train pairs and reproduced the test output of {len(tasks)} tasks "
            f"({', '.join(tasks[:8])}{' ...' if len(tasks) > 8 else ''}) and was wrong on {len(member.wrong)}.\n\n"
            "## Test\n\n`scripts/test_transform.py` checks that it explains the train pairs of every source task "
            "(`references/train_pairs.json`); it stays quarantined until that test passes in the sandbox.\n")
    pairs = {t: [[i, o] for i, o in train_pairs[t]] for t in tasks}
    files = {"scripts/transform.py": render_program(library, steps), "scripts/test_transform.py": SKILL_TEST,
             COMPOSITION_FILE: json.dumps(info, indent=1, sort_keys=True), "references/train_pairs.json": json.dumps(pairs)}
    return AddSkill(name=name, description=description, body=body, playbook=True, files=files, trust=Trust.learned, proposer="arc:sleep-vocabulary",
                    reason=f"cell-lookup member {member_key(feats)} verified and was right on {len(tasks)} training tasks, wrong on {len(member.wrong)}",
                    provenance=Provenance(source="learned", task_id=tasks[0], run_id=run_id, note=f"selected from {', '.join(tasks)}"))
