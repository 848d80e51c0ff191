"""The ALFWorld memory loop through the reflective controller (read, act, judge, write, learn).

:class:`PlaybookMemory` is a :class:`~agentmem.hooks.MemoryHook` over a
:class:`~agentmem.learning.controller.ReflectiveController` whose live stores are the home's
concept memory and behavior handbook. Both the playbook agent and the ReAct LLM agent use
it, so what one learns is in the other's context.

* **Read** (``before_task``): the controller recalls through :func:`make_recall`, unified
  recall (``Memory.recall``) over two store views (:class:`PlacesView`,
  :class:`TaskBehaviorsView`), which look up by exact name the concepts the goal needs (``alfworld-where-<object>``, the
  lamp's, ``alfworld-appliance-<verb>``) and the handbook's ALFWorld behaviors for the task
  type; each concept record carries its parsed, decayed counts (``metadata["places"]``) and
  a one-line summary as its text (what an LLM reads). The controller drops retired items
  and routes by learned utility.
* **Write** (``after_task``, updating mode, gate ``train_labels``: only training games
  write): the learners below propose typed edits; the controller's engine validates,
  admits, journals, audits and applies them, with provenance.

  - :class:`LocationLearner`: one ``extend_concept`` per object type the game showed
    (where it was found and not found; :mod:`.places`) and per treatment that worked.
  - :class:`FailureLearner`: on a lost game, one ``add_behavior`` naming what went wrong
    (object never found, appliance never reached, lamp never switched on, out of steps).

* **Learn** (credit): :class:`SearchRescorer` is the controller's rescorer. It scores a set
  of recalled items on the finished game by how early the search order they induce puts the
  receptacle where the sought object actually was (``1 - position / receptacles``, room
  order without items), so each concept's marginal credit is the search it saved or cost.
  Concepts whose orderings keep costing searches drop below the retirement threshold and
  the controller retires them (kept in history, out of recall).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from agentmem.environment import TaskSpec
from agentmem.evals.alfworld.places import (
    PlaceStats,
    appliance_concept,
    appliance_note,
    evidence_from,
    parse_appliance_notes,
    parse_place_notes,
    place_note,
    rank_receptacles,
    where_concept,
)
from agentmem.evals.alfworld.tracker import GameTracker, actions_and_observations, otype
from agentmem.hooks import RecallContext
from agentmem.learning.edits import AddBehavior, EditLimits, ExtendConcept
from agentmem.learning.learners import LearningContext, Proposal
from agentmem.recall_views import StoreView
from agentmem.tokens import approx_tokens
from agentmem.types import Lifecycle, MemoryRecord, Outcome, Provenance, Recalled, Trust

_PLAN: Any = None


def plan_module() -> Any:
    """The plan-household-task playbook script (goal parsing), loaded once in-process."""
    global _PLAN
    if _PLAN is None:
        _PLAN = load_playbook("plan-household-task")
    return _PLAN


def skills_root() -> Path:
    from agentmem.resources import skills_dir

    return skills_dir() / "alfworld"


def load_playbook(name: str, root: Path | None = None) -> Any:
    """Import a shipped ALFWorld skill's entry script (``scripts/playbook.py``) as a module.

    The shipped skills are trusted code, so the agent calls their functions in-process (one
    Python call per step) instead of starting a sandboxed process per command.
    """
    path = (root or skills_root()) / name / "scripts" / "playbook.py"
    spec = importlib.util.spec_from_file_location(f"agentmem_alfworld_playbook_{name.replace('-', '_')}", path)
    if spec is None or spec.loader is None:
        from agentmem.errors import ConfigError

        raise ConfigError(f"{path}: cannot load the playbook script of skill {name!r}")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def goal_of_task(task: Any) -> dict[str, Any] | None:
    """The parsed goal of an ALFWorld task (None when the sentence cannot be read)."""
    from agentmem.evals.alfworld.env import goal_of

    sentence = str((getattr(task, "metadata", {}) or {}).get("goal") or goal_of(getattr(task, "instruction", "")))
    try:
        return plan_module().parse_goal(sentence)
    except ValueError:
        return None


def sought_types(goal: dict[str, Any] | None) -> list[str]:
    if not goal:
        return []
    return [t for t in (goal.get("object"), goal.get("lamp")) if t]


# ---- Read -----------------------------------------------------------------------------------------
class Advice:
    """What the recalled items say, in the form the playbook agent decides with."""

    def __init__(self, items: list[Recalled]) -> None:
        self.places: dict[str, PlaceStats] = {}
        self.appliances: dict[str, list[str]] = {}
        self.behaviors: list[str] = []
        for r in items:
            md = r.record.metadata
            if "places" in md:
                st = PlaceStats.model_validate(md["places"])
                self.places[st.obj] = st
            elif "appliances" in md:
                self.appliances[md["verb"]] = list(md["appliances"])
            elif r.record.store == "behaviors":
                self.behaviors.append(r.record.text)

    def search_order(self, obj_type: str, receptacles: list[str]) -> list[str]:
        return rank_receptacles(receptacles, self.places.get(obj_type))


def concept_items(concepts: Any, task: Any, *, decay: float = 0.97, namespace: str = "default/default") -> list[Recalled]:
    """The concepts the goal needs, looked up by exact name, as recalled items carrying their parsed counts."""
    goal = goal_of_task(task)
    items: list[Recalled] = []
    if goal is None:
        return items
    for obj in sought_types(goal):
        c = concepts.get(where_concept(obj))
        if c is None or c.state != Lifecycle.active:
            continue
        st = parse_place_notes(obj, c.implementation, decay)
        rec = MemoryRecord(id=c.name, store="concepts", title=c.name, text=st.summary(), state=c.state, trust=c.trust, namespace=namespace,
                           metadata={"format": "concept", "places": st.model_dump()})
        items.append(Recalled(record=rec, score=1.0, tokens=approx_tokens(rec.text), reasons=[f"the goal names a {obj}"]))
    verb = goal.get("treatment")
    if verb:
        c = concepts.get(appliance_concept(verb))
        if c is not None and c.state == Lifecycle.active:
            kinds = parse_appliance_notes(c.implementation)
            text = f"{verb} worked with: {', '.join(kinds)} (most often first)."
            rec = MemoryRecord(id=c.name, store="concepts", title=c.name, text=text, state=c.state, trust=c.trust, namespace=namespace,
                               metadata={"format": "concept", "verb": verb, "appliances": kinds})
            items.append(Recalled(record=rec, score=1.0, tokens=approx_tokens(text), reasons=[f"the goal needs to {verb}"]))
    return items


def behavior_items(behaviors: Any, task: Any, *, namespace: str = "default/default") -> list[Recalled]:
    """The handbook's ALFWorld behaviors for the goal's task type (and for any type)."""
    goal = goal_of_task(task)
    if goal is None:
        return []
    prefixes = (f"behavior_alfworld_{goal['type']}_", "behavior_alfworld_any_")
    items = []
    for b in behaviors.all():
        if b.state == Lifecycle.active and b.name.startswith(prefixes):
            rec = behaviors.get_record(b.name).model_copy(update={"namespace": namespace})
            items.append(Recalled(record=rec, score=0.5, tokens=approx_tokens(rec.text), reasons=[f"behavior for {goal['type']}"]))
    return items


class PlacesView(StoreView):
    """The concept store as the playbook reads it: exact-name lookups of the goal's objects and treatment."""

    def __init__(self, store: Any, *, decay: float = 0.97) -> None:
        super().__init__(store)
        self.decay = decay

    def recall_candidates(self, task: TaskSpec, k: int, namespace: str) -> list[Recalled]:
        return concept_items(self.view_of, task, decay=self.decay, namespace=namespace)

    def render_recalled(self, items: list[Recalled]) -> str | None:
        return render_for_prompt(items)


class TaskBehaviorsView(StoreView):
    """The behavior handbook as the playbook reads it: the behaviors for the goal's task type."""

    def recall_candidates(self, task: TaskSpec, k: int, namespace: str) -> list[Recalled]:
        return behavior_items(self.view_of, task, namespace=namespace)

    def render_recalled(self, items: list[Recalled]) -> str | None:
        return render_for_prompt(items)


#: recall budget of the playbook's memory: every item the goal names fits (a few concepts, the type's behaviors)
PLAYBOOK_BUDGET_TOKENS = 4000


def make_recall(concepts: Any, behaviors: Any | None, *, decay: float = 0.97, settings: Any = None) -> Any:
    """The controller's recall for ALFWorld: unified recall (:meth:`agentmem.memory.Memory.recall`)
    over two store views, the exact-name concept lookups and the task type's behaviors."""
    from agentmem.memory import Memory
    from agentmem.settings import Settings

    views: list[Any] = [PlacesView(concepts, decay=decay)]
    if behaviors is not None:
        views.append(TaskBehaviorsView(behaviors))
    memory = Memory.from_settings(settings or Settings.load(), views, mode="frozen")

    def recall(task: Any) -> RecallContext:
        if goal_of_task(task) is None:
            return RecallContext()
        return memory.recall(task, budget_tokens=PLAYBOOK_BUDGET_TOKENS)

    return recall


def render_for_prompt(items: list[Recalled]) -> str:
    """Recalled ALFWorld memory as prompt text (used by the ReAct agent)."""
    if not items:
        return ""
    lines = ["## What earlier games showed (memory; may be wrong)"]
    for r in items:
        lines.append(f"- [{r.record.store}/{r.record.id}] {r.record.text}")
    return "\n".join(lines)


# ---- Write: learners --------------------------------------------------------------------------------
def tracker_of(task: Any, trajectory: list[Any]) -> GameTracker:
    actions, observations = actions_and_observations(trajectory)
    return GameTracker.replay(str(getattr(task, "instruction", "")), actions, observations)


def _prov(ctx: LearningContext, who: str) -> Provenance:
    return Provenance(source="learned", task_id=getattr(ctx.task, "id", None), run_id=ctx.run_id, note=f"proposed by {who}")


class LocationLearner:
    """Proposes ``extend_concept`` edits: where each object type was found / not found in the game,
    and which appliance type cleaning, heating or cooling worked with."""

    name = "alfworld_locations"

    def __init__(self, concepts: Any, *, max_types: int = 24) -> None:
        self.concepts = concepts
        self.max_types = max_types

    def propose(self, ctx: LearningContext) -> Proposal:
        goal = goal_of_task(ctx.task)
        tracker = tracker_of(ctx.task, ctx.trajectory)
        ev = evidence_from(tracker, str(getattr(ctx.task, "id", "")), sought_types(goal))
        sought = set(sought_types(goal))
        objs = sorted(ev.places, key=lambda o: (o not in sought, o))[: self.max_types]
        edits: list[Any] = []
        for obj in objs:
            found, missed = ev.places[obj]
            name = where_concept(obj)
            text = place_note(ev.key, found, missed)
            if self.concepts.get(name) is None:
                text = f"Where {obj} objects were found in ALFWorld rooms (one note per game: receptacle types it was in, and types searched without it).\n{text}"
            edits.append(ExtendConcept(concept=name, text=text, trust=Trust.learned, proposer=self.name, provenance=_prov(ctx, self.name),
                                       reason=f"game {getattr(ctx.task, 'id', '')}: {obj} seen in {', '.join(found) or 'no place'}"))
        for verb, kinds in ev.appliances.items():
            name = appliance_concept(verb)
            text = appliance_note(ev.key, verb, kinds)
            if self.concepts.get(name) is None:
                text = f"Receptacle types where '{verb} X with Y' worked in ALFWorld games.\n{text}"
            edits.append(ExtendConcept(concept=name, text=text, trust=Trust.learned, proposer=self.name, provenance=_prov(ctx, self.name), reason=f"{verb} worked with {', '.join(kinds)}"))
        return Proposal(edits=edits)


class FailureLearner:
    """On a lost game, proposes one ``add_behavior`` saying what went wrong (for the task type)."""

    name = "alfworld_failures"

    def propose(self, ctx: LearningContext) -> Proposal:
        if ctx.outcome.success:
            return Proposal()
        goal = goal_of_task(ctx.task)
        if goal is None:
            return Proposal()
        t = tracker_of(ctx.task, ctx.trajectory)
        obj = goal["object"]
        seen_obj = any(otype(o) == obj for o in t.first_seen)
        held = t.holding is not None and otype(t.holding) == obj or any(otype(o) == obj for o in t.taken_from)
        tt = goal["type"]
        if not seen_obj:
            looked = sorted({otype(r) for r in t.visited})
            unseen = sorted({otype(r) for r in t.receptacles} - set(looked))
            name, instruction = f"alfworld {tt} search {obj} everywhere", (
                f"A {obj} may be in none of the usual places: after {', '.join(looked[:8]) or 'nothing'} came up empty, open and search the rest"
                + (f" ({', '.join(unseen[:8])})" if unseen else "") + " before giving up.")
        elif not held:
            name, instruction = f"alfworld {tt} take {obj} when seen", f"Once a {obj} is seen, go to it, open its receptacle if closed, and take it before searching further."
        elif goal.get("treatment") and not t.treated:
            verb = goal["treatment"]
            name, instruction = f"alfworld {tt} {verb} at the appliance", f"To {verb} the {obj}, stand at the appliance while holding it and use '{verb} {obj} N with APPLIANCE N'; check the admissible commands there."
        elif goal.get("lamp") and not t.lamp_on:
            lamp = goal["lamp"]
            name, instruction = f"alfworld {tt} use the {lamp}", f"A task that names a {lamp} needs it switched on ('use {lamp} N') while holding the {obj}, not carried."
        else:
            name, instruction = f"alfworld {tt} finish {obj} within budget", f"The {obj} was handled but the game ran out of steps ({t.steps}): go straight to the target and put it there; avoid revisiting receptacles."
        if t.failed:
            instruction += f" Commands that did nothing: {', '.join(sorted(set(t.failed))[:3])}."
        edit = AddBehavior(name=name, instruction=instruction[:380], when=f"ALFWorld {tt} tasks", trust=Trust.learned, proposer=self.name, provenance=_prov(ctx, self.name),
                           reason=f"lost game {getattr(ctx.task, 'id', '')} after {t.steps} steps")
        return Proposal(edits=[edit])


# ---- Learn: credit ----------------------------------------------------------------------------------
class SearchRescorer:
    """Scores a set of recalled items on a finished game by the search order they induce (see the module docstring).

    ``observe(task_id, tracker, sought)`` must be called with the finished game before the
    controller's ``after_task`` asks for scores.
    """

    def __init__(self) -> None:
        self._games: dict[str, tuple[list[str], dict[str, str]]] = {}

    def observe(self, task_id: str, tracker: GameTracker, sought: list[str]) -> None:
        where: dict[str, str] = {}
        for obj in sought:
            hits = [r for o, r in tracker.taken_from.items() if otype(o) == obj] or [r for o, r in tracker.first_seen.items() if otype(o) == obj]
            if hits and hits[0] in tracker.receptacles:
                where[obj] = hits[0]
        self._games[task_id] = (list(tracker.receptacles), where)

    def __call__(self, task: Any, items: list[Recalled]) -> float:
        room, where = self._games.get(getattr(task, "id", ""), ([], {}))
        if not where or not room:
            return 0.0
        advice = Advice(items)
        scores = [1.0 - advice.search_order(obj, room).index(recep) / len(room) for obj, recep in where.items()]
        return sum(scores) / len(scores)


# ---- the hook -------------------------------------------------------------------------------------
class PlaybookMemory:
    """ALFWorld memory through the reflective controller (see the module docstring)."""

    def __init__(self, controller: Any, concepts: Any, behaviors: Any | None, rescorer: SearchRescorer, *, split: str | None = None) -> None:
        self.controller = controller
        self.concepts = concepts
        self.behaviors = behaviors
        self.rescorer = rescorer
        self.split = split
        self.last_report: Any = None

    @classmethod
    def open(cls, settings: Any, *, mode: str = "frozen", split: str | None = None, decay: float = 0.97) -> PlaybookMemory:
        """Concepts and behaviors of the home of ``settings`` behind a controller in ``mode``
        (``updating`` writes with the ``train_labels`` gate: only games marked ``split="train"``)."""
        from agentmem.learning.appliers import ApplierRegistry
        from agentmem.learning.controller import ControllerConfig, ReflectiveController
        from agentmem.learning.gate import AdmissionPolicy, MemoryMode, WriteGate
        from agentmem.learning.state import MemoryState
        from agentmem.learning.store_appliers import (
            BehaviorApplier,
            ConceptApplier,
            settings_for,
        )
        from agentmem.retrieval.hash_embedder import HashEmbedder
        from agentmem.retrieval.memory_index import InMemoryIndex
        from agentmem.stores.behaviors import BehaviorHandbook
        from agentmem.stores.concept_models import ConceptConfig
        from agentmem.stores.concepts import ConceptMemory

        # Exact-name lookups need no embedder; the hash embedder and in-memory index only serve the
        # handbook's near-duplicate check, so the loop never loads a neural model.
        concepts = ConceptMemory(settings, embedder=HashEmbedder(), index=InMemoryIndex(), config=ConceptConfig(max_item_bytes=400_000))
        behaviors = BehaviorHandbook(settings, embedder=HashEmbedder(), index=InMemoryIndex())
        rescorer = SearchRescorer()
        m = MemoryMode(mode)
        cfg = ControllerConfig(mode=m, write_gate=WriteGate.train_labels if m == MemoryMode.updating else None,
                               policy=AdmissionPolicy(max_adds_per_run=40), limits=EditLimits(max_edits_per_run=60, max_text_chars=2000))
        registry = ApplierRegistry()
        registry.register("concepts", ConceptApplier())
        registry.register("behaviors", BehaviorApplier())
        openers = {  # dry runs apply edits to copies opened like the live stores
            "concepts": lambda root: ConceptMemory(settings_for(settings, Path(root), concepts.root), root=Path(root), embedder=HashEmbedder(), index=InMemoryIndex(), config=concepts.config),
            "behaviors": lambda root: BehaviorHandbook(settings_for(settings, Path(root), behaviors.root), root=Path(root), embedder=HashEmbedder(), index=InMemoryIndex()),
        }
        state = MemoryState.from_settings(settings, [concepts, behaviors], openers=openers)
        ctl = ReflectiveController(state, settings.home, config=cfg, registry=registry, recall=make_recall(concepts, behaviors, decay=decay, settings=settings),
                                   learners=[LocationLearner(concepts), FailureLearner()], rescore=rescorer, renderer=render_for_prompt)
        return cls(ctl, concepts, behaviors, rescorer, split=split)

    def _mark(self, task: TaskSpec) -> TaskSpec:
        """The declared split for a task that does not carry its own (a game under a known split folder
        keeps the environment's label, so declaring ``split="train"`` cannot make evaluation games training data)."""
        if self.split and not (task.metadata or {}).get("split"):
            return task.model_copy(update={"metadata": {**(task.metadata or {}), "split": self.split}})
        return task

    def before_task(self, task: TaskSpec) -> RecallContext:
        return self.controller.before_task(self._mark(task), explore=False)

    def advice(self, context: RecallContext) -> Advice:
        return Advice(context.items)

    def after_task(self, task: TaskSpec, context: RecallContext, trajectory: list[Any], outcome: Outcome, run_id: str) -> None:
        task = self._mark(task)
        if self.controller.mode.value == "updating":
            self.rescorer.observe(task.id, tracker_of(task, trajectory), sought_types(goal_of_task(task)))
        self.last_report = self.controller.after_task(task, context, trajectory, outcome, run_id)
