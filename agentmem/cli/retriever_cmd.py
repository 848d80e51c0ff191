"""``agentmem retriever train|eval|show``: the MemSifter trained proxy and the LoCoMo retrieval benchmark."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ._common import console, emit_json, guarded, state
from .eval_cmd import eval_app

retriever_app = typer.Typer(help="Train and evaluate the MemSifter proxy retriever (stage 2 of recall).", no_args_is_help=True)


def _progress_bar(enabled: bool):
    """A rich progress bar driven by ``progress(stage, n, total)`` callbacks (a no-op context when disabled)."""
    import contextlib

    if not enabled:
        return contextlib.nullcontext(None)
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console(), transient=False)


def _callback(bar: Any) -> Any:
    tasks: dict[str, Any] = {}

    def progress(stage: str, n: int, total: int) -> None:
        if bar is None:
            return
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=n + 1)

    return progress


def _config(candidates: int | None, rl_epochs: int | None, warm_epochs: int | None, adapter_epochs: int | None, seed: int) -> Any:
    from ..retrieval.proxy.model import ProxyConfig

    over: dict[str, Any] = {k: v for k, v in {"candidates": candidates, "rl_epochs": rl_epochs, "warm_epochs": warm_epochs, "adapter_epochs": adapter_epochs}.items() if v is not None}
    return ProxyConfig(seed=seed, **over)


def _stamp(source: str) -> str:
    import time

    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{source}"


@retriever_app.command("train")
@guarded
def train(
    ctx: typer.Context,
    corpus: Path | None = typer.Option(None, "--corpus", help="Train on a corpus JSONL file (documents, queries, gold ids and/or answers; see docs/evaluations.md)."),
    locomo: bool = typer.Option(False, "--locomo", help="Train on LoCoMo (the file from --data, else $AGENTMEM_DATA/locomo/locomo10.json)."),
    data: Path | None = typer.Option(None, "--data", help="locomo10.json (implies --locomo)."),
    conversations: list[str] | None = typer.Option(None, "--conversation", "-c", help="LoCoMo: train on these sample ids only (repeatable); default all ten."),
    reward: str = typer.Option("gold", "--reward", help="--corpus/--locomo: gold (labelled ids) | outcome (LLM-free reader: span F1 of the reference answer; no labels read)."),
    out: Path | None = typer.Option(None, "--out", help="Checkpoint folder (default <home>/checkpoints/proxy/<UTC time>-<source>; recall uses the newest usable one)."),
    candidates: int | None = typer.Option(None, help="Shortlist size the proxy reranks."),
    rl_epochs: int | None = typer.Option(None, help="Policy-gradient epochs (MemSifter reward) after the listwise warm start; default 0: on LoCoMo's development folds the listwise head on the outcome's best items matched or beat 30 REINFORCE epochs for both the evidence and the reader signal (docs/proxy-retriever.md)."),
    warm_epochs: int | None = typer.Option(None, help="Listwise warm-start epochs."),
    adapter_epochs: int | None = typer.Option(None, help="Query-adapter epochs (0 = base embedder)."),
    seed: int = typer.Option(0, help="Random seed."),
    finetune_encoder: bool = typer.Option(True, "--finetune-encoder/--no-finetune-encoder", help="Outcome log: also fine-tune the MiniLM query encoder on the logged tasks (saved in the checkpoint; needs a MiniLM embedder and 8+ tasks where an item helped)."),
) -> None:
    """Train the proxy and save a checkpoint that recall then uses.

    Sources: the home's outcome log (default: rows the controller loop writes, task -> recalled
    items -> outcome score), a corpus file (--corpus) or LoCoMo (--locomo / --data).
    """
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from ..errors import ConfigError

    st = state(ctx)
    settings = st.settings().ensure_home()
    if corpus is not None and (locomo or data is not None):
        raise ConfigError("--corpus and --locomo/--data name two training sources; pick one")
    source = "corpus" if corpus is not None else "locomo" if (locomo or data is not None or conversations) else "outcome-log"
    if reward not in ("gold", "outcome"):
        raise ConfigError(f"--reward {reward!r}: expected gold or outcome")
    target = out or settings.paths.checkpoints / "proxy" / _stamp(source if source == "outcome-log" else f"{source}-{reward}")
    config = _config(candidates, 0 if rl_epochs is None else rl_epochs, warm_epochs, adapter_epochs, seed)
    logs: list[str] = []
    with _progress_bar(not st.json) as bar:
        def log(msg: str) -> None:
            logs.append(msg)
            if bar is not None:
                bar.console.print(msg)

        if source == "corpus":
            from agentmem.evals.corpus.run import train_corpus

            assert corpus is not None  # source 'corpus' means --corpus was given
            record = train_corpus(corpus, target, reward=reward, config=config, settings=settings, log=log)
        elif source == "locomo":
            from agentmem.evals.locomo.proxy_data import train_locomo_checkpoint

            record = train_locomo_checkpoint(target, data, conversations, config=config, cache_dir=settings.paths.cache, progress=_callback(bar), log=log, settings=settings, reward=reward)
        else:
            from ..learning.proxy_outcomes import train_proxy_from_home

            record = train_proxy_from_home(settings, target, config, log=log, finetune_encoder=finetune_encoder)
    if st.json:
        emit_json(record)
    else:
        typer.echo(f"checkpoint written to {target} ({record.get('seconds')} s, trained on {record.get('reward_source')})")


@retriever_app.command("eval")
@guarded
def evaluate(
    ctx: typer.Context,
    data: Path | None = typer.Option(None, "--data", help="locomo10.json (default: $AGENTMEM_DATA/locomo/locomo10.json or ../shared/data)."),
    retriever: str = typer.Option("proxy", "--retriever", "-r", help="bm25 | dense | hybrid | proxy"),
    folds: int = typer.Option(2, help="Conversation folds for the proxy (train on the others, test on each)."),
    baselines: bool = typer.Option(True, "--baselines/--no-baselines", help="Recompute bm25, dense and hybrid in the same run."),
    checkpoints: Path | None = typer.Option(None, "--checkpoints", help="Fold checkpoints folder (default <home>/checkpoints/proxy-locomo-folds); reused when trained on the same conversations."),
    candidates: int | None = typer.Option(None, help="Shortlist size the proxy reranks."),
    rl_epochs: int | None = typer.Option(None),
    warm_epochs: int | None = typer.Option(None),
    adapter_epochs: int | None = typer.Option(None),
    seed: int = typer.Option(0),
    out: Path | None = typer.Option(None, "--out", help="Also write the JSON report here."),
) -> None:
    """Run the LLM-free LoCoMo retrieval benchmark (evidence recall@k, session hit@3) for one retriever."""
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from agentmem.evals.locomo.retrieval import evaluate_retrieval

    from ..fileio import atomic_write_json

    st = state(ctx)
    settings = st.settings().ensure_home()
    ckpt = checkpoints or settings.paths.checkpoints / "proxy-locomo-folds"
    with _progress_bar(not st.json) as bar:
        report = evaluate_retrieval(
            data, retriever=retriever, folds=folds, settings=settings, proxy_config=_config(candidates, rl_epochs, warm_epochs, adapter_epochs, seed) if retriever == "proxy" else None,
            checkpoint_dir=ckpt if retriever == "proxy" else None, baselines=baselines, progress=_callback(bar), seed=seed, cache_dir=settings.paths.cache,
            log=(lambda m: bar.console.print(m)) if bar is not None else None,
        )
    if out:
        atomic_write_json(out, report)
    if st.json:
        emit_json(report)
        return
    print_tables(report)


def print_tables(report: dict[str, Any]) -> None:
    from rich.table import Table

    cols = ["R@1", "R@5", "R@10", "R@20", "session_hit@3"]
    table = Table(title=f"LoCoMo retrieval, categories 1-4 ({report['main']['queries']} queries)")
    table.add_column("retriever")
    for c in cols:
        table.add_column(c, justify="right")
    for name, res in report["retrievers"].items():
        table.add_row(name, *[f"{res['main'][c]:.1f}" for c in cols])
    console().print(table)
    for f in report.get("folds", []):
        typer.echo(f"fold {f['fold']}: train {', '.join(f['train'])} / test {', '.join(f['test'])}: " + "; ".join(f"{m} R@5 {f[m]['R@5']:.1f} R@10 {f[m]['R@10']:.1f}" for m in ("hybrid", "proxy") if m in f))


@retriever_app.command("show")
@guarded
def show(ctx: typer.Context, folder: Path | None = typer.Option(None, "--checkpoint", help="Checkpoint folder (default: the newest under <home>/checkpoints/proxy, the one recall uses).")) -> None:
    """Show the proxy checkpoint recall would use (or why recall keeps the hybrid order)."""
    from ..retrieval.proxy.base import ProxyCheckpointError
    from ..retrieval.proxy.model import load_checkpoint
    from ..retrieval.proxy.trained import checkpoint_folders

    st = state(ctx)
    root = st.settings().paths.checkpoints / "proxy"
    found = checkpoint_folders(root)
    target = folder or (found[0] if found else root)
    try:
        _, config, training = load_checkpoint(target)
        info = {"checkpoint": str(target), "usable": True, "trained_on": training.get("reward_source"), "config": config.model_dump(),
                "conversations": training.get("conversations"), "corpus": training.get("corpus"), "seconds": training.get("seconds"), "others": [str(p) for p in found if p != target]}
    except ProxyCheckpointError as exc:
        info = {"checkpoint": str(target), "usable": False, "fallback": "hybrid order", "reason": str(exc)}
    if st.json:
        emit_json(info)
    else:
        for k, v in info.items():
            typer.echo(f"{k:14} {v}")


@eval_app.command("retrieval")
@guarded
def eval_retrieval(
    ctx: typer.Context,
    corpus: Path = typer.Option(..., "--corpus", help="Corpus JSONL file: documents, queries and gold document ids (format: docs/evaluations.md)."),
    rankers: list[str] | None = typer.Option(None, "--ranker", "-r", help="bm25 | dense | hybrid | proxy (repeatable; default bm25, dense, hybrid, plus proxy when --checkpoint is given)."),
    checkpoint: Path | None = typer.Option(None, "--checkpoint", help="Proxy checkpoint folder; an unusable one is an error naming it."),
    out: Path | None = typer.Option(None, "--out", help="Also write the JSON report here."),
) -> None:
    """Score retrievers on a corpus file with the LoCoMo benchmark's first stage and metrics (recall@1/5/10/20, per category)."""
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from agentmem.evals.corpus.run import evaluate_corpus

    from ..fileio import atomic_write_json

    st = state(ctx)
    chosen = list(rankers) if rankers else ["bm25", "dense", "hybrid", *(["proxy"] if checkpoint else [])]
    report = evaluate_corpus(corpus, chosen, checkpoint=checkpoint, settings=st.settings())
    if out:
        atomic_write_json(out, report)
    if st.json:
        emit_json(report)
        return
    from rich.table import Table

    table = Table(title=f"{corpus.name} ({report['queries_with_gold']} queries with gold ids, sha256 {report['corpus_sha256'][:12]})")
    for c in ("ranked by", "R@1", "R@5", "R@10", "R@20"):
        table.add_column(c, justify="right" if c != "ranked by" else "left")
    for name, res in report["rankers"].items():
        table.add_row(f"{name} ({res['ranker']})", *[f"{res['main'][c]:.1f}" if res["main"][c] is not None else "-" for c in ("R@1", "R@5", "R@10", "R@20")])
    console().print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(retriever_app, name="retriever")
