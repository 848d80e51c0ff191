"""``agentmem demo``: the main job on embedded defaults, no API key needed.

1. The LLM-free ARC learning run: wake/sleep rounds on ARC-AGI-1 training tasks grow a library
   of composition skills (through the reflective controller) and train the search prior, then
   the same evaluation tasks are solved with the shipped transforms alone and with the learned
   library + prior, with the paired list of tasks gained and lost
   (:mod:`agentmem.evals.arc.learning_run`).
2. The LoCoMo retrieval evaluation (evidence recall, LLM-free) when
   ``agentmem.evals.locomo.retrieval`` is installed and the data is found; otherwise a note.
3. The ALFWorld playbook agent (:mod:`agentmem.evals.alfworld.demo`) when the alfworld extra
   is installed: 8 training games (25 with ``--full``) learned through the controller, then 6
   unseen games (20) with empty vs learned memory; otherwise a line saying how to install it.
4. With ``--model``: the LLM-driven ARC loop (ArcMemo protocol, skill hints and concept
   memory in the loop) on a few tasks of the 100-task subset.

Sizing: ``--quick`` (default) uses the first 120 training tasks (2 wake/sleep rounds, a
3000-candidate search budget) and the first 60 tasks of the 100-task evaluation subset, and 2
LoCoMo conversations; ``--full`` uses all 400 training tasks (3 rounds, 20000 candidates) and all
400 evaluation tasks and all 10 conversations.
Every stage is resumable: rerunning the command skips finished work.
"""

from __future__ import annotations

import inspect
import json
import time
from pathlib import Path
from typing import Any

import typer

from ..fileio import atomic_write_json, atomic_write_text
from ._common import console, emit_json, guarded, state

QUICK = {"train_limit": 120, "eval_split": "eval100", "eval_limit": 60, "locomo_conversations": 2, "llm_tasks": 5, "rounds": 2,
         "max_candidates": 3000, "max_seconds": 60.0, "alfworld_train": 8, "alfworld_eval": 6}
FULL = {"train_limit": None, "eval_split": "evaluation", "eval_limit": None, "locomo_conversations": None, "llm_tasks": 20, "rounds": 3,
        "max_candidates": 20_000, "max_seconds": 20.0, "alfworld_train": 25, "alfworld_eval": 20}


def _locomo_retrieval(settings: Any, out: Path, conversations: int | None, data: Path | None) -> dict[str, Any]:
    try:
        from agentmem.evals.locomo.retrieval import evaluate_retrieval  # type: ignore[import-not-found]
    except ImportError:
        return {"skipped": "agentmem.evals.locomo.retrieval is not installed in this build (the retrieval slice); LoCoMo part skipped"}
    from agentmem.evals.locomo.data import default_locomo_path

    try:
        path = data or default_locomo_path()
    except Exception as exc:  # ConfigError: data not found
        return {"skipped": f"LoCoMo data not found ({exc})"}
    # hybrid vs the trained proxy on held-out conversations: two folds, each proxy trained on the other
    # fold's conversations (checkpoints kept under the demo folder, so a rerun reuses them)
    wanted = {"data_path": path, "retriever": "proxy", "folds": 2, "settings": settings, "baselines": True, "limit_conversations": conversations,
              "cache_dir": out / "locomo-cache", "checkpoint_dir": out / "locomo-proxy-folds",
              "modes": ("bm25", "dense", "hybrid")}  # the proxy's own first stage and its parts (lexical engines: benchmarks/lexical_engine_bench.py)
    accepted = set(inspect.signature(evaluate_retrieval).parameters)
    report = evaluate_retrieval(**{k: v for k, v in wanted.items() if k in accepted})
    atomic_write_json(out / "locomo_retrieval.json", report)
    table = {name: {k: r["main"].get(k) for k in ("R@1", "R@5", "R@10", "R@20", "queries")} for name, r in report.get("retrievers", {}).items()}
    return {"report": str(out / "locomo_retrieval.json"), "main": table, "protocol": "proxy rows: trained on the other fold's conversations (gold evidence reward), scored on held-out ones"}


def register(app: typer.Typer) -> None:
    @app.command("demo")
    @guarded
    def demo(
        ctx: typer.Context,
        full: bool = typer.Option(False, "--full/--quick", help="--quick (default): a slice sized for minutes; --full: every task."),
        out: Path | None = typer.Option(None, "--out", "-o", help="Report folder (default <home>/evals/demo-quick or demo-full)."),
        model: str | None = typer.Option(None, "--model", "-m", help="Also run the LLM-driven ARC loop with this litellm model."),
        workers: int = typer.Option(2, "--workers", "-w", min=1, help="Worker processes for the ARC search."),
        data: Path | None = typer.Option(None, "--data", help="LoCoMo file (default: $AGENTMEM_DATA or ../shared/data)."),
        skip_locomo: bool = typer.Option(False, "--skip-locomo", help="Run only the ARC part."),
        json_output: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    ) -> None:
        """Run the main job on embedded defaults (no API key): ARC learning run + LoCoMo retrieval; prints where the reports are."""
        from agentmem.evals.arc.learning_run import arc_learning_run, search_cost

        st = state(ctx)
        settings = st.settings()
        sizing = FULL if full else QUICK
        out = Path(out or settings.paths.evals / ("demo-full" if full else "demo-quick"))
        out.mkdir(parents=True, exist_ok=True)
        quiet = json_output or st.json
        con = console()
        t0 = time.time()
        if not quiet:
            con.print(f"[bold]agentmem demo[/] ({'full' if full else 'quick'}): ARC-AGI-1 LLM-free learning run -> {out}")
        arc = arc_learning_run(out / "arc", train_limit=sizing["train_limit"], eval_split=sizing["eval_split"], eval_limit=sizing["eval_limit"],
                               workers=workers, progress=not quiet, rounds=sizing["rounds"], max_candidates=sizing["max_candidates"],
                               max_seconds=sizing["max_seconds"])
        rep = arc["reports"]
        ship = {t["task_id"]: t["score"] for t in rep["shipped"].tasks}
        lrn = {t["task_id"]: t["score"] for t in rep["learned"].tasks}
        summary: dict[str, Any] = {
            "sizing": {k: v for k, v in sizing.items()},
            "arc": {
                "training": {"tasks": arc["training"]["n"], "solved": arc["training"]["solved"], "skills_written": arc["skills_written"],
                             "curve": [r["solved"] for r in arc["rounds"]], "active_skills": len(arc["library_skills"]), "retired": len(arc["skills_retired"])},
                "gained": sorted(i for i in lrn if lrn[i] == 1.0 and ship.get(i, 0.0) < 1.0),
                "lost": sorted(i for i in lrn if ship.get(i, 0.0) == 1.0 and lrn[i] < 1.0),
                "home": arc["home"],
                "evaluation_shipped": {"tasks": rep["shipped"].n_tasks, "solved": sum(t["score"] == 1.0 for t in rep["shipped"].tasks), "score": rep["shipped"].score},
                "evaluation_learned": {"tasks": rep["learned"].n_tasks, "solved": sum(t["score"] == 1.0 for t in rep["learned"].tasks), "score": rep["learned"].score,
                                       "used_learned_skill": sum(bool(t["detail"].get("used_learned")) for t in rep["learned"].tasks)},
                "search_cost": search_cost(rep["shipped"], rep["learned"]),
                "run_dirs": arc["run_dirs"],
                "library": arc["library_dir"],
            },
        }
        if skip_locomo:
            summary["locomo"] = {"skipped": "--skip-locomo"}
        else:
            if not quiet:
                con.print("LoCoMo retrieval evaluation (evidence recall, LLM-free) ...")
            summary["locomo"] = _locomo_retrieval(settings, out, sizing["locomo_conversations"], data)
        if not quiet:
            con.print("ALFWorld playbook agent: a few training games (learning through the controller), then unseen games with empty vs learned memory ...")
        from agentmem.evals.alfworld.demo import playbook_demo

        if sizing.get("alfworld_train"):
            summary["alfworld"] = playbook_demo(out / "alfworld", train_limit=sizing["alfworld_train"], eval_limit=sizing.get("alfworld_eval", 6))
        else:
            summary["alfworld"] = {"skipped": "this sizing plays no ALFWorld games"}
        model = model or st.model
        if model:
            from agentmem.evals.arc.harness import eval_tasks, run_llm_eval
            from agentmem.evals.arc.memory import default_arc_memory
            from agentmem.evals.core import EvalConfig
            from .eval_cmd import make_llm_for

            cfg = EvalConfig(benchmark="arc", model=model, memory="updating", split="eval100", limit=sizing["llm_tasks"], out_dir=out / "arc-llm",
                             write_gate="self_verification", options={"solver": "llm", "attempts": 2})
            llm = make_llm_for(ctx, model)
            hook = default_arc_memory(settings, cfg, library=Path(arc["library_dir"]), llm=llm)
            r = run_llm_eval(cfg, llm, tasks=eval_tasks("eval100"), memory=hook, progress=not quiet)
            summary["arc_llm"] = {"tasks": r.n_tasks, "score": r.score, "strict": r.metrics.get("strict"), "usage": r.usage.model_dump(), "run_dir": str(out / "arc-llm")}
        summary["seconds"] = round(time.time() - t0, 1)
        atomic_write_json(out / "demo.json", summary)
        atomic_write_text(out / "demo.md", _render(summary))
        if quiet:
            emit_json({**summary, "report": str(out / "demo.md")})
            return
        con.print(_render(summary))
        con.print(f"[bold]Report:[/] {out / 'demo.md'} (JSON: {out / 'demo.json'}; per-run results.json, summary.md and plots under {out / 'arc'})")


def _cost_line(c: dict[str, Any] | None) -> str:
    """The learned prior's effect on search cost (tasks solved both ways), or nothing when no task was."""
    if not c or not c.get("tasks_solved_both"):
        return ""
    return (f"- search cost, {c['tasks_solved_both']} tasks solved both ways: median candidate checks to the first verified program "
            f"{c['median_first_shipped']:g} (shipped order) -> {c['median_first_learned']:g} (learned prior); fewer on {c['fewer_checks']}, "
            f"more on {c['more_checks']}")


def _render(s: dict[str, Any]) -> str:
    a = s["arc"]
    lines = [
        "# agentmem demo",
        "",
        f"Sizing: `{json.dumps(s['sizing'])}`; {s['seconds']} s.",
        "",
        "## ARC-AGI-1, LLM-free skill-composition solver",
        "",
        f"- training, wake/sleep rounds: solved per round {a['training']['curve']} of {a['training']['tasks']}; "
        f"{a['training']['skills_written']} learned skills proposed through the controller (compositions and cell-lookup members), {a['training']['active_skills']} active, "
        f"{a['training']['retired']} retired (home `{a['home']}`: `agentmem --home {a['home']} memory why <skill>`)",
        f"- evaluation, shipped transforms alone: {a['evaluation_shipped']['solved']} / {a['evaluation_shipped']['tasks']} solved (official score {a['evaluation_shipped']['score']:.3f})",
        f"- evaluation, + library learned on training: {a['evaluation_learned']['solved']} / {a['evaluation_learned']['tasks']} solved "
        f"(official score {a['evaluation_learned']['score']:.3f}; {a['evaluation_learned']['used_learned_skill']} through a learned skill)",
        f"- learning gain, paired on the same tasks and budget: {len(a['gained']) - len(a['lost']):+d} "
        f"(gained: {', '.join(a['gained']) or 'none'}; lost: {', '.join(a['lost']) or 'none'})"
        + ("" if len(a["gained"]) > len(a["lost"]) else ": **no learning gain on this run**"),
        _cost_line(a.get("search_cost")),
        "",
        "## LoCoMo retrieval (evidence recall)",
        "",
    ]
    loc = s["locomo"]
    if "skipped" in loc:
        lines.append(f"Skipped: {loc['skipped']}.")
    else:
        lines.append(f"Report: `{loc['report']}`")
        lines.append("")
        lines += ["", f"Categories 1-4; {loc.get('protocol', '')}.", "", "| ranker | R@1 | R@5 | R@10 | R@20 | queries |", "|---|---|---|---|---|---|"]
        for name, t in (loc.get("main") or {}).items():
            lines.append(f"| {name} | " + " | ".join(str(t.get(k)) for k in ("R@1", "R@5", "R@10", "R@20", "queries")) + " |")
    alf = s.get("alfworld") or {"skipped": "not run"}
    lines += ["", "## ALFWorld, LLM-free playbook agent (memory learned from its own games)", ""]
    if "skipped" in alf:
        lines.append(f"Skipped: {alf['skipped']}.")
    else:
        fmt = lambda x: f"{x['won']} / {x['games']} won, {x['mean_steps_won']} steps per won game"  # noqa: E731
        lines += [f"- training games (learning): {fmt(alf['train'])}", f"- unseen games, empty memory: {fmt(alf['empty'])}",
                  f"- unseen games, learned memory: {fmt(alf['learned'])}",
                  f"- inspect what it learned: `AGENTMEM_HOME={alf['home']} agentmem memory list` (then `memory show` / `memory why` on an `alfworld-where-*` concept)"]
    if "arc_llm" in s:
        x = s["arc_llm"]
        lines += ["", "## ARC with an LLM (ArcMemo protocol)", "", f"- {x['tasks']} tasks: official {x['score']:.3f}, strict {x['strict']}; run folder `{x['run_dir']}`"]
    return "\n".join(lines) + "\n"
