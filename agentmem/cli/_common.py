"""Shared CLI state: the root app, global options, settings loading, output helpers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from ..errors import AgentmemError
from ..settings import Settings

app = typer.Typer(
    name="agentmem",
    help="agentmem: memory that learns for LLM agents (skills, behaviors, concepts, subroutines, trained retrievers).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class CLIState:
    """Global options, available to every command as ``ctx.obj``."""

    def __init__(self, home: Path | None, json_output: bool, model: str | None) -> None:
        self.home = home
        self.json = json_output
        self.model = model
        self._settings: Settings | None = None

    def settings(self, **overrides: Any) -> Settings:
        if self._settings is None or overrides:
            llm = dict(overrides.pop("llm", {}) or {})
            if self.model:
                llm.setdefault("model", self.model)
            self._settings = Settings.load(home=self.home, **({"llm": llm} if llm else {}), **overrides)
        return self._settings


@app.callback()
def _root(
    ctx: typer.Context,
    home: Path | None = typer.Option(None, "--home", envvar="AGENTMEM_HOME", help="Home folder (default ~/.agentmem)."),
    json_output: bool = typer.Option(False, "--json", help="Print machine-readable JSON instead of tables."),
    model: str | None = typer.Option(None, "--model", "-m", help="litellm model string for LLM-driven commands (overrides settings)."),
) -> None:
    ctx.obj = CLIState(home, json_output, model)


def state(ctx: typer.Context) -> CLIState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CLIState):
        obj = CLIState(None, False, None)
        ctx.find_root().obj = obj
    return obj


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, default=str, ensure_ascii=False) + "\n")


def fail(message: str, code: int = 2) -> None:
    """Print a one-line error to stderr and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def guarded(fn: Any) -> Any:
    """Decorator: turn :class:`AgentmemError` into a clean one-line error exit."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AgentmemError as exc:
            fail(str(exc))

    return wrapper


def console() -> Any:
    from rich.console import Console

    return Console()
