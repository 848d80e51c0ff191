"""``agentmem run "TASK"`` and ``agentmem runs list|show``.

``run`` executes a free-form task (:class:`~agentmem.evals.chat.ChatEnvironment`) with the
configured model, streams its steps to the console and prints the run id; the run goes to the
run log in the home. Exit status: 0 when the agent answered (or the environment ended the
episode), 1 when a budget ran out or the provider failed, 2 on a usage/configuration error.

Any litellm model string works (``--model openai/gpt-4o-mini``); ``--model scripted:FILE.json``
replays replies from a JSON file (:func:`agentmem.llm.factory.load_scripted`), for tests and
demos without a provider.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any

import typer

from ._common import console, emit_json, guarded, state

runs_app = typer.Typer(help="Inspect the run log (every agent run, its steps, usage and outcome).", no_args_is_help=True)


def _short(text: str, n: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def render_step(step: Any) -> str:
    """One step as a line of rich markup (used by ``run`` and ``runs show``)."""
    from rich.markup import escape

    kind = step.kind
    if kind == "task":
        mem = f" [dim](memory: {len(step.memory_ids)} items)[/dim]" if step.memory_ids else ""
        return f"[bold cyan]task[/bold cyan] {escape(_short(step.task, 400))}{mem}"
    if kind == "action":
        parts = []
        if step.thought.strip():
            parts.append(f"[dim]{escape(_short(step.thought, 300))}[/dim]")
        for call in step.tool_calls:
            parts.append(f"[bold]→ {escape(call.name)}[/bold]({escape(_short(json.dumps(call.arguments, ensure_ascii=False), 200))})")
        return "[yellow]action[/yellow] " + ("\n       ".join(parts) if parts else "[dim](no action)[/dim]")
    if kind == "observation":
        colour = "red" if step.is_error else "blue"
        done = " [dim](done)[/dim]" if step.done else ""
        return f"[{colour}]observation[/{colour}] {escape(_short(step.observation, 400))}{done}"
    if kind == "final":
        return f"[bold green]final answer[/bold green] {escape(step.answer)}"
    if kind == "error":
        tag = "error (fatal)" if step.fatal else "error"
        return f"[red]{tag}[/red] [dim]{escape(step.error_type)}[/dim] {escape(_short(step.error, 400))}"
    return escape(str(step))  # pragma: no cover - future step kinds


def _outcome_text(outcome: Any) -> str:
    if outcome is None:
        return "-"
    if outcome.detail.get("judged", True) is False:
        return "unjudged"
    return f"{'success' if outcome.success else 'failure'} ({outcome.score:.2f})"


def _when(ts: float | None, short: bool = False) -> str:
    return "-" if ts is None else _dt.datetime.fromtimestamp(ts).strftime("%m-%d %H:%M" if short else "%Y-%m-%d %H:%M:%S")


def run_command(
    ctx: typer.Context,
    task: str = typer.Argument(..., help="The task, in plain words."),
    model: str | None = typer.Option(None, "--model", "-m", help="litellm model string (overrides the global --model and settings)."),
    max_steps: int | None = typer.Option(None, "--max-steps", min=1, help="Model turns allowed (default: settings agent.max_steps)."),
    max_tokens: int | None = typer.Option(None, "--max-tokens", min=1, help="Token budget for the run."),
    max_seconds: float | None = typer.Option(None, "--max-seconds", min=0.001, help="Wall-clock budget for the run, in seconds."),
    max_reply_tokens: int | None = typer.Option(None, "--max-reply-tokens", min=1, help="New tokens per model call (default: settings llm.max_tokens)."),
    instructions: str = typer.Option("", "--instructions", help="Extra system instructions for the agent."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON (same as the global --json)."),
) -> None:
    """Run an agent on TASK, stream its steps, and record the run in the run log."""
    from ..agent.agent import Agent
    from ..agent.runner import Runner

    st = state(ctx)
    settings = st.settings(llm={"model": model}) if model else st.settings()
    settings.ensure_home()
    runner = Runner(settings)
    agent = Agent(name="agentmem", instructions=instructions, max_steps=max_steps, max_tokens=max_tokens, max_seconds=max_seconds, max_tokens_per_call=max_reply_tokens)
    stream = runner.run_iter(agent, task)
    if st.json or json_output:
        result = stream.result
        emit_json(result.model_dump(mode="json"))
    else:
        con = console()
        con.print(f"[dim]run {stream.run_id}[/dim]")
        for step in stream:
            con.print(render_step(step), highlight=False)
        result = stream.result
        u = result.usage
        con.print(
            f"[dim]run {result.run_id}: {result.stop_reason}, outcome {_outcome_text(result.outcome)}, "
            f"{len(result.steps)} steps, {u.total_tokens} tokens ({u.calls} calls, ${u.cost_usd:.4f}), "
            f"{result.ended_at - result.started_at:.1f}s[/dim]",
            highlight=False,
        )
    if result.stop_reason in ("budget", "error"):
        raise typer.Exit(1)


@runs_app.command("list")
@guarded
def list_runs(
    ctx: typer.Context,
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="How many runs, most recent first."),
    status: str | None = typer.Option(None, "--status", help="Only runs with this status (final, done, budget, error, crashed, cancelled, running)."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON (same as the global --json)."),
) -> None:
    """List recent runs."""
    from ..agent.runlog import RunLog

    st = state(ctx)
    log = RunLog(st.settings().paths.runs_db)
    runs = log.list(limit=limit, status=status)
    if st.json or json_output:
        emit_json([r.model_dump(mode="json") for r in runs])
        return
    if not runs:
        typer.echo(f"no runs recorded in {log.path}")
        return
    from rich.table import Table

    table = Table(show_lines=False, box=None, pad_edge=False)
    for col in ("run id", "started", "status", "outcome", "steps", "tokens", "task"):
        table.add_column(col, overflow="fold", no_wrap=col != "task")
    for r in runs:
        table.add_row(r.id, _when(r.started_at, short=True), r.status, _outcome_text(r.outcome), str(r.n_steps), str(r.usage.total_tokens), _short(r.task, 80))
    console().print(table)


@runs_app.command("show")
@guarded
def show_run(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="Run id (a unique prefix is enough)."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON (same as the global --json)."),
) -> None:
    """Show one run: its task, model, outcome, usage and every step."""
    from ..agent.runlog import RunLog

    st = state(ctx)
    record = RunLog(st.settings().paths.runs_db).get(run_id)
    if st.json or json_output:
        emit_json(record.model_dump(mode="json"))
        return
    con = console()
    u = record.usage
    secs = f"{record.seconds:.1f}s" if record.seconds is not None else "-"
    con.print(f"[bold]run {record.id}[/bold]  agent {record.agent}  model {record.model or '-'}  env {record.environment or '-'}", highlight=False)
    con.print(f"started {_when(record.started_at)}  took {secs}  status {record.status}  outcome {_outcome_text(record.outcome)}", highlight=False)
    con.print(f"usage {u.total_tokens} tokens ({u.prompt_tokens} prompt + {u.completion_tokens} completion, {u.calls} calls, ${u.cost_usd:.4f})", highlight=False)
    if record.memory_ids:
        con.print(f"memory {', '.join(record.memory_ids)}", highlight=False)
    if record.meta.get("error"):
        con.print(f"[red]crash[/red] {record.meta['error']}", highlight=False)
    for step in record.steps:
        con.print(render_step(step), highlight=False)


def register(app: typer.Typer) -> None:
    app.command("run")(guarded(run_command))
    app.add_typer(runs_app, name="runs")
