"""``agentmem eval alfworld`` and ``agentmem eval locomo``.

Both attach to the ``eval`` group of :mod:`agentmem.cli.eval_cmd` (the shared framework:
resumable JSONL records, workers, results/summary/plots, ``eval compare``); when that module
is absent this module creates the group itself.

Examples::

    agentmem eval alfworld --agent expert                      # LLM-free plumbing check, 134 unseen games
    agentmem eval alfworld --model openai/gpt-4o-mini --limit 10
    agentmem eval alfworld --split train --memory updating -m M  # build memory on the 200-game pool
    agentmem eval locomo --retrieval-only                       # LLM-free evidence recall (retrieval harness)
    agentmem eval locomo -m M --mode rag --k 10 --judge-model M2
    agentmem eval locomo -m M --mode full-context --limit 50
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ._common import emit_json, guarded, state


def _eval_group(app: typer.Typer) -> typer.Typer:
    try:
        from .eval_cmd import eval_app
    except ImportError:
        for info in app.registered_groups:
            if info.name == "eval" and info.typer_instance is not None:
                return info.typer_instance
        group = typer.Typer(help="Run benchmark evaluations and compare runs.", no_args_is_help=True)
        app.add_typer(group, name="eval")
        return group
    return eval_app


def _framework() -> Any:
    try:
        from agentmem.evals import core as eval_core
    except ImportError as exc:
        from ..errors import ConfigError

        raise ConfigError("the evaluation framework (agentmem.evals.core) is not in this build") from exc
    return eval_core


def _make_config(ctx: typer.Context, benchmark: str, **kw: Any) -> Any:
    from .eval_cmd import make_config

    return make_config(ctx, benchmark, **kw)


def _finish(ctx: typer.Context, report: Any, json_output: bool, extra_md: str, extra_name: str) -> None:
    from ..fileio import atomic_write_text

    if report.out_dir:
        atomic_write_text(Path(report.out_dir) / extra_name, extra_md)
    from .eval_cmd import finish_run

    finish_run(ctx, report, json_output)
    if not (json_output or state(ctx).json):
        typer.echo(extra_md)


def _llm(ctx: typer.Context, model: str | None, role: str = "main") -> Any:
    from ..llm.factory import make_llm

    settings = state(ctx).settings()
    return make_llm(settings, role=role, model=model or state(ctx).model)  # type: ignore[arg-type]


def memory_hook(ctx: typer.Context, memory: str, llm: Any = None) -> Any:
    """The ALFWorld MemoryHook for ``--memory frozen|updating`` (None for ``none``): skills and
    behaviors from the home (the ``alfworld`` profile of the one memory hook,
    :func:`~agentmem.evals.alfworld.memory.alfworld_memory`); with
    ``updating`` the handbook learns from each game's trajectory and success flag."""
    if memory == "none":
        return None
    from ..errors import ConfigError

    if memory not in ("frozen", "updating"):
        raise ConfigError(f"--memory {memory!r}: expected none, frozen or updating")
    try:
        from agentmem.evals.alfworld.memory import alfworld_memory

        return alfworld_memory(state(ctx).settings(), llm=llm, learn=memory == "updating", mode=memory)
    except ImportError as exc:
        raise ConfigError(f"--memory {memory} needs the skill library and behavior handbook, which are not in this build ({exc}); use --memory none") from exc


def register(app: typer.Typer) -> None:
    group = _eval_group(app)

    @group.command("alfworld")
    @guarded
    def alfworld(
        ctx: typer.Context,
        agent: str = typer.Option("react", "--agent", help="react (LLM, ReAct-style) | expert (alfworld's handcoded expert: LLM-free plumbing check) | playbook (LLM-free: the shipped skills' scripts, search order from learned memory)."),
        split: str = typer.Option("valid_unseen", "--split", help="train | valid_seen | valid_unseen (ALFWorld's official names; unseen = valid_unseen) | valid_train. Bundled: valid_unseen (134 games) and train/valid_train (a 200-game pool); other splits need --data."),
        model: str | None = typer.Option(None, "--model", "-m", help="litellm model string (overrides the global --model and settings)."),
        memory: str = typer.Option("none", "--memory", help="none | frozen (read only) | updating (read and write after each game)."),
        places: bool = typer.Option(False, "--places", help="react: read the memory the playbook agent learns (object-location concepts and ALFWorld behaviors, through the controller) instead of skills + behaviors."),
        max_steps: int = typer.Option(50, "--max-steps", min=1, help="Actions per game before it counts as failed."),
        examples: int = typer.Option(0, "--examples", min=0, help="ReAct: in-context examples per task type, from the expert's episodes on the training pool."),
        limit: int | None = typer.Option(None, "--limit", "-n", min=1, help="Run only the first N games (sorted by id)."),
        workers: int = typer.Option(1, "--workers", "-w", min=1, help="Games played concurrently (forced to 1 when memory updates)."),
        out: Path | None = typer.Option(None, "--out", "-o", help="Run folder (rerunning resumes it)."),
        data: Path | None = typer.Option(None, "--data", help="Games: a folder in ALFWorld's layout (json_2.1.1/<split>/..., logic/), a tarball of one, or a data root holding alfworld/*.tar.gz. Default: $ALFWORLD_DATA, else the bundled archive under $AGENTMEM_DATA or ../shared/data."),
        seed: int = typer.Option(0, "--seed"),
        json_output: bool = typer.Option(False, "--json", help="Print the results as JSON."),
    ) -> None:
        """Play ALFWorld games (success per task type); the run records which games (split, source, hash)."""
        from agentmem.evals.alfworld.harness import AlfworldHarness, summary_from_report

        fw = _framework()
        llm = _llm(ctx, model) if agent == "react" else None
        hook = memory_hook(ctx, memory, llm) if agent == "react" else None
        if (agent == "playbook" or places) and memory != "none":
            from agentmem.evals.alfworld.playbook_memory import PlaybookMemory

            if memory not in ("frozen", "updating"):
                from ..errors import ConfigError

                raise ConfigError(f"--memory {memory!r}: expected none, frozen or updating")
            from agentmem.evals.alfworld.data import canonical_split

            # the write gate (train_labels) lets only training-distribution games write
            role = "train" if canonical_split(split) in ("train", "valid_train") else canonical_split(split)
            hook = PlaybookMemory.open(state(ctx).settings(), mode=memory, split=role)
            if memory == "updating":
                workers = 1  # each game learns from the ones before it
        if agent == "expert" and memory != "none":
            from ..errors import ConfigError

            raise ConfigError("--agent expert plays without memory; drop --memory")
        settings = state(ctx).settings()
        cache = str(settings.paths.cache / "alfworld")
        harness = AlfworldHarness.from_split(split, data=str(data) if data else None, cache_dir=cache, agent=agent, memory=hook, update_memory=memory == "updating", max_steps=max_steps, llm=llm)  # type: ignore[arg-type]
        options: dict[str, Any] = {"agent": agent, "max_steps": max_steps, "examples": examples}
        if agent == "react" and examples:
            from agentmem.evals.alfworld.harness import expert_examples

            # the train split of the default source (or of the data root --data names), never the games scored unless --split train
            pool_data = str(data) if data is not None and (data / "alfworld").is_dir() else None
            pool = AlfworldHarness.from_split("train", data=pool_data, cache_dir=cache)
            options["examples_from"] = pool.data_info.fingerprint_part()
            harness.examples = expert_examples(pool.games, examples, max_steps=max_steps,
                                               cache_file=str(settings.paths.cache / "alfworld" / f"expert_examples_{examples}_{pool.data_info.sha256[:12]}.json"))
        cfg = _make_config(ctx, "alfworld", model=getattr(llm, "model", None), memory=memory, limit=limit, workers=workers, out=out, seed=seed, split=harness.data_info.split,
                           default_gate="train_labels" if memory == "updating" else "none", options=options, tag=agent if agent in ("expert", "playbook") else None, data=harness.data_info)
        report = fw.run_eval(cfg, harness.tasks(), harness.solve, llm=llm, progress=not (json_output or state(ctx).json))
        _finish(ctx, report, json_output, summary_from_report(report), "alfworld_summary.md")

    @group.command("locomo")
    @guarded
    def locomo(
        ctx: typer.Context,
        mode: str = typer.Option("rag", "--mode", help="rag (recall from memory) | full-context (whole conversation in context: the baseline)."),
        ingest: str = typer.Option("turns", "--ingest", help="turns (raw turns, hybrid search) | memskill (facts written by the MemSkill executor)."),
        model: str | None = typer.Option(None, "--model", "-m", help="litellm model string of the answering model."),
        judge_model: str | None = typer.Option(None, "--judge-model", help="Model of the LLM judge (default settings llm.judge_model, then the answering model)."),
        no_judge: bool = typer.Option(False, "--no-judge", help="Score with F1 and BLEU-1 only."),
        k: int = typer.Option(10, "--k", min=1, help="Turns recalled per question (rag)."),
        budget: int = typer.Option(2000, "--budget", min=1, help="Memory tokens allowed in context per question (rag)."),
        categories: str = typer.Option("1,2,3,4,5", "--categories", help="Comma-separated categories to run (1 multi-hop, 2 temporal, 3 open-domain, 4 single-hop, 5 adversarial)."),
        per_conversation: int | None = typer.Option(None, "--per-conversation", min=1, help="At most N questions per conversation."),
        limit: int | None = typer.Option(None, "--limit", "-n", min=1, help="Run only the first N questions."),
        workers: int = typer.Option(1, "--workers", "-w", min=1),
        out: Path | None = typer.Option(None, "--out", "-o", help="Run folder (rerunning resumes it)."),
        data: Path | None = typer.Option(None, "--data", help="Path of locomo10.json (default $AGENTMEM_DATA/locomo/locomo10.json or ../shared/data)."),
        retrieval_only: bool = typer.Option(False, "--retrieval-only", help="LLM-free: evidence recall of the retrievers (the retrieval harness)."),
        retriever: str = typer.Option("hybrid", "--retriever", help="With --retrieval-only: bm25 | dense | hybrid | proxy."),
        conversations: int | None = typer.Option(None, "--conversations", min=1, help="With --retrieval-only: only the first N conversations."),
        seed: int = typer.Option(0, "--seed"),
        json_output: bool = typer.Option(False, "--json", help="Print the results as JSON."),
    ) -> None:
        """Answer LoCoMo questions from memory (F1, BLEU-1, LLM judge, per category)."""
        from agentmem.evals.locomo.data import load_locomo, locomo_data_info
        from ..errors import ConfigError

        settings = state(ctx).settings()
        if retrieval_only:
            _retrieval_only(ctx, data, retriever, settings, json_output, seed, conversations)
            return
        try:
            cats = [int(c) for c in categories.split(",") if c.strip()]
        except ValueError:
            raise ConfigError(f"--categories {categories!r}: expected comma-separated numbers 1-5") from None
        fw = _framework()
        llm = _llm(ctx, model)
        judge = None if no_judge else _llm(ctx, judge_model, role="judge")
        embedder = factory = None
        if mode == "rag":
            from ..retrieval.factory import make_embedder

            embedder = make_embedder(settings)
        options = {"mode": mode, "ingest": ingest, "k": k, "budget": budget, "categories": cats, "per_conversation": per_conversation, "judge_model": getattr(judge, "model", None), "embedder": getattr(embedder, "name", None)}
        conversations_data = load_locomo(data)
        cfg = _make_config(ctx, "locomo", model=llm.model, memory="frozen" if mode == "rag" else "none", limit=limit, workers=workers, out=out, seed=seed, split=mode, options=options,
                           data=locomo_data_info(data, len(conversations_data)))
        if mode == "rag" and ingest == "memskill":
            from agentmem.evals.locomo.memskill import memskill_memory_factory

            factory = memskill_memory_factory(settings, llm, embedder, Path(cfg.out_dir) / "memskill", k=k, budget_tokens=budget)
        from agentmem.evals.locomo.harness import LocomoHarness, summary_from_report

        harness = LocomoHarness(conversations_data, llm=llm, mode=mode, ingest=ingest, embedder=embedder, memory_factory=factory, judge_llm=judge, k=k, budget_tokens=budget, categories=cats, per_conversation=per_conversation)  # type: ignore[arg-type]
        report = fw.run_eval(cfg, harness.tasks(), harness.solve, llm=llm, progress=not (json_output or state(ctx).json))
        _finish(ctx, report, json_output, summary_from_report(report), "locomo_summary.md")


def _retrieval_only(ctx: typer.Context, data: Path | None, retriever: str, settings: Any, json_output: bool, seed: int, conversations: int | None = None) -> None:
    import inspect

    from ..errors import ConfigError

    try:
        from agentmem.evals.locomo.retrieval import evaluate_retrieval
    except ImportError as exc:
        raise ConfigError("--retrieval-only needs agentmem.evals.locomo.retrieval (the retrieval harness), which is not in this build") from exc
    kwargs: dict[str, Any] = {"data_path": data, "retriever": retriever, "settings": settings, "seed": seed, "cache_dir": settings.paths.cache, "limit_conversations": conversations}
    accepted = set(inspect.signature(evaluate_retrieval).parameters)
    report = evaluate_retrieval(**{k: v for k, v in kwargs.items() if k in accepted})
    if json_output or state(ctx).json:
        emit_json(report)
        return
    rows = [("overall (1-4)", report.get("main", {}))] + [(f"{c} {v.get('name', '')}".strip(), v) for c, v in (report.get("per_category") or {}).items()]
    keys = [k for k in (report.get("main") or {}) if k.startswith("R@") or k.startswith("session")]
    typer.echo(f"LoCoMo evidence retrieval ({retriever}), LLM-free")
    typer.echo("| group | queries | " + " | ".join(keys) + " |")
    typer.echo("|---|---|" + "---|" * len(keys))
    for name, row in rows:
        typer.echo(f"| {name} | {row.get('queries', '-')} | " + " | ".join(str(row.get(k, "-")) for k in keys) + " |")
