"""``agentmem keys create|list|revoke``: API keys of the memory service (``agentmem serve --http``)."""

from __future__ import annotations

import time

import typer

from ._common import emit_json, guarded, state

keys_app = typer.Typer(help="API keys of the HTTP memory service (stored hashed in the home; secrets shown once).", no_args_is_help=True)


def _store(ctx: typer.Context):  # noqa: ANN202
    from ..server.keys import KeyStore

    settings = state(ctx).settings()
    settings.ensure_home()
    return KeyStore(settings.home)


@keys_app.command("create")
@guarded
def create(
    ctx: typer.Context,
    namespace: str = typer.Option(..., "--namespace", "-n", help="Namespace prefix the key reaches (e.g. 'alice' reaches alice/*), or '*' for all."),
    scope: str = typer.Option("read", "--scope", help="read (recall, list), write (also remember, learn) or admin (also metrics; with namespace '*' snapshots and rollback)."),
    label: str = typer.Option("", "--label", help="A note shown in `keys list`."),
    rate: float = typer.Option(50.0, "--rate", help="Sustained requests per second allowed to this key."),
    burst: int = typer.Option(100, "--burst", help="Requests allowed in a burst."),
) -> None:
    """Create a key and print it once (only its sha256 is stored)."""
    created = _store(ctx).create(namespace, scope, label=label, rate_per_s=rate, burst=burst)
    if state(ctx).json:
        emit_json({"token": created.token, **created.key.public()})
        return
    typer.echo(created.token)
    typer.echo(f"key {created.key.id}: namespace {created.key.namespace!r}, scope {created.key.scope.value}; the key above is shown once, store it now", err=True)


@keys_app.command("list")
@guarded
def list_(ctx: typer.Context, all_: bool = typer.Option(False, "--all", help="Include revoked keys.")) -> None:
    """List keys (ids, namespaces, scopes; never secrets)."""
    keys = _store(ctx).list(include_revoked=all_)
    if state(ctx).json:
        emit_json([k.public() for k in keys])
        return
    if not keys:
        typer.echo("no keys (create one with `agentmem keys create --namespace NAME --scope read|write|admin`)")
        return
    for k in keys:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(k.created_at))
        status = "active" if k.active else "revoked"
        typer.echo(f"{k.id}  {k.scope.value:5}  {k.namespace:24} {status:8} {when}  {k.rate_per_s:g}/s burst {k.burst}  {k.label}")


@keys_app.command("revoke")
@guarded
def revoke(ctx: typer.Context, key_id: str = typer.Argument(..., help="Key id from `agentmem keys list`.")) -> None:
    """Revoke a key (a running server refuses it from its next request on)."""
    key = _store(ctx).revoke(key_id)
    if state(ctx).json:
        emit_json(key.public())
    else:
        typer.echo(f"revoked {key.id} ({key.namespace!r}, {key.scope.value})")


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
