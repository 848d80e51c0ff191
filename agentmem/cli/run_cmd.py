"""``agentmem run "TASK"`` and ``agentmem runs list|show``.

``run`` executes a free-form task (:class:`~agentmem.evals.chat.ChatEnvironment`) with the
configured model and the home's memory (the ``run`` :mod:`profile <agentmem.profiles>`: recall
through :class:`~agentmem.Memory`, writes through the reflective controller), streams its steps
and prints the run id and what memory recalled (ids per store) and, in updating mode, the edits
the run caused; the run goes to the run log in the home. ``--check CMD`` judges the answer (exit
0 = success, output kept as feedback); ``agentmem runs rate RUN --success/--failure`` judges it
later and learns then. Exit status: 0 when the agent answered (or the environment ended the
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


def recalled_by_store(items: list[Any]) -> dict[str, list[str]]:
    """``{store: [item ids]}`` of a recalled context, in recall order."""
    out: dict[str, list[str]] = {}
    for r in items:
        out.setdefault(r.record.store, []).append(r.record.id)
    return out


def edits_of(report: Any) -> list[str]:
    """``kind store/id`` lines for the edits a controller report applied (credit rows left out)."""
    if report is None or report.apply is None:
        return []
    return [f"{a.kind} {a.store}/{','.join(a.item_ids)}" + (f" [{a.state.value}]" if a.state.value != "active" else "") for a in report.apply.applied if a.kind != "update_utility"]


def _memory_summary(report: Any, items: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"recalled": recalled_by_store(items)}
    routed = next((r.record.id for r in items if "routed by the skill router" in r.reasons), None)
    if routed:
        out["routed_skill"] = routed
    if report is not None:
        out.update(gate=report.gate_reason or ("open" if report.gate_open else ""), edits=edits_of(report), credited=len(report.credits),
                   refused=[f"{r.kind} {r.store}/{r.item_id}: {r.reason}" for r in (report.apply.refused if report.apply else [])])
    return out


def _lesson_llm(settings: Any) -> Any:
    """The LLM that writes run lessons: the run's model, except ``scripted:`` models (their replies
    belong to the run), which get the model-free lesson (:mod:`agentmem.learning.lessons`)."""
    model = str(settings.llm.model or "")
    if not model or model.startswith("scripted:"):
        return None
    from ..llm.factory import make_llm

    return make_llm(settings)


def run_command(
    ctx: typer.Context,
    task: str = typer.Argument(..., help="The task, in plain words."),
    model: str | None = typer.Option(None, "--model", "-m", help="litellm model string (overrides the global --model and settings)."),
    max_steps: int | None = typer.Option(None, "--max-steps", min=1, help="Model turns allowed (default: settings agent.max_steps)."),
    max_tokens: int | None = typer.Option(None, "--max-tokens", min=1, help="Token budget for the run."),
    max_seconds: float | None = typer.Option(None, "--max-seconds", min=0.001, help="Wall-clock budget for the run, in seconds."),
    max_reply_tokens: int | None = typer.Option(None, "--max-reply-tokens", min=1, help="New tokens per model call (default: settings llm.max_tokens)."),
    instructions: str = typer.Option("", "--instructions", help="Extra system instructions for the agent."),
    memory: str = typer.Option("frozen", "--memory", help="none | frozen (recall only; the default) | updating (recall, then credit and a lesson from the judged outcome)."),
    namespace: str | None = typer.Option(None, "--namespace", help="Memory namespace user/agent (default: settings namespace)."),
    check: str | None = typer.Option(None, "--check", help="Shell command that judges the answer (stdin and $AGENTMEM_ANSWER): exit 0 = success; its output is kept as feedback."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON (same as the global --json)."),
) -> None:
    """Run an agent on TASK with the home's memory, stream its steps, and record the run in the run log."""
    from agentmem.environment import TaskSpec

    from ..agent.agent import Agent
    from ..agent.runner import Runner
    from ..errors import ConfigError
    from ..evals.chat import ChatEnvironment, command_checker
    from ..stores.memory_store import namespace_key
    from ..types import new_id

    if memory not in ("none", "frozen", "updating"):
        raise ConfigError(f"--memory {memory!r}: choose none, frozen or updating")
    st = state(ctx)
    settings = st.settings(llm={"model": model}) if model else st.settings()
    settings.ensure_home()
    ns = namespace_key(namespace or settings.namespace)
    hook = None
    if memory != "none":
        from ..learning.routing import router_from_settings
        from ..profiles import memory_for

        mem = memory_for(settings, "run", llm=_lesson_llm(settings) if memory == "updating" else None, namespace=ns, mode=memory,
                         write_gate="self_verification" if check else "train_labels", router=router_from_settings(settings))
        hook = mem.controller()
    runner = Runner(settings)
    agent = Agent(name="agentmem", instructions=instructions, max_steps=max_steps, max_tokens=max_tokens, max_seconds=max_seconds, max_tokens_per_call=max_reply_tokens, memory=hook)
    spec = TaskSpec(id=new_id("chat-"), instruction=task, metadata={"namespace": ns, "split": "train"})
    env = ChatEnvironment.from_task(spec, checker=command_checker(check) if check else None)
    stream = runner.run_iter(agent, env)
    con = None if (st.json or json_output) else console()
    if con is not None:
        con.print(f"[dim]run {stream.run_id}[/dim]")
        for step in stream:
            con.print(render_step(step), highlight=False)
    result = stream.result
    summary = None
    if hook is not None:
        from ..agent.runlog import RunLog

        ctx_items = [r for r in (hook.last_context.items if getattr(hook, "last_context", None) else [])]
        summary = {"mode": memory, "namespace": ns, **_memory_summary(hook.last_report, ctx_items)}
        RunLog(settings.paths.runs_db).update_meta(result.run_id, memory=summary)
    if con is None:
        emit_json(result.model_dump(mode="json") | ({"memory": summary} if summary is not None else {}))
    else:
        if summary is not None:
            rec = ", ".join(f"{k}: {', '.join(v)}" for k, v in summary["recalled"].items()) or "nothing"
            con.print(f"[dim]memory ({memory}, {ns}): recalled {rec}[/dim]", highlight=False)
            if summary.get("edits"):
                con.print(f"[dim]memory edits: {'; '.join(summary['edits'])}[/dim]", highlight=False)
            elif memory == "updating" and summary.get("gate"):
                con.print(f"[dim]memory: no edits ({summary['gate']})[/dim]", highlight=False)
        u = result.usage
        con.print(
            f"[dim]run {result.run_id}: {result.stop_reason}, outcome {_outcome_text(result.outcome)}, "
            f"{len(result.steps)} steps, {u.total_tokens} tokens ({u.calls} calls, ${u.cost_usd:.4f}), "
            f"{result.ended_at - result.started_at:.1f}s[/dim]",
            highlight=False,
        )
    if result.stop_reason in ("budget", "error"):
        raise typer.Exit(1)


@runs_app.command("rate")
@guarded
def rate_run(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="Run id (a unique prefix is enough)."),
    success: bool | None = typer.Option(None, "--success/--failure", help="How the run went."),
    score: float | None = typer.Option(None, "--score", min=0.0, max=1.0, help="Score in [0, 1] (default 1 for --success, 0 for --failure)."),
    note: str = typer.Option("", "--note", help="What went right or wrong (kept as feedback for the lesson)."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON (same as the global --json)."),
) -> None:
    """Judge a finished run: credit the items it recalled and learn a lesson now, through the controller."""
    from ..agent.runlog import RunLog
    from ..errors import ConfigError
    from ..types import Outcome

    if success is None:
        raise ConfigError("runs rate: say --success or --failure")
    st = state(ctx)
    settings = st.settings().ensure_home()
    log_ = RunLog(settings.paths.runs_db)
    record = log_.get(run_id)
    outcome = Outcome(score=score if score is not None else float(success), success=success, source="user", detail={"note": note} if note else {})
    ns = (record.meta.get("memory") or {}).get("namespace") or settings.namespace
    from ..profiles import memory_for

    mem = memory_for(settings, "run", llm=_lesson_llm(settings), namespace=ns, mode="updating", write_gate="train_labels")
    report = mem.controller().rate(record.id, outcome, trajectory=list(record.steps))
    log_.set_outcome(record.id, outcome)
    summary = {**(record.meta.get("memory") or {}), "rated": outcome.model_dump(mode="json"), "rate_edits": edits_of(report), "rate_gate": report.gate_reason}
    log_.update_meta(record.id, memory=summary)
    if st.json or json_output:
        emit_json({"run_id": record.id, "outcome": outcome.model_dump(mode="json"), "gate": report.gate_reason, "credited": len(report.credits), "edits": edits_of(report)})
        return
    typer.echo(f"run {record.id} rated {'success' if success else 'failure'} ({outcome.score:.2f}); {len(report.credits)} item(s) credited; gate: {report.gate_reason}")
    for e in edits_of(report):
        typer.echo(f"  + {e}")


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
    mem = record.meta.get("memory") or {}
    if mem.get("recalled"):
        con.print("memory " + "; ".join(f"{k}: {', '.join(v)}" for k, v in mem["recalled"].items()), highlight=False)
    elif record.memory_ids:
        con.print(f"memory {', '.join(record.memory_ids)}", highlight=False)
    for key, label in (("edits", "edits"), ("rate_edits", "edits after rating")):
        if mem.get(key):
            con.print(f"{label} {'; '.join(mem[key])}", highlight=False)
    if record.meta.get("error"):
        con.print(f"[red]crash[/red] {record.meta['error']}", highlight=False)
    for step in record.steps:
        con.print(render_step(step), highlight=False)


def register(app: typer.Typer) -> None:
    app.command("run")(guarded(run_command))
    app.add_typer(runs_app, name="runs")
