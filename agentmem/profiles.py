"""Memory profiles: the one memory hook, configured per loop instead of one hook class per loop.

Every loop (``agentmem run``, the evaluation harnesses, the MCP server, your own code) reads
through :meth:`agentmem.Memory.recall` and writes through the reflective controller that
:meth:`agentmem.Memory.controller` returns. What differs between loops is configuration, a
:class:`MemoryProfile`:

* ``stores``: which of the home's stores recall searches and the controller may write
  (``skills``, ``behaviors``, ``concepts``, ``subroutines``, ``facts``);
* ``store_weights`` / ``store_limits`` / ``budget_tokens`` / ``max_store_share``: how recall
  scores across stores and fills its token budget (defaults: ``settings.recall``);
* ``views`` (with ``query_key``, ``skill_group``, ``concept_selection``): how recall reads and
  renders each store (:mod:`agentmem.recall_views`: topic-tagged behaviors first, concepts the
  model selects, ALFWorld skills first, facts as lines, ...), still inside ``Memory.recall``;
  ``proxy``: whether recall's stage 2 runs;
* ``learners``: who proposes edits after a task (``run_lesson`` works without a model; the
  curators ``behavior_curator``, ``concept_abstractor``, ``subroutine_decomposer`` and
  ``skill_reviser``, and the stores' own steps ``behavior_curation``,
  ``subroutine_decomposition`` and ``concept_abstraction``, need an LLM and are skipped without one);
* ``mode`` and ``write_gate``: whether and from which outcomes memory is written.

The shipped profiles (:data:`PROFILES`): ``run`` (``agentmem run``, the MCP server), ``experience``
(:func:`agentmem.experience.ExperienceMemory`), ``alfworld`` (``agentmem eval alfworld``),
``arc`` (``agentmem eval arc --solver llm``), ``locomo_turns`` and ``locomo_facts``
(``agentmem eval locomo``). They replace the per-environment hook classes that each had
their own reader.

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
#: Learners a profile may name (``run_lesson`` is model-free when no LLM is given). The first five
#: propose generic edits (:mod:`agentmem.learning.learners`); the last three run a store's own
#: extraction step (:mod:`agentmem.learning.store_learners`: the handbook's curation, the
#: subroutine decomposition, concept abstraction). Every one needs an LLM except ``run_lesson``.
KNOWN_LEARNERS = ("run_lesson", "behavior_curator", "concept_abstractor", "subroutine_decomposer", "skill_reviser",
                  "behavior_curation", "subroutine_decomposition", "concept_abstraction")
#: How a profile may read a store (:mod:`agentmem.recall_views`): ``search`` = the store's own hybrid
#: search (no view); ``topic_first`` = behaviors tagged with the task's topic, then similar ones;
#: ``selected`` = concepts picked by the model by exact name (or by embedding), with helpers;
#: ``pairs`` = subroutines as question/procedure pairs; ``skill_blocks`` = skills as ``### skill:``
#: blocks, ``skill_group`` first; ``lines`` = items as ``- text`` lines.
KNOWN_VIEWS = ("search", "topic_first", "selected", "pairs", "skill_blocks", "lines")


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
    views: dict[str, str] = Field(default_factory=dict, description="How recall reads each store (KNOWN_VIEWS); a store not named is searched plainly.")
    query_key: str | None = Field(default=None, description="Task metadata field searched instead of the instruction when set (ALFWorld: 'goal').")
    skill_group: str | None = Field(default=None, description="skill_blocks view: skills of this group first.")
    concept_selection: str = Field(default="llm", description="selected view: 'llm' (the model picks concepts by exact name when an LLM is given) or 'embedding'.")
    proxy: bool = Field(default=True, description="Stage 2 of recall (settings.recall.proxy); False keeps the stage-1 order (a benchmark that measures one retriever).")

    def model_post_init(self, _: Any) -> None:
        bad = [s for s in self.stores if s not in KNOWN_STORES]
        if bad:
            raise ConfigError(f"profile {self.name!r}: unknown store(s) {bad}; known: {list(KNOWN_STORES)}")
        bad = [x for x in self.learners if x not in KNOWN_LEARNERS]
        if bad:
            raise ConfigError(f"profile {self.name!r}: unknown learner(s) {bad}; known: {list(KNOWN_LEARNERS)}")
        bad = [f"{k}={v}" for k, v in self.views.items() if v not in KNOWN_VIEWS]
        if bad:
            raise ConfigError(f"profile {self.name!r}: unknown view(s) {bad}; known: {list(KNOWN_VIEWS)}")
        if self.concept_selection not in ("llm", "embedding"):
            raise ConfigError(f"profile {self.name!r}: concept_selection must be 'llm' or 'embedding', got {self.concept_selection!r}")


#: The shipped profiles: every loop's memory is ``Memory`` configured by one of these (docs/controller.md).
PROFILES: dict[str, MemoryProfile] = {
    # agentmem run: every store, generic rendering, a lesson per judged run
    "run": MemoryProfile(name="run", learners=["run_lesson"]),
    # the experience stores in any agent loop (was the ExperienceMemory class)
    "experience": MemoryProfile(name="experience", stores=["behaviors", "concepts", "subroutines"], views={"behaviors": "topic_first", "concepts": "selected", "subroutines": "pairs"},
                                store_limits={"behaviors": 5, "concepts": 4, "subroutines": 3}, budget_tokens=1500, max_store_share=0.45,
                                learners=["behavior_curation", "subroutine_decomposition"], mode=MemoryMode.updating),
    # agentmem eval alfworld --agent react (was AlfworldMemory): ALFWorld skills first, then behaviors, searched with the game's goal
    "alfworld": MemoryProfile(name="alfworld", stores=["skills", "behaviors"], views={"skills": "skill_blocks", "behaviors": "topic_first"}, query_key="goal",
                              skill_group="alfworld", store_limits={"skills": 3, "behaviors": 5}, budget_tokens=1500, max_store_share=0.6,
                              learners=["behavior_curation"], mode=MemoryMode.updating),
    # agentmem eval arc --model M (was ArcMemory): concepts selected for the task (+ the ARC skill-hints view the harness adds), concept abstraction after a verified solve
    "arc": MemoryProfile(name="arc", stores=["concepts"], views={"concepts": "selected"}, store_limits={"concepts": 4}, budget_tokens=3000, max_store_share=0.7,
                         learners=["concept_abstraction"], mode=MemoryMode.updating, write_gate=WriteGate.self_verification),
    # agentmem eval locomo --ingest memskill (was FactMemory): one conversation's facts as lines; QA never writes (its questions are test data)
    "locomo_facts": MemoryProfile(name="locomo_facts", stores=["facts"], views={"facts": "lines"}, store_limits={"facts": 10}, budget_tokens=2000, mode=MemoryMode.none, proxy=False),
    # agentmem eval locomo --ingest turns (was TurnMemory's own reader): one conversation's raw turns, a transient store the harness gives
    "locomo_turns": MemoryProfile(name="locomo_turns", stores=[], store_limits={"turns": 10}, budget_tokens=2000, mode=MemoryMode.none, proxy=False),
}


def make_learners(names: list[str], llm: Any = None, stores: dict[str, Any] | None = None) -> list[Any]:
    """Learner objects for ``names``; model-backed ones are skipped when ``llm`` is None, and a store's
    own learner (``behavior_curation`` ...) when that store is not in ``stores``."""
    from .learning import learners as L
    from .learning import store_learners as SL
    from .learning.lessons import RunLessonLearner

    native = {"behavior_curation": ("behaviors", SL.BehaviorCurationLearner), "subroutine_decomposition": ("subroutines", SL.SubroutineDecompositionLearner),
              "concept_abstraction": ("concepts", SL.ConceptAbstractionLearner)}
    out: list[Any] = []
    for n in names:
        if n == "run_lesson":
            out.append(RunLessonLearner(llm))
        elif llm is None:
            continue
        elif n in native:
            store_name, cls = native[n]
            if stores and store_name in stores:
                out.append(cls(stores[store_name], llm))
        else:
            out.append(getattr(L, n)(llm))
    return out


def view_for(profile: MemoryProfile, store: Any, llm: Any = None) -> Any:
    """``store`` as ``profile`` reads it (:mod:`agentmem.recall_views`); the store itself for ``search`` or no view."""
    from . import recall_views as V

    if isinstance(store, V.StoreView) or not hasattr(store, "name"):
        return store
    kind = profile.views.get(store.name, "search")
    k = profile.store_limits.get(store.name, 1000)
    if kind == "topic_first":
        return V.BehaviorsView(store, k=k, query_key=profile.query_key)
    if kind == "selected":
        view = V.ConceptsView(store, llm=llm if profile.concept_selection == "llm" else None, k=k)
        view.query_key = profile.query_key
        return view
    if kind == "pairs":
        view = V.SubroutinesView(store, k=k)
        view.query_key = profile.query_key
        return view
    if kind == "skill_blocks":
        share = int(profile.budget_tokens * profile.max_store_share) if profile.budget_tokens and profile.max_store_share else None
        return V.SkillGroupView(store, group=profile.skill_group, k=k, query_key=profile.query_key, budget_tokens=share)
    if kind == "lines":
        return V.LinesView(store, query_key=profile.query_key)
    return store if profile.query_key is None else V.StoreView(store, query_key=profile.query_key)


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
                write_gate: str | WriteGate | None = None, stores: list[Any] | None = None, learners: list[Any] | None = None, router: Any = None,
                extra_sources: list[Any] = (), overrides: dict[str, Any] | None = None) -> Any:  # type: ignore[assignment]
    """A :class:`~agentmem.memory.Memory` over the home of ``settings`` configured by ``profile``.

    ``mode``/``write_gate`` override the profile's; ``stores`` replaces the home's stores (tests,
    custom roots, a conversation's own fact store); each store is wrapped in the profile's view;
    ``extra_sources`` are read-only views recall also reads (e.g. ARC's composition hints);
    ``learners`` replaces the profile's learner objects; ``overrides`` updates profile fields
    (``{"budget_tokens": 400}``); ``router`` picks a skill before each task (e.g.
    :func:`agentmem.learning.routing.router_from_settings`).
    """
    from .memory import Memory

    if isinstance(profile, str) and profile not in PROFILES:
        raise ConfigError(f"unknown memory profile {profile!r}; known: {sorted(PROFILES)}")
    prof = PROFILES[profile] if isinstance(profile, str) else profile
    if overrides:
        prof = MemoryProfile.model_validate({**prof.model_dump(), **overrides})
    recall = settings.recall.model_copy(update={
        "store_weights": {**settings.recall.store_weights, **prof.store_weights},
        "store_limits": {**settings.recall.store_limits, **prof.store_limits},
        **({"budget_tokens": prof.budget_tokens} if prof.budget_tokens else {}),
        **({"max_store_share": prof.max_store_share} if prof.max_store_share else {}),
        **({} if prof.proxy else {"proxy": "none"}),
    })
    tuned = settings.model_copy(update={"recall": recall})
    live = stores if stores is not None else open_stores(settings, prof.stores)
    read = [view_for(prof, s, llm) for s in live] + list(extra_sources)
    by_name = {getattr(s, "name", ""): s for s in read}
    kw: dict[str, Any] = {"namespace": namespace, "mode": MemoryMode(mode or prof.mode).value, "write_gate": WriteGate(write_gate or prof.write_gate).value,
                          "learners": learners if learners is not None else make_learners(prof.learners, llm, by_name), "router": router}
    if kw["mode"] == MemoryMode.none.value and not prof.proxy:
        memory = Memory(read, settings=tuned, **kw)  # reads only: no outcome log to open, no proxy to load
    else:
        memory = Memory.from_settings(tuned, read, llm=llm, **kw)
    memory.profile = prof
    return memory
