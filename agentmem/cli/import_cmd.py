"""``agentmem import FILE.jsonl``: bulk import of memory items through the reflective controller.

One item per line (``{"text": ..., "id": ..., "namespace": ..., "metadata": {...}}`` or a JSON
string); batches of ``add_item`` edits, each one journal transaction; re-running skips rows
already stored. See :mod:`agentmem.bulk_import`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from ._common import emit_json, guarded, state


@guarded
def import_items(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="JSON Lines file: one item per line, {\"text\": ...} (optional id, namespace, metadata) or a JSON string."),
    store: str = typer.Option("facts", "--store", help="Store that takes the items (it needs an add_item applier; default the fact store)."),
    namespace: str | None = typer.Option(None, "--namespace", "-n", envvar="AGENTMEM_NAMESPACE", help="Namespace of rows without one (default settings.namespace)."),
    batch_size: int = typer.Option(1000, "--batch-size", min=1, help="Rows per batch (one journal transaction, one embedding call, one index write)."),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Skip bad lines (listed in the report) instead of stopping at the first before anything is written."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar on stderr."),
) -> None:
    """Import memory items from a JSON Lines file (resumable: rows already stored are skipped)."""
    from ..bulk_import import import_file
    from ..mcp_server import MemoryService

    st = state(ctx)
    settings = st.settings()
    settings.ensure_home()
    svc = MemoryService(settings, namespace=namespace)
    memory = svc.memory()
    bar: Any = None
    callback: Any = None
    if progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
        from rich.console import Console

        bar = Progress(TextColumn("import"), BarColumn(), MofNCompleteColumn(), TextColumn("added {task.fields[added]} skipped {task.fields[skipped]}"),
                       TimeElapsedColumn(), TimeRemainingColumn(), console=Console(file=sys.stderr))
        task = bar.add_task("import", total=None, added=0, skipped=0)

        def on_batch(done: int, total: int, report: Any) -> None:
            bar.update(task, completed=done, total=total, added=report.added, skipped=report.skipped_existing)

        callback = on_batch

        bar.start()
    try:
        report = import_file(memory, file, store=store, namespace=namespace, batch_size=batch_size, skip_bad=skip_bad, progress=callback)
    finally:
        if bar is not None:
            bar.stop()
        svc.close()
    if st.json:
        emit_json(report.model_dump())
        return
    typer.echo(f"{report.file}: {report.rows} rows, {report.added} added, {report.skipped_existing} already stored, "
               f"{len(report.bad_lines)} bad lines skipped, {len(report.refused)} refused; {report.batches} batches in {report.seconds:.1f} s (run {report.run_id})")
    for line in report.bad_lines[:20] + report.refused[:20]:
        typer.echo(f"  {line}")


def register(app: typer.Typer) -> None:
    app.command("import")(import_items)
