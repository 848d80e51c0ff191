"""The ``agentmem`` command line: noun groups (``runs``, ``config``, ``skills``, ``memory``,
``retriever``, ``eval``) over one :class:`~agentmem.settings.Settings`.

Global options ``--home`` and ``--json`` come before the command. Each group lives in its own
module exposing ``register(app)``; heavy libraries are imported inside commands, never at
module import, so ``agentmem --help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys

from ._common import app

# Each module adds its commands/groups to ``app`` in register(app).
_GROUP_MODULES = [
    "agentmem.cli.config_cmd",
    "agentmem.cli.skills_cmd",
    "agentmem.cli.run_cmd",
    "agentmem.cli.memory_cmd",
    "agentmem.cli.router_cmd",
    "agentmem.cli.retriever_cmd",
    "agentmem.cli.memory_admin_cmd",  # after memory_cmd: joins its `memory` group
    "agentmem.cli.eval_cmd",
    "agentmem.cli.demo_cmd",
    "agentmem.cli.eval_alf_locomo_cmd",
    "agentmem.cli.serve_cmd",
    "agentmem.cli.keys_cmd",
    "agentmem.cli.plugins_cmd",
    "agentmem.cli.import_cmd",
]

for _mod in _GROUP_MODULES:
    importlib.import_module(_mod).register(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``agentmem`` script."""
    from ..errors import AgentmemError

    try:
        app(args=argv if argv is not None else sys.argv[1:], standalone_mode=True)
    except AgentmemError as exc:  # pragma: no cover - typer normally handles via _common.fail
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


__all__ = ["app", "main"]
