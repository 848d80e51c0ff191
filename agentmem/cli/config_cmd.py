"""``agentmem config show|path``."""

from __future__ import annotations

import typer

from ._common import emit_json, guarded, state

config_app = typer.Typer(help="Show the effective settings.", no_args_is_help=True)


@config_app.command("show")
@guarded
def show(ctx: typer.Context) -> None:
    """Print the effective settings (defaults < config.toml < environment < options)."""
    settings = state(ctx).settings()
    data = settings.public_dict()
    if state(ctx).json:
        emit_json(data)
        return
    import yaml

    typer.echo(yaml.safe_dump(data, sort_keys=False).rstrip())


@config_app.command("path")
@guarded
def path(ctx: typer.Context) -> None:
    """Print the home folder and where each kind of file lives."""
    p = state(ctx).settings().paths
    rows = {"home": p.home, "skills": p.skills, "stores": p.stores, "index": p.index, "runs_db": p.runs_db, "checkpoints": p.checkpoints, "prompts": p.prompts}
    if state(ctx).json:
        emit_json({k: str(v) for k, v in rows.items()})
    else:
        for k, v in rows.items():
            typer.echo(f"{k:12} {v}")


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
