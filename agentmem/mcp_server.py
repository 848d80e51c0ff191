"""The MCP server: agentmem's memory for any Model Context Protocol client.

``agentmem serve --mcp`` (stdio) or ``agentmem serve --mcp --http --port N`` (streamable HTTP on
127.0.0.1) exposes five tools:

``recall``          the memory context for a task (skills, facts and every other store present)
``remember``        store one item (a fact) in a namespace
``search_skills``   hybrid search over the skill library
``show_skill``      one skill's instructions, files and statistics
``record_outcome``  how a task went, for the items that were in context (credit through the reflective controller: outcome log, usage, audit, provenance)

Namespaces come from the client's configuration: the server's namespace is ``--namespace``
(or ``AGENTMEM_NAMESPACE`` / ``namespace`` in ``config.toml``); a tool call may name another one
only if it is in ``--allow-namespace``. Anything else is refused with an MCP error.

Errors: a request the server refuses (a namespace it does not serve, an argument out of range)
is answered with a JSON-RPC ``invalid params`` error; a tool that fails on valid input (an
unknown skill, a store error) returns an MCP tool error (``isError``) naming the problem. No
request can stop the server.

:class:`MemoryService` holds the logic and has no ``mcp`` import, so it can be used and tested on
its own; :func:`build_server` wraps it in an ``mcp`` ``MCPServer``.

Example (Python)::

    from agentmem.mcp_server import MemoryService
    svc = MemoryService(Settings.load(), namespace="alice")
    svc.remember("The deploy key lives in vault://ops/deploy")
    svc.recall("where is the deploy key?")["context"]

Example (client configuration, e.g. Claude Desktop)::

    {"mcpServers": {"agentmem": {"command": "agentmem",
        "args": ["serve", "--mcp", "--namespace", "alice/assistant"]}}}
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .errors import AgentmemError, ConfigError
from .stores.shared import SharedStore
from .tokens import approx_tokens
from .types import Namespace, Outcome, new_id

if TYPE_CHECKING:
    from .settings import Settings
    from .stores.base import Store

log = logging.getLogger(__name__)

MAX_K = 50
MAX_TEXT_CHARS = 20_000


class BadRequest(AgentmemError):
    """A request the server refuses (answered with an MCP ``invalid params`` error)."""


def _ns_key(text: str | None, what: str) -> str:
    try:
        return Namespace.parse(text).key()
    except ValueError as exc:
        raise BadRequest(f"{what}: {exc}") from exc


class MemoryService:
    """The memory operations the MCP server exposes, independent of MCP.

    Args:
        settings: home, recall budget, embedder/index backends.
        namespace: the namespace served (default ``settings.namespace``).
        allowed_namespaces: other namespaces a call may name explicitly (default none).
        skills: the skill library (default :class:`~agentmem.stores.skills.SkillLibrary` of the home).
        stores: extra stores searched by ``recall`` (anything following the
            :class:`~agentmem.stores.base.Store` protocol).
        facts: the store ``remember`` writes into (anything with
            ``insert(text, namespace=...)``); default the home's :class:`~agentmem.stores.facts.FactStore`.
        outcome_log: where ``record_outcome`` writes (default ``<home>/outcomes.sqlite``).
        with_experience: also search the home's behavior handbook, concept memory and
            subroutine store.
    """

    def __init__(
        self,
        settings: "Settings",
        *,
        namespace: str | None = None,
        allowed_namespaces: Sequence[str] = (),
        skills: Any | None = None,
        stores: Sequence["Store"] = (),
        facts: Any | None = None,
        outcome_log: Any | None = None,
        with_experience: bool = True,
    ) -> None:
        self.settings = settings
        self.with_experience = with_experience
        self._experience: list[Any] | None = None
        self.namespace = _ns_key(namespace or settings.namespace, "--namespace")
        self.allowed = {self.namespace} | {_ns_key(n, "--allow-namespace") for n in allowed_namespaces}
        self._skills = skills
        self._extra = list(stores)
        self._facts = facts
        self._outcome_log = outcome_log
        self._memory: Any | None = None

    # ---- wiring (lazy: the first call pays for the library load) ---------------------------
    @property
    def skills(self) -> Any:
        if self._skills is None:
            from .stores.skills import SkillLibrary

            self._skills = SkillLibrary(self.settings)
        return self._skills

    @property
    def facts(self) -> Any:
        if self._facts is None:
            from .stores.facts import FactStore

            self._facts = FactStore.from_settings(self.settings)
        return self._facts

    @property
    def outcome_log(self) -> Any:
        if self._outcome_log is None:
            from .learning.outcome_log import OutcomeLog

            self._outcome_log = OutcomeLog(self.settings.paths.home / "outcomes.sqlite")
        return self._outcome_log

    def memory(self) -> Any:
        """The :class:`~agentmem.memory.Memory` over :meth:`stores`: recall, and every write through its controller."""
        if self._memory is None:
            from .memory import Memory

            self._memory = Memory(list(self.stores().values()), settings=self.settings, namespace=self.namespace, outcome_log=self.outcome_log)
        return self._memory

    def stores(self) -> dict[str, "Store"]:
        """Every store recall searches, by name: skills, facts, the experience stores
        (behaviors, concepts, subroutines) and the extra stores given to the constructor."""
        if self._experience is None:
            self._experience = []
            if self.with_experience:
                from .stores.behaviors import BehaviorHandbook
                from .stores.concepts import ConceptMemory
                from .stores.subroutines import SubroutineStore

                self._experience = [BehaviorHandbook(self.settings), ConceptMemory(self.settings), SubroutineStore(self.settings)]
        out: dict[str, Store] = {"skills": SharedStore(self.skills)}
        out[self.facts.name] = self.facts
        for s in [*self._experience, *self._extra]:
            out[s.name] = s
        return out

    def close(self) -> None:
        """Flush the home's vector write buffer into Chroma (:mod:`~agentmem.retrieval.write_buffer`);
        nothing is lost without it (the buffer file is durable), it only spares the next process."""
        if self._facts is not None:
            close = getattr(getattr(getattr(self._facts, "hybrid", None), "index", None), "close", None)
            if close is not None:
                close()

    def _namespace(self, namespace: str | None) -> str:
        if namespace is None or namespace == "":
            return self.namespace
        key = _ns_key(namespace, "namespace")
        if key not in self.allowed:
            raise BadRequest(f"namespace {key!r} is not served here (this server serves {sorted(self.allowed)}; start it with --allow-namespace {key} to allow it)")
        return key

    @staticmethod
    def _check_k(k: int) -> int:
        if not 1 <= k <= MAX_K:
            raise BadRequest(f"k: must be between 1 and {MAX_K}, got {k}")
        return k

    @staticmethod
    def _check_text(text: str, what: str) -> str:
        if not text or not text.strip():
            raise BadRequest(f"{what}: must not be empty")
        if len(text) > MAX_TEXT_CHARS:
            raise BadRequest(f"{what}: {len(text)} characters, at most {MAX_TEXT_CHARS}")
        return text

    # ---- tools --------------------------------------------------------------------------
    def recall(self, task: str, k: int = 8, budget_tokens: int | None = None, namespace: str | None = None) -> dict[str, Any]:
        """Memory context for ``task``: the rendered text and the items (with ids for ``record_outcome``)."""
        self._check_text(task, "task")
        self._check_k(k)
        if budget_tokens is not None and budget_tokens <= 0:
            raise BadRequest(f"budget_tokens: must be positive, got {budget_tokens}")
        ns = self._namespace(namespace)
        budget = budget_tokens or self.settings.recall.budget_tokens
        stores = self.stores()
        try:
            from .memory import Memory  # type: ignore[import-not-found]
        except ImportError:
            Memory = None  # noqa: N806
        if Memory is not None:
            ctx = self.memory().recall(task, budget_tokens=budget, namespace=ns)
            items = list(ctx.items)[:k]
            text = ctx.text
        else:
            items = self._simple_recall(task, stores, ns, k, budget)
            from .prompts import as_data

            text = "\n\n".join(f"## {r.record.store}: {as_data(r.record.title or r.record.id)}\n{as_data(r.record.text)}" for r in items)
        return {
            "namespace": ns,
            "context": text,
            "items": [{"store": r.record.store, "id": r.record.id, "title": r.record.title, "score": round(float(r.score), 4), "text": r.record.text} for r in items],
        }

    @staticmethod
    def _simple_recall(task: str, stores: dict[str, Any], ns: str, k: int, budget: int) -> list[Any]:
        """Fallback when :mod:`agentmem.memory` is absent: merge each store's top hits by score."""
        hits = []
        for name, store in stores.items():
            try:
                found = store.search(task, k=k, namespace=ns)
            except AgentmemError as exc:
                log.warning("recall: store %s failed, skipped: %s", name, exc)
                continue
            hits.extend(h for h in found if h.record.namespace == ns)
        hits.sort(key=lambda h: -h.score)
        out, used = [], 0
        for h in hits:
            cost = approx_tokens(h.record.text)
            if used + cost > budget:
                continue
            out.append(h)
            used += cost
            if len(out) >= k:
                break
        return out

    def remember(self, text: str, namespace: str | None = None) -> dict[str, Any]:
        """Store ``text`` as one fact in the namespace; returns its id."""
        self._check_text(text, "text")
        ns = self._namespace(namespace)
        facts = self.facts
        item_id = self.memory().remember(text, store=facts.name, namespace=ns)  # an add_item edit through the controller
        return {"namespace": ns, "store": facts.name, "id": item_id}

    def search_skills(self, query: str, k: int = 5) -> list[dict[str, Any]]:
        """Skills best matching ``query`` (name, description, kind, score)."""
        self._check_text(query, "query")
        self._check_k(k)
        hits = [(s, score) for s, score in self.skills.candidates(query, k=k + 20) if self._skill_visible(s, self.namespace)]
        return [
            {"name": s.name, "description": s.description, "kind": s.kind.value, "version": s.version, "score": round(float(score), 4)}
            for s, score in hits[:k]
        ]

    def _in_namespace(self, store_name: str, item_id: str, ns: str) -> bool:
        """Whether item ``item_id`` of ``store_name`` may be credited from namespace ``ns``."""
        if store_name == self.skills.name:
            skill = self.skills.find(item_id.split("@", 1)[0])
            return skill is not None and self._skill_visible(skill, ns)
        rec = self.stores()[store_name].get_record(item_id)
        return rec is not None and rec.namespace == ns

    @staticmethod
    def _pinned(skill: Any) -> str | None:
        pinned = (skill.metadata or {}).get("namespace")
        if not pinned:
            return None
        try:
            return Namespace.parse(str(pinned)).key()
        except ValueError:
            return str(pinned)

    def _skill_visible(self, skill: Any, ns: str) -> bool:
        """A skill pinned to a namespace (``metadata.namespace``) is seen from that namespace only."""
        pinned = self._pinned(skill)
        return pinned is None or pinned == ns

    def show_skill(self, name: str) -> dict[str, Any]:
        """One skill: its summary, instructions and statistics (raises if there is no such skill)."""
        from .stores.skill_library import skill_to_json

        self._check_text(name, "name")
        skill = self.skills.get(name)  # StoreError (with suggestions) when there is no such skill
        if not self._skill_visible(skill, self.namespace):
            from .errors import StoreError

            raise StoreError(f"no skill named {name!r} in namespace {self.namespace}")
        out = skill_to_json(self.skills, skill)
        out["instructions"] = skill.prompt_text()
        return out

    def record_outcome(self, task: str, item_ids: list[str], score: float, success: bool, namespace: str | None = None, run_id: str | None = None, stores: list[str] | None = None) -> dict[str, Any]:
        """Record how ``task`` went for the items that were in context.

        ``item_ids`` are ids from ``recall`` (``store:id`` or a bare id looked up in every store).
        Each item's usage statistics are updated and one outcome-log row is written per item.
        """
        self._check_text(task, "task")
        if not 0.0 <= score <= 1.0:
            raise BadRequest(f"score: must be in [0, 1], got {score}")
        if not item_ids:
            raise BadRequest("item_ids: give at least one item id from recall")
        ns = self._namespace(namespace)
        outcome = Outcome(score=score, success=success, source="user")
        all_stores = self.stores()
        resolved: list[tuple[str, str]] = []
        for raw in item_ids:
            store_name, sep, item = raw.partition(":")
            if sep and store_name in all_stores:
                if all_stores[store_name].get_record(item) is None:
                    raise BadRequest(f"item_ids: {raw!r}: no item {item!r} in store {store_name!r}")
                if not self._in_namespace(store_name, item, ns):
                    raise BadRequest(f"item_ids: {raw!r} belongs to another namespace than {ns!r}; outcomes are recorded only for this namespace's items")
                resolved.append((store_name, item))
                continue
            owners = [n for n, s in all_stores.items() if s.get_record(raw) is not None]
            if not owners:
                raise BadRequest(f"item_ids: {raw!r} is in no store ({', '.join(sorted(all_stores))}); use an id returned by recall")
            mine = [n for n in owners if self._in_namespace(n, raw, ns)]
            if not mine:
                raise BadRequest(f"item_ids: {raw!r} belongs to another namespace than {ns!r}; outcomes are recorded only for this namespace's items")
            resolved.append((mine[0], raw))
        from agentmem.environment import TaskSpec
        from agentmem.hooks import RecallContext

        from .types import Recalled

        rid = run_id or new_id("mcp_")
        items = []
        for s_name, i in resolved:
            rec = all_stores[s_name].get_record(i)
            if rec is None:
                raise BadRequest(f"record_outcome: {s_name}/{i} is not in this memory")
            items.append(Recalled(record=rec.model_copy(update={"namespace": ns}), score=1.0, reasons=["named in record_outcome"]))
        # Credit, outcome log, audit and provenance: the reflective controller (updating mode, train_labels gate;
        # a live task reported by its user is training data for the memory).
        self.memory().learn(TaskSpec(id=new_id("mcp-task-"), instruction=task, metadata={"namespace": ns}), RecallContext(items=items), outcome, run_id=rid)
        return {"run_id": rid, "namespace": ns, "recorded": [f"{s}:{i}" for s, i in resolved]}


def build_server(service: MemoryService) -> Any:
    """An ``mcp`` ``MCPServer`` whose tools call ``service``; errors become MCP errors."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.shared.exceptions import MCPError
    from mcp_types import INVALID_PARAMS

    from . import __version__

    server = MCPServer(
        name="agentmem",
        version=__version__,
        instructions=(
            "agentmem memory. Call `recall` with the task before working on it, and `record_outcome` "
            "with the ids of the recalled items after it; `remember` stores a fact; `search_skills` "
            f"and `show_skill` browse the skill library. Namespace: {service.namespace}."
        ),
        warn_on_duplicate_tools=True,
    )

    def call(fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except BadRequest as exc:
            raise MCPError(INVALID_PARAMS, str(exc)) from exc
        except (AgentmemError, ConfigError, KeyError, ValueError, OSError) as exc:
            raise ToolError(str(exc)) from exc

    def recall(task: str, k: int = 8, budget_tokens: int | None = None, namespace: str | None = None) -> dict[str, Any]:
        """Memory context for a task: skills, facts and other stores, within a token budget.
        Returns the context text and the items (ids to pass to record_outcome)."""
        return call(service.recall, task, k=k, budget_tokens=budget_tokens, namespace=namespace)

    def remember(text: str, namespace: str | None = None) -> dict[str, Any]:
        """Remember one fact (a sentence or short paragraph) in the namespace."""
        return call(service.remember, text, namespace=namespace)

    def search_skills(query: str, k: int = 5) -> dict[str, Any]:
        """Search the skill library (hybrid BM25 + embeddings over names and descriptions)."""
        return {"skills": call(service.search_skills, query, k=k)}

    def show_skill(name: str) -> dict[str, Any]:
        """Show one skill: description, instructions, files, version and usage statistics."""
        return call(service.show_skill, name)

    def record_outcome(task: str, item_ids: list[str], score: float, success: bool, namespace: str | None = None, run_id: str | None = None) -> dict[str, Any]:
        """Record how a task went (score in [0, 1], success) for the recalled items that were in context."""
        return call(service.record_outcome, task, item_ids, score, success, namespace=namespace, run_id=run_id)

    for fn in (recall, remember, search_skills, show_skill, record_outcome):
        server.add_tool(fn, name=fn.__name__, description=fn.__doc__)
    return server


def serve(service: MemoryService, *, http: bool = False, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Run the server until the client disconnects (stdio) or the process is stopped (HTTP)."""
    server = build_server(service)
    if not http:
        server.run("stdio")
        return
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise ConfigError(f"--host {host!r}: the MCP server only listens on a loopback address (127.0.0.1, localhost, ::1)")
    server.run("streamable-http", host=host, port=port)


__all__ = ["BadRequest", "MemoryService", "SharedStore", "build_server", "serve"]
