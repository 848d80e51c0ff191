"""Memory profiles: the one memory hook, configured per loop instead of one hook class per loop.

Every loop (``agentmem run``, the evaluation harnesses, the MCP server, your own code) reads
through :meth:`agentmem.Memory.recall` and writes through the reflective controller that
:meth:`agentmem.Memory.controller` returns. What differs between loops is configuration, a
:class:`MemoryProfile`:

* ``stores``: which of the home's stores recall searches and the controller may write
  (``skills``, ``behaviors``, ``concepts``, ``subroutines``, ``facts``);
* ``store_weights`` / ``store_limits`` / ``budget_tokens`` / ``max_store_share``: how recall
  scores across stores and fills its token budget (defaults: ``settings.recall``);
* ``learners``: who proposes edits after a task (``run_lesson`` works without a model; the
  curators ``behavior_curator``, ``concept_abstractor``, ``subroutine_decomposer`` and
  ``skill_reviser`` need an LLM and are skipped without one);
* ``mode`` and ``write_gate``: whether and from which outcomes memory is written.

:func:`memory_for` wires a profile over the home of ``settings`` and returns the
:class:`~agentmem.memory.Memory`; use ``memory`` itself as the agent's hook (recall, then
credit and learning through the controller) or ``memory.controller()`` to add utility routing
and the skill router.

Example::

    memory = memory_for(settings, PROFILES["run"], llm=None, namespace="alice", mode="updating")
    ctx = memory.recall("deploy the web app")
    ...
    memory.learn("deploy the web app", ctx, Outcome(score=1.0, success=True, source="verifier"))
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .errors import ConfigError
from .learning.gate import MemoryMode, WriteGate

#: Stores a profile may name, in recall order.
KNOWN_STORES = ("skills", "behaviors", "concepts", "subroutines", "facts")
#: Learners a profile may name (``run_lesson`` is model-free when no LLM is given).
KNOWN_LEARNERS = ("run_lesson", "behavior_curator", "concept_abstractor", "subroutine_decomposer", "skill_reviser")


class MemoryProfile(BaseModel):
    """How one loop uses memory (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    stores: list[str] = Field(default_factory=lambda: list(KNOWN_STORES))
    store_weights: dict[str, float] = Field(default_factory=dict, description="Overrides settings.recall.store_weights.")
    store_limits: dict[str, int] = Field(default_factory=dict, description="Overrides settings.recall.store_limits.")
    budget_tokens: int | None = Field(default=None, gt=0, description="Recall budget (default settings.recall.budget_tokens).")
    max_store_share: float | None = Field(default=None, gt=0.0, le=1.0)
    learners: list[str] = Field(default_factory=list)
    mode: MemoryMode = MemoryMode.frozen
    write_gate: WriteGate = WriteGate.train_labels

    def model_post_init(self, _: Any) -> None:
        bad = [s for s in self.stores if s not in KNOWN_STORES]
        if bad:
            raise ConfigError(f"profile {self.name!r}: unknown store(s) {bad}; known: {list(KNOWN_STORES)}")
        bad = [x for x in self.learners if x not in KNOWN_LEARNERS]
        if bad:
            raise ConfigError(f"profile {self.name!r}: unknown learner(s) {bad}; known: {list(KNOWN_LEARNERS)}")


#: The shipped profiles. Only ``agentmem run`` reads through a profile today; the evaluation hooks
#: (``ExperienceMemory``, ``AlfworldMemory``, ``ArcMemory``, LoCoMo's memories) still configure their
#: own readers and share only the write path (``controller_over``), see docs/controller.md.
PROFILES: dict[str, MemoryProfile] = {
    "run": MemoryProfile(name="run", learners=["run_lesson"]),
}


def make_learners(names: list[str], llm: Any = None) -> list[Any]:
    """Learner objects for ``names``; model-backed ones are skipped when ``llm`` is None."""
    from .learning import learners as L
    from .learning.lessons import RunLessonLearner

    out: list[Any] = []
    for n in names:
        if n == "run_lesson":
            out.append(RunLessonLearner(llm))
        elif llm is not None:
            out.append(getattr(L, n)(llm))
    return out


def open_stores(settings: Any, names: list[str]) -> list[Any]:
    """The home's live stores named in ``names`` (the skill library is shared by every namespace)."""
    from .learning.wiring import STORE_PLUGINS, _load_plugin
    from .stores.shared import SharedStore

    specs = dict(STORE_PLUGINS)
    out: list[Any] = []
    for name in names:
        fn = _load_plugin(specs[name])
        got = fn(settings) if fn is not None else None
        if got is None:
            continue
        store = got[0]
        out.append(SharedStore(store) if name == "skills" else store)
    return out


def memory_for(settings: Any, profile: MemoryProfile | str, *, llm: Any = None, namespace: str | None = None, mode: str | MemoryMode | None = None,
                write_gate: str | WriteGate | None = None, stores: list[Any] | None = None, learners: list[Any] | None = None, router: Any = None) -> Any:
    """A :class:`~agentmem.memory.Memory` over the home of ``settings`` configured by ``profile``.

    ``mode``/``write_gate`` override the profile's; ``stores`` replaces the home's stores (tests,
    custom roots); ``learners`` replaces the profile's learner objects; ``router`` picks a skill
    before each task (e.g. :func:`agentmem.learning.routing.router_from_settings`).
    """
    from .memory import Memory

    prof = PROFILES[profile] if isinstance(profile, str) else profile
    if isinstance(profile, str) and profile not in PROFILES:
        raise ConfigError(f"unknown memory profile {profile!r}; known: {sorted(PROFILES)}")
    recall = settings.recall.model_copy(update={
        "store_weights": {**settings.recall.store_weights, **prof.store_weights},
        "store_limits": {**settings.recall.store_limits, **prof.store_limits},
        **({"budget_tokens": prof.budget_tokens} if prof.budget_tokens else {}),
        **({"max_store_share": prof.max_store_share} if prof.max_store_share else {}),
    })
    tuned = settings.model_copy(update={"recall": recall})
    live = stores if stores is not None else open_stores(settings, prof.stores)
    return Memory.from_settings(tuned, live, llm=llm, namespace=namespace, mode=MemoryMode(mode or prof.mode).value,
                                write_gate=WriteGate(write_gate or prof.write_gate).value,
                                learners=learners if learners is not None else make_learners(prof.learners, llm), router=router)
