"""The memory service: an authenticated JSON HTTP API (plus the MCP tools) over one agentmem home.

Modules: :mod:`~agentmem.server.service` (the operations, no web import),
:mod:`~agentmem.server.app` (the Starlette app and its endpoint table),
:mod:`~agentmem.server.keys` (API keys and tenants), :mod:`~agentmem.server.limits` (rate
limits, body size, the read/write lock), :mod:`~agentmem.server.schemas` (request and response
models), :mod:`~agentmem.server.openapi`, :mod:`~agentmem.server.metrics` and
:mod:`~agentmem.server.mcp_mount` (the MCP tools at ``/mcp``, behind the same keys).

``agentmem serve --http`` calls :func:`serve`; a library user can too::

    from agentmem.server import serve
    serve(Settings.load(), host="127.0.0.1", port=8765)

See ``docs/server.md``.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..settings import Settings


#: Seconds an idle keep-alive connection stays open. Longer than httpx's own 5 s expiry, so a
#: client never reuses a connection the server is closing at that moment (a ReadError under load).
KEEP_ALIVE_S = 65


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_listen(host: str, keys: Any) -> bool:
    """Whether requests must carry a key; :class:`ConfigError` for a public address without keys."""
    active = keys.any_active()
    if not is_loopback(host) and not active:
        raise ConfigError(
            f"--host {host!r} is not a loopback address and no API key is configured: refusing to serve the memory without authentication. "
            "Create a key first (`agentmem keys create --namespace NAME --scope read|write|admin`) or listen on 127.0.0.1."
        )
    return active or not is_loopback(host)


def build(settings: "Settings", *, host: str = "127.0.0.1", stores: Any = (), namespace: str | None = None, mcp: bool = True) -> Any:
    """The ASGI app for ``settings`` after the listen check (see :func:`serve`)."""
    from .app import create_app
    from .keys import KeyStore
    from .service import HomeService

    keys = KeyStore(settings.home)
    require = check_listen(host, keys)
    service = HomeService(settings, stores=stores)
    return create_app(service, keys=keys, require_keys=require, mcp=mcp, default_namespace=namespace)


def serve(settings: "Settings", *, host: str = "127.0.0.1", port: int = 8765, stores: Any = (), namespace: str | None = None, mcp: bool = True, log_level: str = "warning") -> None:
    """Run the service until the process is stopped (uvicorn, one process, one event loop)."""
    import uvicorn

    app = build(settings, host=host, stores=stores, namespace=namespace, mcp=mcp)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False, timeout_graceful_shutdown=10, timeout_keep_alive=KEEP_ALIVE_S)


__all__ = ["KEEP_ALIVE_S", "build", "check_listen", "is_loopback", "serve"]
