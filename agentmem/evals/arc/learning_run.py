"""The LLM-free ARC learning run: build a skill library on training tasks, reuse it on evaluation.

Used by ``agentmem demo`` and ``benchmarks/arc_skills_bench.py``. Three eval-framework runs
under ``work``: ``training`` (memory updating, gate = train pairs, writes ``work/library``),
``eval-shipped`` (memory none) and ``eval-learned`` (memory frozen, reads ``work/library``).
Each is resumable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentmem.evals.core import EvalConfig, MemoryMode
from agentmem.evals.arc.data import ArcDataset, load_arc
from agentmem.evals.arc.harness import eval_tasks, run_skills_eval
from agentmem.evals.arc.library import TransformLibrary


def arc_learning_run(work: Path, *, dataset: ArcDataset | None = None, train_limit: int | None = None, eval_split: str = "evaluation",
                     eval_limit: int | None = None, workers: int = 2, max_candidates: int = 40_000, max_seconds: float = 30.0,
                     progress: bool = True, runner: Any = None) -> dict[str, Any]:
    """Run the three stages; return ``{"reports": {training, shipped, learned}, "skills_written", "library_skills", ...}``."""
    ds = dataset or load_arc()
    work = Path(work)
    library = work / "library"
    opts = {"solver": "skills", "max_candidates": max_candidates, "max_seconds": max_seconds, "max_depth": 2}
    train = eval_tasks("training", ds)[:train_limit] if train_limit else eval_tasks("training", ds)
    evals = eval_tasks(eval_split, ds)
    evals = evals[:eval_limit] if eval_limit else evals

    def cfg(name: str, split: str, memory: MemoryMode) -> EvalConfig:
        return EvalConfig(benchmark="arc", memory=memory, split=split, workers=workers, out_dir=work / name, write_gate="train_pairs",
                          options={**opts, **({"library": "learned-on-training"} if memory != "none" else {})})

    training = run_skills_eval(cfg("training", "training", "updating"), learned_dir=library, tasks=train, progress=progress, runner=runner)
    shipped = run_skills_eval(cfg("eval-shipped", eval_split, "none"), learned_dir=None, tasks=evals, progress=progress, runner=runner)
    learned = run_skills_eval(cfg("eval-learned", eval_split, "frozen"), learned_dir=library, tasks=evals, progress=progress, runner=runner)
    skills = sorted(p.parent.name for p in library.glob("*/SKILL.md"))
    return {
        "reports": {"training": training, "shipped": shipped, "learned": learned},
        "skills_written": len(skills),
        "library_skills": skills,
        "library_dir": str(library),
        "shipped_transforms": len(TransformLibrary().primitives),
        "run_dirs": {k: str(work / k) for k in ("training", "eval-shipped", "eval-learned")},
    }
