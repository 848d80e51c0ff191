"""``agentmem memory ...`` administration: why, snapshot, snapshots, diff, rollback, audit, apply, retire, activate.

These commands join the ``memory`` group if another module registered it already (the
experience stores' ``memory_app``), otherwise they create it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from ._common import console, emit_json, guarded, state


def _controller(ctx: typer.Context) -> Any:
    from ..learning.controller import ControllerConfig, ReflectiveController
    from ..learning.gate import MemoryMode
    from ..learning.wiring import open_memory

    settings = state(ctx).settings().ensure_home()
    mem, registry = open_memory(settings)
    return ReflectiveController(mem, settings.home, registry=registry, config=ControllerConfig(mode=MemoryMode.frozen))


def why(ctx: typer.Context, item: str = typer.Argument(..., help="Item as STORE/ID or ID."),
        json_output: bool = typer.Option(False, "--json", help="Print the history as JSON (same as the global --json).")) -> None:
    """Where an item came from (task, run, edit, reason) and how it has paid off."""
    hist = _controller(ctx).why(item)
    if json_output or state(ctx).json:
        emit_json(hist.model_dump() | {"uses": hist.uses, "mean_score": hist.mean_score, "mean_credit": hist.mean_credit})
    else:
        typer.echo(hist.render(), nl=False)


def snapshot(ctx: typer.Context, name: str = typer.Option("", "--name", "-n", help="A name to refer to the snapshot by."), reason: str = typer.Option("", "--reason")) -> None:
    """Snapshot every store of the home (content-addressed; cheap when little changed)."""
    from ..learning.snapshots import snapshot_summary

    snap = _controller(ctx).snapshot(name=name, reason=reason)
    if state(ctx).json:
        emit_json(snapshot_summary(snap))
    else:
        typer.echo(f"snapshot {snap.id}" + (f" ({snap.name})" if snap.name else "") + f": {snap.n_files} files in {len(snap.stores)} stores")


def snapshots(ctx: typer.Context) -> None:
    """List snapshots, oldest first."""
    from ..learning.snapshots import snapshot_summary

    snaps = _controller(ctx).engine.snapshots.list()
    if state(ctx).json:
        emit_json([snapshot_summary(s) for s in snaps])
        return
    from rich.table import Table

    t = Table("id", "name", "files", "reason")
    for s in snaps:
        t.add_row(s.id, s.name, str(s.n_files), s.reason)
    console().print(t)


def diff(ctx: typer.Context, a: str = typer.Argument(..., help="Snapshot id or name."), b: str = typer.Argument("current", help="Snapshot id or name, or 'current'.")) -> None:
    """Added, removed and changed files between two snapshots (or a snapshot and the current state)."""
    d = _controller(ctx).diff(a, b)
    if state(ctx).json:
        emit_json(d.model_dump() | {"counts": d.counts()})
    else:
        typer.echo(d.render(), nl=False)


def rollback(ctx: typer.Context, snap: str = typer.Argument(..., help="Snapshot id or name to restore.")) -> None:
    """Restore every store to a snapshot, byte for byte (the current state is snapshotted first)."""
    ctl = _controller(ctx)
    restored = ctl.rollback(snap)
    pre = [s for s in ctl.engine.snapshots.list() if s.name == "pre-rollback"][-1]
    if state(ctx).json:
        emit_json({"restored": restored.id, "previous_state": pre.id})
    else:
        typer.echo(f"restored {restored.id}; the previous state is snapshot {pre.id} (roll back to it to undo)")


def audit(
    ctx: typer.Context,
    run: str | None = typer.Option(None, "--run", help="Only this run's entries."),
    item: str | None = typer.Option(None, "--item", help="Only entries for STORE/ID."),
    status: str | None = typer.Option(None, "--status", help="applied, quarantined, refused, invalid, snapshot, rollback, recovered."),
    limit: int = typer.Option(50, "--limit", help="Most recent entries to show."),
    json_output: bool = typer.Option(False, "--json", help="Print the entries as JSON (same as the global --json)."),
) -> None:
    """The audit log: applied, quarantined and refused edits with their run and reason."""
    from ..learning.audit import AuditLog

    settings = state(ctx).settings()
    log = AuditLog(settings.paths.audit_db)
    store, item_id = (item.split("/", 1) if item and "/" in item else (None, item))
    rows = log.entries(run_id=run, store=store, item_id=item_id, status=status, limit=limit)
    if json_output or state(ctx).json:
        emit_json([r.model_dump() for r in rows])
        return
    from rich.table import Table

    t = Table("status", "run", "kind", "item", "trust", "proposer", "reason")
    for r in rows:
        t.add_row(r.status, r.run_id or "", r.kind, f"{r.store}/{r.item_id}" if r.store else r.item_id, r.trust or "", r.proposer, r.reason[:120])
    console().print(t)


def _apply_and_report(ctx: typer.Context, edits: list[Any], refusals: list[Any], dry_run: bool) -> None:
    ctl = _controller(ctx)
    report = ctl.apply(edits, refusals=refusals, dry_run=dry_run)  # records the credit of a credited update_utility, as every manual apply does
    if state(ctx).json:
        emit_json(report.model_dump())
    else:
        typer.echo(report.render(), nl=False)


def apply(
    ctx: typer.Context,
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help='JSON file of edits: {"edits": [...]} or a list.'),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the proposed edits as a diff; change nothing."),
) -> None:
    """Validate and apply a file of typed edits (e.g. saved from a learner) as one transaction."""
    from ..learning.edits import parse_edits

    edits, refusals = parse_edits(json.loads(file.read_text(encoding="utf-8")), proposer=f"user:{file.name}")
    _apply_and_report(ctx, edits, refusals, dry_run)


def retire(
    ctx: typer.Context,
    item: str = typer.Argument(..., help="STORE/ID"),
    reason: str = typer.Option("retired by hand", "--reason"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the change; change nothing."),
) -> None:
    """Move an item out of recall (kept in history; `memory activate` brings it back)."""
    from ..learning.edits import RetireItem
    from ..types import Trust

    store, _, item_id = item.partition("/")
    _apply_and_report(ctx, [RetireItem(store=store, item_id=item_id, reason=reason, trust=Trust.shipped, proposer="user")], [], dry_run)


def activate(
    ctx: typer.Context,
    item: str = typer.Argument(..., help="STORE/ID"),
    reason: str = typer.Option("activated by hand", "--reason"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the change; change nothing."),
) -> None:
    """Admit a quarantined item to recall, or bring a retired one back."""
    from ..learning.edits import ActivateItem
    from ..types import Trust

    store, _, item_id = item.partition("/")
    _apply_and_report(ctx, [ActivateItem(store=store, item_id=item_id, reason=reason, trust=Trust.shipped, proposer="user")], [], dry_run)


COMMANDS = {"why": why, "snapshot": snapshot, "snapshots": snapshots, "diff": diff, "rollback": rollback, "audit": audit, "apply": apply, "retire": retire, "activate": activate}


def _memory_group(app: typer.Typer) -> typer.Typer:
    for info in app.registered_groups:
        if info.name == "memory" and info.typer_instance is not None:
            return info.typer_instance
    group = typer.Typer(name="memory", help="Memory stores: provenance, snapshots, diffs, rollback, audit, edits.", no_args_is_help=True)
    app.add_typer(group, name="memory")
    return group


def register(app: typer.Typer) -> None:
    group = _memory_group(app)
    existing = {c.name for c in group.registered_commands}
    for name, fn in COMMANDS.items():
        if name not in existing:
            group.command(name)(guarded(fn))
