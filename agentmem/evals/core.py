"""The evaluation framework every benchmark harness (ARC, ALFWorld, LoCoMo) runs on.

A harness supplies an ordered list of :class:`EvalTask` and a *solve* function
``solve(task, ctx) -> TaskOutcome``; :func:`run_eval` does the rest:

* **resumable runs**: every finished task is appended to ``<out>/records.jsonl``; rerunning
  with the same configuration skips tasks already recorded (tasks that ended in an
  :class:`~agentmem.errors.AgentmemError` are retried). ``results.json`` is rebuilt from the
  records in task order and holds no timings, so a resumed run writes the *same*
  ``results.json`` as an uninterrupted one (timings go to ``run_info.json``);
* **concurrency** over tasks with a thread pool (``workers``); with ``memory="updating"``
  the run is sequential, so what memory learned from task *i* is seen by task *i+1* in a
  reproducible order;
* **token and cost accounting**: ``ctx.llm`` wraps the harness's :class:`~agentmem.llm.base.LLM`
  and attributes every completion's :class:`~agentmem.llm.base.Usage` to the task that made it;
* a rich progress bar, and the outputs ``results.json``, ``summary.md`` and PNG plots
  (``score_by_category.png``; ``learning_curve.png`` when memory updates).

Example::

    cfg = EvalConfig(benchmark="toy", memory="none", out_dir=tmp / "run")
    tasks = [EvalTask(id="a", category="easy", payload={"x": 1})]
    report = run_eval(cfg, tasks, lambda task, ctx: TaskOutcome(score=1.0, success=True))
    report.score  # 1.0

:func:`compare_runs` reads two ``results.json`` and lines them up
(``agentmem eval compare RUN_A RUN_B``).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agentmem.errors import AgentmemError, ConfigError, StoreError
from agentmem.fileio import atomic_write_bytes, atomic_write_json, atomic_write_text, read_json
from agentmem.llm.base import LLM, Completion, Message, ToolSpec, Usage, UsageMeter
from agentmem.evals.provenance import DataInfo

MemoryMode = Literal["none", "frozen", "updating"]
#: The controller's write gates (:class:`agentmem.learning.gate.WriteGate`) plus ``none``; older names
#: are accepted when parsing (:data:`agentmem.learning.gate.GATE_ALIASES`, plus ``environment`` and
#: ``judge``, which were the training-label gate under the name of the outcome's source).
WriteGate = Literal["none", "train_labels", "self_verification", "oracle"]
_EVAL_GATE_ALIASES = {"train_pairs": "self_verification", "environment": "train_labels", "judge": "train_labels"}

RESULTS_FILE = "results.json"
RECORDS_FILE = "records.jsonl"
CONFIG_FILE = "config.json"


class EvalConfig(BaseModel):
    """What one evaluation run is. Everything but ``limit``, ``workers`` and ``out_dir``
    is part of the run's fingerprint: resuming into a folder made with a different
    fingerprint is refused."""

    model_config = ConfigDict(extra="forbid")

    benchmark: str = Field(..., description="'arc', 'alfworld', 'locomo' or your own name.")
    model: str | None = Field(default=None, description="litellm model string of the working LLM; None for LLM-free solvers.")
    memory: MemoryMode = Field(default="none", description="none: no memory; frozen: read only; updating: read and write after each task.")
    write_gate: WriteGate = Field(
        default="self_verification",
        description="When memory may be written (updating mode): self_verification = the task's own demonstrations or a "
        "verifier (ARC default; formerly train_pairs); train_labels = outcomes of training-split tasks (formerly environment/judge); "
        "oracle = hidden test labels (reported as such); none = never.",
    )
    split: str | None = Field(default=None, description="Data split, e.g. 'evaluation', 'training', 'eval100'.")
    limit: int | None = Field(default=None, gt=0, description="Run only the first N tasks of the ordered task list.")
    workers: int = Field(default=1, gt=0, description="Tasks solved concurrently (threads); forced to 1 when memory updates.")
    out_dir: Path = Field(..., description="Folder for records.jsonl, results.json, summary.md and plots.")
    seed: int = 0
    options: dict[str, Any] = Field(default_factory=dict, description="Harness-specific settings (solver, attempts...); part of the fingerprint.")
    data: DataInfo | None = Field(default=None, description="The data that ran (dataset, split, source, hash, count); its dataset, split, hash and count are part of the fingerprint.")

    @field_validator("write_gate", mode="before")
    @classmethod
    def _gate_alias(cls, v: Any) -> Any:
        return _EVAL_GATE_ALIASES.get(v, v) if isinstance(v, str) else v

    def fingerprint(self) -> str:
        data = self.model_dump(mode="json", exclude={"limit", "workers", "out_dir", "data"})
        if self.data is not None:  # absent -> the same fingerprint as before the field existed
            data["data"] = self.data.fingerprint_part()
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def public(self) -> dict[str, Any]:
        """The configuration as written to results.json (no machine-specific fields)."""
        return self.model_dump(mode="json", exclude={"workers", "out_dir"})


class EvalTask(BaseModel):
    """One unit of evaluation: an id unique within the run, a category for per-category
    scores, and whatever the solve function needs in ``payload`` (kept out of the records)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    id: str
    category: str = "all"
    payload: Any = None
    metadata: dict[str, Any] = Field(default_factory=dict, description="What a memory hook or controller may see of the task; "
                                     "``split``: 'train' for training-split tasks, 'test' otherwise (the train_labels write gate learns only from 'train').")


class TaskOutcome(BaseModel):
    """What a solve function returns for one task.

    ``score`` is the benchmark's primary per-task score in [0, 1]; ``metrics`` holds extra
    numeric per-task figures (strict score, F1, memory tokens...), averaged overall and per
    category; ``detail`` is free JSON kept in the records and results.
    """

    score: float = Field(..., ge=0.0, le=1.0)
    success: bool
    metrics: dict[str, float] = Field(default_factory=dict)
    detail: dict[str, Any] = Field(default_factory=dict)


class TaskRecord(BaseModel):
    """One line of ``records.jsonl``."""

    task_id: str
    order: int
    category: str
    score: float = 0.0
    success: bool = False
    metrics: dict[str, float] = Field(default_factory=dict)
    detail: dict[str, Any] = Field(default_factory=dict)
    usage: Usage = Field(default_factory=Usage)
    error: str | None = None
    seconds: float = 0.0
    fingerprint: str = ""


class TaskContext:
    """Handed to the solve function: the run's config, the per-task seed, and ``llm`` (the
    harness's LLM wrapped so that its usage is attributed to this task; None when the run is
    LLM-free)."""

    def __init__(self, config: EvalConfig, task: EvalTask, llm: LLM | None, usage: UsageMeter) -> None:
        self.config = config
        self.task = task
        self.llm = llm
        self.usage = usage
        self.seed = int(hashlib.sha256(f"{config.seed}:{task.id}".encode()).hexdigest()[:8], 16)


SolveFn = Callable[[EvalTask, TaskContext], TaskOutcome]


class _TaskLLM:
    """Wraps an :class:`LLM` for one task: calls pass through, usage is added to the task's meter."""

    def __init__(self, inner: LLM, meter: UsageMeter) -> None:
        self._inner = inner
        self._meter = meter
        self.model = inner.model
        self.supports_tools = inner.supports_tools
        self.supports_response_format = inner.supports_response_format
        self.usage = meter

    def complete(self, messages: list[Message], *, tools: list[ToolSpec] | None = None, stop: list[str] | None = None,
                 response_format: dict[str, Any] | None = None, temperature: float | None = None, max_tokens: int | None = None) -> Completion:
        comp = self._inner.complete(messages, tools=tools, stop=stop, response_format=response_format, temperature=temperature, max_tokens=max_tokens)
        self._meter.add(comp.usage)
        return comp

    async def acomplete(self, messages: list[Message], *, tools: list[ToolSpec] | None = None, stop: list[str] | None = None,
                        response_format: dict[str, Any] | None = None, temperature: float | None = None, max_tokens: int | None = None) -> Completion:
        comp = await self._inner.acomplete(messages, tools=tools, stop=stop, response_format=response_format, temperature=temperature, max_tokens=max_tokens)
        self._meter.add(comp.usage)
        return comp


class EvalReport(BaseModel):
    """The aggregated results of a run (the content of ``results.json``)."""

    config: dict[str, Any]
    n_tasks: int
    n_errors: int
    score: float = Field(..., description="Mean per-task score.")
    success_rate: float
    metrics: dict[str, float] = Field(default_factory=dict)
    by_category: dict[str, dict[str, float]] = Field(default_factory=dict)
    usage: Usage = Field(default_factory=Usage)
    tasks: list[dict[str, Any]] = Field(default_factory=list)
    out_dir: str | None = Field(default=None, exclude=True)

    def category_scores(self) -> dict[str, float]:
        return {c: v["score"] for c, v in self.by_category.items()}


class RecordLog:
    """Append-only ``records.jsonl`` of one run folder (thread-safe)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def load(self) -> dict[str, TaskRecord]:
        """Records by task id (the last line for a task wins); a torn last line is ignored."""
        out: dict[str, TaskRecord] = {}
        if not self.path.exists():
            return out
        lines = self.path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                rec = TaskRecord.model_validate_json(line)
            except ValueError as exc:
                if i == len(lines) - 1:  # interrupted mid-write: drop it, the task reruns
                    continue
                raise StoreError(f"{self.path}: line {i + 1} is not a task record ({exc})") from exc
            out[rec.task_id] = rec
        return out

    def repair(self) -> None:
        """Drop a torn last line (a run killed mid-write) so that new records append cleanly."""
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if not data or data.endswith(b"\n"):
            return
        cut = data.rfind(b"\n") + 1
        atomic_write_bytes(self.path, data[:cut])

    def append(self, record: TaskRecord) -> None:
        line = record.model_dump_json() + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()


def _check_fingerprint(config: EvalConfig) -> None:
    cfg_path = config.out_dir / CONFIG_FILE
    existing = read_json(cfg_path)
    if existing is not None and existing.get("fingerprint") != config.fingerprint():
        old = existing.get("config") or {}
        why = " (it predates data records, so its tasks cannot be matched to the data named now)" if "data" not in old and config.data is not None else ""
        raise ConfigError(
            f"{cfg_path}: this run folder was made with a different configuration{why} "
            f"({old}); use another --out folder, or delete this one to start over"
        )
    atomic_write_json(cfg_path, {"fingerprint": config.fingerprint(), "config": config.public()})


def run_eval(
    config: EvalConfig,
    tasks: Sequence[EvalTask],
    solve: SolveFn,
    *,
    llm: LLM | None = None,
    progress: bool = True,
    on_record: Callable[[TaskRecord], None] | None = None,
    plots: bool = True,
) -> EvalReport:
    """Run ``solve`` over ``tasks`` (first ``config.limit``), resuming from ``config.out_dir``.

    Returns the :class:`EvalReport` also written to ``results.json``. ``on_record`` is called
    in the main thread, in completion order, after each new record is written.
    """
    ids = [t.id for t in tasks]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})[:5]
        raise ConfigError(f"run_eval: task ids must be unique (duplicates: {dup})")
    selected = list(tasks)[: config.limit] if config.limit else list(tasks)
    config.out_dir.mkdir(parents=True, exist_ok=True)
    _check_fingerprint(config)
    log = RecordLog(config.out_dir / RECORDS_FILE)
    log.repair()
    done = {k: r for k, r in log.load().items() if r.error is None and r.fingerprint == config.fingerprint()}
    order = {t.id: i for i, t in enumerate(selected)}
    todo = [t for t in selected if t.id not in done]
    workers = 1 if config.memory == "updating" else config.workers
    started = time.time()

    def one(task: EvalTask) -> TaskRecord:
        meter = UsageMeter()
        ctx = TaskContext(config, task, _TaskLLM(llm, meter) if llm is not None else None, meter)
        t0 = time.perf_counter()
        try:
            out = solve(task, ctx)
            rec = TaskRecord(task_id=task.id, order=order[task.id], category=task.category, score=out.score, success=out.success,
                             metrics=out.metrics, detail=out.detail)
        except AgentmemError as exc:
            rec = TaskRecord(task_id=task.id, order=order[task.id], category=task.category, error=f"{type(exc).__name__}: {exc}")
        rec.usage = meter.total
        rec.seconds = round(time.perf_counter() - t0, 3)
        rec.fingerprint = config.fingerprint()
        return rec

    with _progress(progress, f"{config.benchmark} ({len(done)} done, {len(todo)} to run)", len(todo)) as advance:
        if workers == 1:
            for task in todo:
                rec = one(task)
                log.append(rec)
                done[rec.task_id] = rec
                if on_record:
                    on_record(rec)
                advance()
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                pending: set[Future[TaskRecord]] = {pool.submit(one, t) for t in todo}
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        rec = fut.result()
                        log.append(rec)
                        done[rec.task_id] = rec
                        if on_record:
                            on_record(rec)
                        advance()
    all_records = log.load()
    records = [all_records[t.id].model_copy(update={"order": order[t.id]}) for t in selected if t.id in all_records]
    report = build_report(config, records)
    write_outputs(config, report, plots=plots)
    info = read_json(config.out_dir / "run_info.json", {}) or {}
    sessions = list(info.get("sessions", [])) + [{"started_at": started, "seconds": round(time.time() - started, 2), "ran": len(todo), "workers": workers}]
    atomic_write_json(config.out_dir / "run_info.json", {"sessions": sessions, "task_seconds": {r.task_id: r.seconds for r in records}})
    return report


class _progress:
    """A rich progress bar (or nothing); ``with _progress(...) as advance: advance()``."""

    def __init__(self, enabled: bool, label: str, total: int) -> None:
        self.enabled, self.label, self.total = enabled, label, total
        self._bar: Any = None

    def __enter__(self) -> Callable[[], None]:
        if not self.enabled or self.total == 0:
            return lambda: None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(), transient=False)
        self._bar.start()
        tid = self._bar.add_task(self.label, total=self.total)
        return lambda: self._bar.advance(tid)

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.stop()


def _mean(xs: list[float]) -> float:
    return round(sum(xs) / len(xs), 6) if xs else 0.0


def build_report(config: EvalConfig, records: list[TaskRecord]) -> EvalReport:
    """Aggregate records (already in task order) into an :class:`EvalReport`."""
    usage = Usage()
    for r in records:
        usage = usage + r.usage
    metric_names = sorted({k for r in records for k in r.metrics})
    cats: dict[str, list[TaskRecord]] = {}
    for r in records:
        cats.setdefault(r.category, []).append(r)
    by_cat = {}
    for c in sorted(cats):
        rs = cats[c]
        row = {"n": float(len(rs)), "score": _mean([r.score for r in rs]), "success_rate": _mean([float(r.success) for r in rs])}
        for m in metric_names:
            row[m] = _mean([r.metrics[m] for r in rs if m in r.metrics])
        by_cat[c] = row
    return EvalReport(
        config=config.public(),
        n_tasks=len(records),
        n_errors=sum(r.error is not None for r in records),
        score=_mean([r.score for r in records]),
        success_rate=_mean([float(r.success) for r in records]),
        metrics={m: _mean([r.metrics[m] for r in records if m in r.metrics]) for m in metric_names},
        by_category=by_cat,
        usage=usage,
        tasks=[r.model_dump(mode="json", exclude={"seconds", "fingerprint"}) for r in records],
        out_dir=str(config.out_dir),
    )


def write_outputs(config: EvalConfig, report: EvalReport, *, plots: bool = True) -> list[Path]:
    """Write results.json, summary.md and (if ``plots``) the PNG plots; return the paths."""
    out = config.out_dir
    atomic_write_json(out / RESULTS_FILE, report.model_dump(mode="json"))
    atomic_write_text(out / "summary.md", render_summary(report))
    paths = [out / RESULTS_FILE, out / "summary.md"]
    if plots and report.n_tasks:
        paths += write_plots(report, out)
    return paths


def render_summary(report: EvalReport) -> str:
    """The Markdown summary of one run."""
    c = report.config
    lines = [
        f"# {c['benchmark']} evaluation",
        "",
        f"- model: `{c.get('model') or 'none (LLM-free)'}`; memory: `{c['memory']}`; write gate: `{c['write_gate']}`; split: `{c.get('split')}`",
        f"- options: `{json.dumps(c.get('options', {}), sort_keys=True)}`",
        *([f"- data: {_describe_data(c['data'])}"] if c.get("data") else []),
        f"- tasks: {report.n_tasks} ({report.n_errors} errors); score: **{report.score:.4f}**; success rate: {report.success_rate:.4f}",
    ]
    for m, v in report.metrics.items():
        lines.append(f"- {m}: {v:.4f}")
    u = report.usage
    lines += [f"- LLM usage: {u.calls} calls, {u.prompt_tokens} prompt + {u.completion_tokens} completion tokens, ${u.cost_usd:.4f}", ""]
    metric_names = list(report.metrics)
    lines.append("| " + " | ".join(["category", "n", "score", "success", *metric_names]) + " |")
    lines.append("|" + "---|" * (4 + len(metric_names)))
    for cat, row in report.by_category.items():
        vals = [cat, str(int(row["n"])), f"{row['score']:.4f}", f"{row['success_rate']:.4f}", *[f"{row.get(m, 0.0):.4f}" for m in metric_names]]
        lines.append("| " + " | ".join(vals) + " |")
    return "\n".join(lines) + "\n"


def _describe_data(data: dict[str, Any]) -> str:
    try:
        return DataInfo.model_validate(data).describe()
    except ValueError:
        return json.dumps(data, sort_keys=True)


def write_plots(report: EvalReport, out: Path) -> list[Path]:
    """Score per category (bar chart) and, for updating memory, the learning curve
    (running mean of the per-task score over task order)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    cats = list(report.by_category)
    fig, ax = plt.subplots(figsize=(max(4.0, 1.0 + 0.8 * len(cats)), 3.2))
    ax.bar(cats, [report.by_category[c]["score"] for c in cats], color="#4C72B0")
    ax.set_ylim(0, 1)
    ax.set_ylabel("mean score")
    ax.set_title(f"{report.config['benchmark']}: score per category (memory={report.config['memory']})")
    ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    p = out / "score_by_category.png"
    fig.savefig(p, dpi=100)
    plt.close(fig)
    paths.append(p)
    if report.config["memory"] == "updating":
        scores = [t["score"] for t in report.tasks]
        running, total = [], 0.0
        for i, s in enumerate(scores, 1):
            total += s
            running.append(total / i)
        fig, ax = plt.subplots(figsize=(5, 3.2))
        ax.plot(range(1, len(scores) + 1), running, color="#DD8452")
        ax.set_xlabel("tasks seen")
        ax.set_ylabel("running mean score")
        ax.set_ylim(0, 1)
        ax.set_title("learning curve (memory updating)")
        fig.tight_layout()
        p = out / "learning_curve.png"
        fig.savefig(p, dpi=100)
        plt.close(fig)
        paths.append(p)
    return paths


def load_report(run: str | Path) -> EvalReport:
    """Read a run folder's (or a file's) ``results.json``."""
    p = Path(run)
    if p.is_dir():
        p = p / RESULTS_FILE
    data = read_json(p)
    if data is None:
        raise ConfigError(f"{p}: no results.json here (is this an eval run folder?)")
    try:
        return EvalReport.model_validate(data)
    except ValueError as exc:
        raise ConfigError(f"{p}: not an agentmem results file ({exc})") from exc


def compare_runs(a: EvalReport, b: EvalReport) -> list[dict[str, Any]]:
    """Rows ``{row, a, b, delta}`` for overall score, success rate, each metric, each
    category's score, tasks and tokens; a value missing on one side is None."""
    rows: list[dict[str, Any]] = []

    def add(name: str, va: float | None, vb: float | None) -> None:
        delta = round(vb - va, 6) if va is not None and vb is not None else None
        rows.append({"row": name, "a": va, "b": vb, "delta": delta})

    add("tasks", a.n_tasks, b.n_tasks)
    add("score", a.score, b.score)
    add("success_rate", a.success_rate, b.success_rate)
    for m in sorted(set(a.metrics) | set(b.metrics)):
        add(m, a.metrics.get(m), b.metrics.get(m))
    for c in sorted(set(a.by_category) | set(b.by_category)):
        add(f"score[{c}]", a.by_category.get(c, {}).get("score"), b.by_category.get(c, {}).get("score"))
    add("total_tokens", a.usage.total_tokens, b.usage.total_tokens)
    add("cost_usd", a.usage.cost_usd, b.usage.cost_usd)
    return rows


def describe_run(report: EvalReport) -> str:
    c = report.config
    data = c.get("data") or {}
    ds = f" data={data.get('dataset')}:{str(data.get('sha256', ''))[:8]}" if data else ""
    return f"{c['benchmark']}/{c.get('split')}{ds} model={c.get('model') or '-'} memory={c['memory']}"
