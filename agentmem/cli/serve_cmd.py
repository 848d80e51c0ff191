"""``agentmem serve --mcp``: the memory as an MCP server (stdio, or streamable HTTP on loopback)."""

from __future__ import annotations

import typer

from ._common import fail, guarded, state


@guarded
def serve(
    ctx: typer.Context,
    mcp: bool = typer.Option(False, "--mcp", help="Serve the Model Context Protocol (the only protocol so far)."),
    http: bool = typer.Option(False, "--http", help="Streamable HTTP on --host/--port instead of stdio."),
    host: str = typer.Option("127.0.0.1", "--host", help="Loopback address to listen on (127.0.0.1, localhost or ::1)."),
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="TCP port for --http."),
    namespace: str | None = typer.Option(None, "--namespace", "-n", envvar="AGENTMEM_NAMESPACE", help="Namespace served (user, user/agent or user/agent/run); default settings.namespace."),
    allow_namespace: list[str] = typer.Option([], "--allow-namespace", help="Another namespace a tool call may name explicitly (repeatable)."),
    store: list[str] = typer.Option([], "--store", help="A store plugin (entry point in agentmem.stores) to add to recall, built with the settings (repeatable); see `agentmem plugins list`."),
) -> None:
    """Expose recall, remember, skill search/show and outcome recording to MCP clients.

    stdio: `agentmem serve --mcp` (what desktop clients launch). HTTP: `agentmem serve --mcp --http
    --port 8765`, endpoint http://127.0.0.1:8765/mcp.
    """
    if not mcp:
        fail("serve: choose a protocol, e.g. `agentmem serve --mcp` (stdio) or `agentmem serve --mcp --http --port 8765`")
    from ..mcp_server import MemoryService
    from ..mcp_server import serve as run_server

    settings = state(ctx).settings()
    settings.ensure_home()
    from ..plugins import create

    stores = [create("stores", name, settings) for name in store]
    service = MemoryService(settings, namespace=namespace, allowed_namespaces=allow_namespace, stores=stores)
    if http:
        typer.echo(f"agentmem MCP server on http://{host}:{port}/mcp (namespace {service.namespace})", err=True)
    run_server(service, http=http, host=host, port=port)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
