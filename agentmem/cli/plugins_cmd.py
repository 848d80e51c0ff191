"""``agentmem plugins list|check``: third-party stores, environments, learners, embedders and LLMs."""

from __future__ import annotations

import typer

from ._common import emit_json, fail, guarded, state

plugins_app = typer.Typer(help="Plugins registered by installed packages (entry points).", no_args_is_help=True)


@plugins_app.command("list")
@guarded
def list_(ctx: typer.Context, kind: str | None = typer.Option(None, "--kind", help="stores, environments, learners, embedders or llms.")) -> None:
    """List registered plugins without importing them."""
    from ..plugins import available

    infos = available(kind)
    if state(ctx).json:
        emit_json([i.model_dump() for i in infos])
        return
    if not infos:
        typer.echo("no plugins installed (entry-point groups: agentmem.stores, agentmem.environments, agentmem.learners, agentmem.embedders, agentmem.llms)")
        return
    for i in infos:
        dist = f"  [{i.distribution} {i.version}]" if i.distribution else ""
        typer.echo(f"{i.kind:13} {i.name:20} {i.target}{dist}")


@plugins_app.command("check")
@guarded
def check(ctx: typer.Context, kind: str = typer.Argument(..., help="Plugin kind."), name: str = typer.Argument(..., help="Plugin name.")) -> None:
    """Import one plugin and report what it is (exit 2 if it fails to load)."""
    from ..plugins import load

    obj = load(kind, name)
    where = f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', type(obj).__name__)}"
    if state(ctx).json:
        emit_json({"kind": kind, "name": name, "object": where, "callable": callable(obj)})
    elif not callable(obj):
        fail(f"plugin {name!r} loaded but is not callable ({where})")
    else:
        typer.echo(f"ok: {kind} {name} -> {where}")


def register(app: typer.Typer) -> None:
    app.add_typer(plugins_app, name="plugins")
