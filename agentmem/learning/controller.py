"""The reflective read-write controller: Read, Act, Judge, Write, Learn (PAPERS.md section 7).

:class:`ReflectiveController` implements :class:`~agentmem.hooks.MemoryHook`, so any
runner calls it around a task:

* **Read** (:meth:`before_task`): recall from every store under one budget (an injected
  ``recall`` callable, e.g. the unified ``Memory`` recall; default: search each live store),
  drop items that are not active, re-rank by learned utility with an exploration bonus
  (routing), keep ``context_k`` items, and ask an optional ``router`` for a skill.
* **Act**: the runner (external) runs the agent; :meth:`run` does it for a plain function.
* **Judge**: the outcome arrives with its source (environment, verifier, llm_judge, oracle)
  and that source is recorded everywhere.
* **Write** (:meth:`after_task`): if the mode is ``updating`` and the explicit write gate lets
  this outcome drive writes, learners propose typed edits; the :class:`EditEngine` validates,
  admits and applies them atomically, with audit and provenance.
* **Learn**: each item in context gets credit (marginal with a ``rescore`` callable and
  budget, else outcome-weighted usage), recorded in the outcome log and the store's usage;
  items whose utility stays low are retired (kept in history, out of recall).

Example::

    ctl = ReflectiveController.from_settings(settings, stores=[behaviors], learners=[behavior_curator(llm)],
                                             mode="updating", write_gate="train_labels")
    ctx = ctl.before_task(task)
    ...  # run the agent with ctx.text in its prompt
    report = ctl.after_task(task, ctx, trajectory, outcome, run_id)
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agentmem.hooks import RecallContext
from ..errors import AgentmemError, ConfigError
from ..fileio import home_lock
from ..types import Lifecycle, Outcome, Recalled, Trust, new_id
from .appliers import ApplierRegistry
from .audit import AuditEntry
from .credit import CreditConfig, ItemCredit, Rescorer, UtilityTable, assign_credit
from .edits import ActivateItem, EditLimits, Refusal, RetireItem, UpdateUtility
from .engine import ApplyReport, EditEngine
from .gate import AdmissionPolicy, MemoryMode, WriteGate, gate_allows
from .learners import Learner, LearningContext
from .outcome_log import OutcomeLog, OutcomeRow
from .provenance import ItemHistory
from .snapshots import Snapshot, StateDiff
from .state import MemoryState, StoreOpener

log = logging.getLogger(__name__)

#: ``recall(task) -> RecallContext`` (candidates; the controller re-ranks and cuts them).
Recall = Callable[[Any], RecallContext]
#: ``router(task, context) -> skill name or None``.
Router = Callable[[Any, RecallContext], "str | None"]
#: ``act(task, context) -> (trajectory, outcome)``.
Act = Callable[[Any, RecallContext], "tuple[list[Any], Outcome]"]


class ControllerConfig(BaseModel):
    """How the controller reads, judges and writes."""

    mode: MemoryMode = MemoryMode.frozen
    write_gate: WriteGate | None = Field(default=None, description="Required in updating mode: train_labels, self_verification or oracle (no default).")
    context_k: int | None = Field(default=None, gt=0, description="Items kept in context after routing (None = all recalled).")
    route_by_utility: bool = Field(default=True, description="Re-rank recalled items by learned utility (+ exploration).")
    candidates_per_store: int = Field(default=20, gt=0, description="Default recall: candidates fetched from each live store.")
    credit: CreditConfig = Field(default_factory=CreditConfig)
    policy: AdmissionPolicy = Field(default_factory=AdmissionPolicy)
    limits: EditLimits = Field(default_factory=EditLimits)
    dry_run: bool = Field(default=False, description="Propose and validate, show the diff, change nothing.")


class RunReport(BaseModel):
    """What the controller did after one task."""

    run_id: str
    task_id: str
    mode: MemoryMode
    write_gate: WriteGate | None = None
    outcome: Outcome
    gate_open: bool = False
    gate_reason: str = ""
    credits: list[ItemCredit] = Field(default_factory=list)
    apply: ApplyReport | None = None


def render_memory(items: list[Recalled]) -> str:
    """Default rendering of recalled items for the prompt."""
    if not items:
        return ""
    parts = ["## Memory (reference material; may be wrong)"]
    for r in items:
        parts.append(f"[{r.record.store}/{r.record.id}] {r.record.title}\n{r.record.text}")
    return "\n\n".join(parts)


def skills_used(context: RecallContext, outcome: Outcome) -> list[str]:
    """Skills a run acted on: the routed skill and ``outcome.detail["skills_used"]`` (a solver's report)."""
    names = [context.routed_skill] if context.routed_skill else []
    for n in outcome.detail.get("skills_used") or []:
        if isinstance(n, str) and n not in names:
            names.append(n)
    return names


def _task_namespace(task: Any) -> str:
    ns = (getattr(task, "metadata", None) or {}).get("namespace")
    if not ns:
        return "default/default"
    from ..stores.memory_store import namespace_key

    return namespace_key(ns)


#: Outcome-log marker: audit rows up to this id have their ``apply`` credits recorded.
_CREDIT_MARK = "credits_reconciled_audit_id"


def _credit_row(e: dict[str, Any], store: str, run_id: str, task_id: str | None, task_text: str, topic: str | None, namespace: str, used: bool, source: str) -> OutcomeRow:
    """The outcome-log row of one applied credited ``update_utility`` edit (``e`` is its payload)."""
    return OutcomeRow(run_id=run_id, task_id=task_id, task_text=task_text, topic=topic, namespace=namespace, store=store, item_id=str(e["item_id"]),
                      used=used, reward=float(e["reward"]), success=bool(e["success"]), outcome_source=source,
                      extra={"mode": "manual", "credit": float(e["credit"]), "credit_method": e.get("credit_method", "usage"), "edit_id": e["edit_id"]})


def _judged(score: float, success: bool, source: str) -> Outcome | None:
    try:
        return Outcome.model_validate({"score": score, "success": success, "source": source})
    except ValueError:  # an audit row from a newer or older version naming another judge
        return None


class ReflectiveController:
    """The read-write reflective learning loop over a :class:`MemoryState` (see the module docstring)."""

    def __init__(
        self,
        state: MemoryState,
        home: str | Path,
        *,
        recall: Recall | None = None,
        router: Router | None = None,
        learners: Iterable[Learner] = (),
        rescore: Rescorer | None = None,
        registry: ApplierRegistry | None = None,
        config: ControllerConfig | None = None,
        outcome_log: OutcomeLog | None = None,
        renderer: Callable[[list[Recalled]], str] = render_memory,
    ) -> None:
        self.config = config or ControllerConfig()
        if self.config.mode == MemoryMode.updating and self.config.write_gate is None:
            raise ConfigError("mode 'updating' needs an explicit write_gate: 'train_labels', 'self_verification' or 'oracle' (there is no default)")
        self.state = state
        self.home = Path(home)
        self.recall = recall
        self.router = router
        self.learners = list(learners)
        self.rescore = rescore
        self.renderer = renderer
        self.engine = EditEngine(state, self.home, registry=registry, policy=self.config.policy, limits=self.config.limits)
        self.outcomes = outcome_log or OutcomeLog(self.home / "outcomes.sqlite")
        self.utilities = UtilityTable.from_rows(self.outcomes.rows(), self.config.credit)
        try:
            self.reconcile_credits(wait=False)  # credits of a writer killed after its commit (cheap when none)
        except Exception as exc:  # noqa: BLE001 - opening goes on; the next credited apply reconciles (and raises)
            log.warning("controller: could not record the credits a killed writer left in %s: %s", self.home, exc)
        self.last_report: RunReport | None = None
        self.last_context: RecallContext | None = None

    @classmethod
    def from_settings(cls, settings: Any, stores: Iterable[Any] = (), *, openers: dict[str, StoreOpener] | None = None, mode: str | MemoryMode = MemoryMode.frozen, write_gate: str | WriteGate | None = None, **kw: Any) -> "ReflectiveController":
        """A controller over the home of ``settings`` with the given live ``stores``."""
        cfg = kw.pop("config", None) or ControllerConfig(mode=MemoryMode(mode), write_gate=WriteGate(write_gate) if write_gate else None, candidates_per_store=settings.recall.candidates_per_store)
        return cls(MemoryState.from_settings(settings, stores, openers=openers), settings.home, config=cfg, **kw)

    @property
    def mode(self) -> MemoryMode:
        return self.config.mode

    # ---- Read -----------------------------------------------------------------------------------
    def _default_recall(self, task: Any) -> RecallContext:
        items: list[Recalled] = []
        for store in self.state.stores.values():
            items.extend(store.search(task.instruction, k=self.config.candidates_per_store))
        items.sort(key=lambda r: (-r.score, r.record.store, r.record.id))
        return RecallContext(items=items)

    def before_task(self, task: Any, *, explore: bool = True) -> RecallContext:
        """Recall, drop inactive items, route by utility, keep ``context_k`` items, pick a skill.

        ``explore=False`` drops the exploration bonus (pure exploitation, for evaluation).
        """
        if self.mode == MemoryMode.none:
            return RecallContext()
        ctx = (self.recall or self._default_recall)(task)
        items = [r for r in ctx.items if r.record.state == Lifecycle.active]
        if self.config.route_by_utility:
            scored = []
            for r in items:
                s = self.utilities.routing_score(r.record.store, r.record.id, r.score, explore=explore)
                u = self.utilities.utility(r.record.store, r.record.id)
                scored.append((s, r.model_copy(update={"reasons": [*r.reasons, f"utility {u:+.3f}"]})))
            scored.sort(key=lambda t: (-t[0], t[1].record.store, t[1].record.id))
            items = [r for _, r in scored]
        if self.config.context_k is not None:
            items = items[: self.config.context_k]
        changed = [r.record.id for r in items] != [r.record.id for r in ctx.items]
        out = RecallContext(
            text=self.renderer(items) if (changed or not ctx.text) else ctx.text,
            items=items,
            tokens=sum(r.tokens for r in items),
            routed_skill=ctx.routed_skill,
        )
        if self.router is not None:
            out.routed_skill = self.router(task, out)
            skills = self.state.stores.get("skills")
            if out.routed_skill and skills is not None and out.routed_skill not in {r.record.id for r in items if r.record.store == "skills"}:
                rec = skills.get_record(out.routed_skill)
                if rec is not None and rec.state == Lifecycle.active:  # the routed skill goes in front, even if recall missed it
                    items = [Recalled(record=rec, score=1.0, reasons=["routed by the skill router"]), *items]
                    out = RecallContext(text=self.renderer(items), items=items, tokens=sum(r.tokens for r in items), routed_skill=out.routed_skill)
        self.last_context = out
        return out

    # ---- Act + Judge (convenience) -----------------------------------------------------------------
    def run(self, task: Any, act: Act, run_id: str | None = None) -> tuple[RecallContext, list[Any], Outcome, RunReport]:
        """Read, act with ``act(task, context) -> (trajectory, outcome)``, then write and learn."""
        run_id = run_id or new_id("run-")
        ctx = self.before_task(task)
        trajectory, outcome = act(task, ctx)
        report = self.after_task(task, ctx, trajectory, outcome, run_id)
        return ctx, trajectory, outcome, report

    def run_task(self, agent: Any, env: Any, *, runner: Any, task_id: str | None = None) -> tuple[Any, RunReport | None]:
        """Run ``agent`` on ``env`` with this controller as its memory; return ``(RunResult, RunReport)``.

        ``runner`` is an :class:`agentmem.agent.runner.Runner` (learning never imports the agent
        layer); it calls :meth:`before_task` and :meth:`after_task` around the episode.
        """
        self.last_report = None
        result = runner.run(agent.model_copy(update={"memory": self}), env, task_id=task_id)
        return result, self.last_report

    # ---- Write + Learn ------------------------------------------------------------------------------
    def after_task(self, task: Any, context: RecallContext, trajectory: list[Any], outcome: Outcome, run_id: str) -> RunReport:
        """Log the outcome, credit the items in context, and apply admitted learner edits (updating mode)."""
        report = RunReport(run_id=run_id, task_id=task.id, mode=self.mode, write_gate=self.config.write_gate, outcome=outcome)
        self.last_report = report
        if self.mode == MemoryMode.none:
            return report
        topic = getattr(task, "topic", None)
        if self.mode == MemoryMode.frozen or outcome.detail.get("judged", True) is False:
            # frozen mode, or nobody judged the run yet (e.g. `agentmem run` without --check):
            # log what was in context; `rate` can apply the verdict later.
            if self.mode == MemoryMode.updating:
                report.gate_reason = "unjudged outcome: nothing written (rate the run to learn from it)"
            self._log(task, context, outcome, run_id, {})
            self._provenance(task, context, outcome, run_id, {})
            return report
        assert self.config.write_gate is not None
        ok, why = gate_allows(self.config.write_gate, getattr(task, "metadata", {}) or {}, outcome)
        report.gate_open, report.gate_reason = ok, why
        if not ok:
            self._log(task, context, outcome, run_id, {})
            self._provenance(task, context, outcome, run_id, {})
            self.engine.audit.record([AuditEntry(edit_id=f"gate-{run_id}", status="refused", run_id=run_id, task_id=task.id, kind="run", reason=f"gate: {why}", mode=self.mode.value, write_gate=self.config.write_gate.value, outcome_source=outcome.source)])
            return report

        # Learn: credit every item in context, then decide retirements from updated utilities.
        table = copy.deepcopy(self.utilities) if self.config.dry_run else self.utilities
        credits = assign_credit(task, context.items, outcome, table, self.rescore)
        report.credits = credits
        table.observe_run(topic, outcome.score)
        for c in credits:
            table.add_credit(c.store, c.item_id, c.credit)
        by_item = {(c.store, c.item_id): c for c in credits}
        reward = max(-1.0, min(1.0, outcome.score))
        edits: list[Any] = []
        for c in credits:
            if c.store in self.state.stores:
                edits.append(UpdateUtility(store=c.store, item_id=c.item_id, reward=reward, success=outcome.success, credit=c.credit, credit_method=c.method,
                                           trust=Trust.verified, proposer="controller:credit", reason=f"{c.method} credit {c.credit:+.3f} for run {run_id}"))
        for c in credits:
            if c.store in self.state.stores and table.should_retire(c.store, c.item_id):
                u, n = table.utility(c.store, c.item_id), table.uses(c.store, c.item_id)
                edits.append(RetireItem(store=c.store, item_id=c.item_id, trust=Trust.verified, proposer="controller:retirer",
                                        reason=f"utility {u:+.3f} after {n} uses is below {self.config.credit.retire_below:+.3f}"))

        # Write: learners propose, the engine validates, admits and applies. The credit edits go to the
        # engine, not to self.apply: their credit is recorded once, in the run's context rows (self._log).
        refusals: list[Refusal] = []
        lctx = LearningContext(task=task, context=context, trajectory=trajectory, outcome=outcome, run_id=run_id)
        for learner in self.learners:
            proposal = learner.propose(lctx)
            edits.extend(proposal.edits)
            refusals.extend(proposal.refusals)
        report.apply = self.engine.apply(
            edits, outcome=outcome, run_id=run_id, task_id=task.id, refusals=refusals, dry_run=self.config.dry_run,
            context={"mode": self.mode.value, "write_gate": self.config.write_gate.value},
        )
        if not self.config.dry_run:
            self._log(task, context, outcome, run_id, by_item)
            self._provenance(task, context, outcome, run_id, by_item)
            if report.apply.recovered:  # the engine finished a dead writer's batch: record its credits
                self.reconcile_credits()
        return report

    def _log(self, task: Any, context: RecallContext, outcome: Outcome, run_id: str, credits: dict[tuple[str, str], ItemCredit]) -> None:
        rows = []
        judged = outcome.detail.get("judged", True) is not False
        used_names = skills_used(context, outcome) if judged else []
        for rank, r in enumerate(context.items):
            c = credits.get((r.record.store, r.record.id))
            extra: dict[str, Any] = {"mode": self.mode.value}
            if not judged:
                extra["judged"] = False
            if c is not None:
                extra.update(credit=c.credit, credit_method=c.method)
            rows.append(OutcomeRow(run_id=run_id, task_id=task.id, task_text=task.instruction, topic=getattr(task, "topic", None), namespace=r.record.namespace, store=r.record.store, item_id=r.record.id,
                                   rank=rank, used=judged and (r.record.id == context.routed_skill or (r.record.store == "skills" and r.record.id in used_names)), reward=outcome.score, success=outcome.success, outcome_source=outcome.source, extra=extra))
        in_context = {(r.record.store, r.record.id) for r in context.items}
        for skill in used_names:  # the skill router trains from these rows
            if ("skills", skill) not in in_context:
                rows.append(OutcomeRow(run_id=run_id, task_id=task.id, task_text=task.instruction, topic=getattr(task, "topic", None), namespace=_task_namespace(task), store="skills", item_id=skill,
                                       used=True, reward=outcome.score, success=outcome.success, outcome_source=outcome.source, extra={"mode": self.mode.value, "routed": skill == context.routed_skill}))
        if not rows:  # keep a row per run so baselines and audits see runs without memory too
            rows.append(OutcomeRow(run_id=run_id, task_id=task.id, task_text=task.instruction, topic=getattr(task, "topic", None), store="", item_id="", reward=outcome.score, success=outcome.success, outcome_source=outcome.source, extra={"mode": self.mode.value, **({} if judged else {"judged": False})}))
        self.outcomes.record(rows)

    def _provenance(self, task: Any, context: RecallContext, outcome: Outcome, run_id: str, credits: dict[tuple[str, str], ItemCredit]) -> None:
        with self.engine.lock():
            g = self.engine.graph()
            g.add_run(run_id, task.id, task.instruction, mode=self.mode.value, write_gate=self.config.write_gate.value if self.config.write_gate else None)
            if outcome.detail.get("judged", True) is not False:  # an unjudged run has no outcome yet (`rate` adds it)
                g.add_outcome(run_id, outcome.score, outcome.success, outcome.source)
            g.add_context(run_id, [(r.record.store, r.record.id, rank, (credits[(r.record.store, r.record.id)].credit if (r.record.store, r.record.id) in credits else None)) for rank, r in enumerate(context.items)])
            self.engine.save_graph()

    def rate(self, run_id: str, outcome: Outcome, *, trajectory: Iterable[Any] = (), task: Any = None) -> RunReport:
        """Apply a verdict that came after the run (``agentmem runs rate``): credit and learning, now.

        The task and the items that were in context come from the outcome-log rows the run left
        (every mode logs them); the controller then runs :meth:`after_task` with ``outcome`` (its
        mode and write gate apply as usual) under the same run id, so the audit rows, provenance
        and credit all name the run.
        """
        from agentmem.environment import TaskSpec

        rows = [r for r in self.outcomes.rows(run_id=run_id)]
        if not rows and task is None:
            raise ConfigError(f"rate: run {run_id!r} left no rows in the outcome log {self.outcomes.path} (was it run with memory?)")
        first = rows[0] if rows else None
        if task is None:
            assert first is not None
            task = TaskSpec(id=first.task_id or run_id, instruction=first.task_text, topic=first.topic, metadata={"namespace": first.namespace, "split": "train"})
        items: list[Recalled] = []
        seen: set[tuple[str, str]] = set()
        routed = None
        for r in sorted((r for r in rows if r.store and r.rank is not None), key=lambda r: r.rank or 0):
            store = self.state.stores.get(r.store)
            rec = store.get_record(r.item_id) if store is not None else None
            if rec is None or (r.store, r.item_id) in seen:
                continue
            seen.add((r.store, r.item_id))
            items.append(Recalled(record=rec, score=1.0, reasons=[f"in context for run {run_id}"]))
            if r.used:
                routed = r.item_id
        ctx = RecallContext(items=items, tokens=sum(i.tokens for i in items), routed_skill=routed)
        return self.after_task(task, ctx, list(trajectory), outcome, run_id)

    # ---- direct edits, quarantine, admin ------------------------------------------------------------
    def apply(self, edits: list[Any], *, dry_run: bool = False, run_id: str | None = None, outcome: Outcome | None = None, task: Any = None,
              refusals: list[Refusal] | None = None) -> ApplyReport:
        """Apply hand-made edits (source ``user`` unless an outcome is given).

        Each applied ``update_utility`` edit that carries a ``credit`` is recorded once where learning
        and ``memory why`` read credit (:meth:`_record_credits`). ``task`` (optional, a ``TaskSpec``)
        names the run's task in those records and in the audit rows. ``refusals`` (from parsing) are
        audited with the batch.
        """
        report = self.engine.apply(edits, outcome=outcome, run_id=run_id, task_id=getattr(task, "id", None), refusals=refusals, dry_run=dry_run, context={"mode": "manual"})
        if not dry_run:
            self._record_credits(report, outcome, run_id, task)
        return report

    def _record_credits(self, report: ApplyReport, outcome: Outcome | None, run_id: str | None, task: Any) -> None:
        """Record the credit of each applied ``update_utility`` edit: one outcome-log row (reward, success,
        ``extra.credit``/``credit_method``/``edit_id``; the utility table of a later process is rebuilt from
        these rows), this controller's utility table, and the run's provenance (the item in context with its credit).

        The edit itself only reaches the store's ``record_use``. :meth:`after_task` applies its credit
        edits through the engine, not here: it records the same credit in the run's context rows.
        A run id missing means each edit is its own run (named by its edit id). Recording is idempotent
        by edit id; a writer killed between the engine's commit and this call leaves the audit rows,
        from which :meth:`reconcile_credits` records the credits the next time the home is opened.
        """
        credited = [a for a in report.applied if a.kind == "update_utility" and a.edit.get("credit") is not None]
        if not credited:
            if report.recovered:  # the engine finished a dead writer's batch: its credits are audited now
                self.reconcile_credits()
            return
        acted = {n for n in (outcome.detail.get("skills_used") or []) if isinstance(n, str)} if outcome is not None else set()
        rows: list[OutcomeRow] = []
        for a in credited:
            e = a.edit
            task_id = getattr(task, "id", None) or (e.get("provenance") or {}).get("task_id")
            rows.append(_credit_row(e, a.store, run_id or str(e["edit_id"]), task_id, getattr(task, "instruction", "") or "", getattr(task, "topic", None), _task_namespace(task),
                                    a.store == "skills" and e["item_id"] in acted, outcome.source if outcome is not None else "user"))
        with self.engine.lock():
            self._commit_credit_rows(rows, {r.run_id: outcome for r in rows}, reconciling=False)
            self._reconcile_locked()

    def _commit_credit_rows(self, rows: list[OutcomeRow], outcomes: dict[str, Outcome | None], *, reconciling: bool) -> int:
        """Provenance, then outcome-log rows, then this controller's utility table for ``rows`` (credit rows
        carrying ``extra.edit_id``), skipping edits that already have a row; the caller holds the home lock.

        Provenance goes first and is idempotent (one ``in_context`` edge per item and run), so a kill between
        the two leaves a missing row that a reconcile writes. ``reconciling`` fills in runs and outcomes only
        where provenance has none (a reconciled row knows less about its run than the live writer did).
        Returns the number of rows written.
        """
        done = self.outcomes.edit_ids_recorded(str(r.extra["edit_id"]) for r in rows)
        todo = [r for r in rows if str(r.extra["edit_id"]) not in done]
        # the live writer's rows all reach its provenance and table (another process may have recorded them
        # first, knowing less); a reconcile's only where no row exists yet
        mine = todo if reconciling else rows
        runs: dict[str, list[OutcomeRow]] = {}
        for row in mine:
            runs.setdefault(row.run_id, []).append(row)
        if runs:
            g = self.engine.graph()
            for rid, group in runs.items():
                if not (reconciling and g.g.has_node(f"run:{rid}")):
                    g.add_run(rid, group[0].task_id or rid, group[0].task_text, mode="manual")
                out = outcomes.get(rid)
                if out is not None and not (reconciling and g.g.has_node(f"outcome:{rid}")):
                    g.add_outcome(rid, out.score, out.success, out.source)
                g.add_context(rid, [(row.store, row.item_id, rank, float(row.extra["credit"])) for rank, row in enumerate(group)])
            self.engine.save_graph()
        if todo:
            self.outcomes.record(todo)
        ids = {str(r.extra["edit_id"]) for r in mine}
        for rid, group in runs.items():
            if all(str(r.extra.get("edit_id")) in ids for r in self.outcomes.rows(run_id=rid)):
                self.utilities.observe_run(group[0].topic, group[0].reward)  # as UtilityTable.from_rows does: a run's first row feeds the baseline
            for row in group:
                self.utilities.add_credit(row.store, row.item_id, float(row.extra["credit"]))
        return len(todo)

    def reconcile_credits(self, *, wait: bool = True) -> int:
        """Record the credit of every credited ``update_utility`` edit that :meth:`apply` committed but whose
        writer died before recording it (audit row, no outcome row); returns the number recorded.

        Cheap on a big home: audit rows up to a marker (``marks`` in the outcome log) are settled, so one
        call reads the audit rows added since (an indexed lookup per edit id) and takes the home lock only
        when a credit is missing. ``wait=False`` (opening a controller) gives up at once when a live writer
        holds the lock: that writer records its own credits, and the next open reconciles.

        A writer killed after its journal's commit line but before its audit rows leaves a batch the next
        writer finishes (``EditEngine.recover``, run by every batch); :meth:`apply` and :meth:`after_task`
        reconcile right after a recovery, any later open too. Opening a controller recovers nothing itself.
        """
        if not self._missing_credits()[0]:
            return 0
        try:
            with self.engine.lock() if wait else home_lock(self.engine.lock_path, timeout=0):
                return self._reconcile_locked()
        except AgentmemError:
            if wait:
                raise
            return 0

    def _missing_credits(self) -> tuple[list[tuple[int, AuditEntry]], int]:
        """Credited manual edits past the marker with no outcome row, and the audit id they were read up to.
        Settles the marker when nothing is missing (rows are only added, so ids at or below it stay settled)."""
        top = self.engine.audit.max_id()
        mark = self.outcomes.mark(_CREDIT_MARK)
        if top < mark:  # the audit log was replaced: read it again from the start
            mark = 0
            self.outcomes.set_mark(_CREDIT_MARK, 0, only_up=False)
        if top == mark:
            return [], top
        cands = self.engine.audit.credited_manual_since(mark, top)
        done = self.outcomes.edit_ids_recorded(a.edit_id for _, a in cands)
        missing = [(i, a) for i, a in cands if a.edit_id not in done]
        if not missing:
            self.outcomes.set_mark(_CREDIT_MARK, top)
        return missing, top

    def _reconcile_locked(self) -> int:
        missing, top = self._missing_credits()
        if not missing:
            return 0
        rows: list[OutcomeRow] = []
        outcomes: dict[str, Outcome | None] = {}
        for _, a in missing:
            e = a.payload
            if not all(k in e for k in ("item_id", "reward", "success", "credit")):  # not an UpdateUtility this version wrote
                log.warning("controller: audit row %s (update_utility) has no item_id/reward/success/credit in its payload: its credit is not recorded", a.edit_id)
                continue
            rid = a.run_id or a.edit_id
            source = a.outcome_source or "user"
            rows.append(_credit_row(e, a.store, rid, a.task_id or (e.get("provenance") or {}).get("task_id"), "", None, "default/default", False, source))
            # the run's score is not in the audit row: a judged run (not a plain user edit) gets the edit's reward as its score
            outcomes.setdefault(rid, None if source == "user" else _judged(float(e["reward"]), bool(e["success"]), source))
        n = self._commit_credit_rows(rows, outcomes, reconciling=True)
        self.outcomes.set_mark(_CREDIT_MARK, top)
        return n

    def verify_quarantined(self, verifier: Callable[[Any], bool], *, dry_run: bool = False) -> ApplyReport:
        """Run ``verifier(record)`` (tests or a replay of recent tasks) on every quarantined item; activate those that pass."""
        edits = []
        for name, store in self.state.stores.items():
            for rec in store.records(include_inactive=True):
                if rec.state == Lifecycle.quarantined and verifier(rec):
                    edits.append(ActivateItem(store=name, item_id=rec.id, trust=Trust.verified, proposer="controller:verifier", reason="quarantined item passed its verification"))
        return self.engine.apply(edits, outcome=Outcome(score=1.0, success=True, source="verifier"), dry_run=dry_run, context={"mode": "verify"})

    def snapshot(self, name: str = "", reason: str = "") -> Snapshot:
        with self.engine.lock():
            snap = self.engine.snapshots.take(self.state, name=name, reason=reason)
            self.engine.audit.record([AuditEntry(edit_id=f"snap-{snap.id}", status="snapshot", kind="snapshot", reason=name or reason)])
            return snap

    def diff(self, a: str, b: str = "current") -> StateDiff:
        return self.engine.snapshots.diff(a, b, self.state)

    def rollback(self, ref: str) -> Snapshot:
        """Restore snapshot ``ref`` byte for byte (the current state is snapshotted first, so this can be undone)."""
        with self.engine.lock():
            self.engine.recover()
            before = self.engine.snapshots.take(self.state, name="pre-rollback", reason=f"automatic snapshot before rolling back to {ref}")
            snap = self.engine.snapshots.restore(ref, self.state)
            self.engine.audit.record([AuditEntry(edit_id=f"rollback-{before.id}", status="rollback", kind="rollback", reason=f"rolled back to {snap.id}; previous state saved as {before.id}")])
        return snap

    def why(self, item: str) -> ItemHistory:
        """Where ``item`` (``store/id`` or ``id``) came from and how it paid off, with its live state and utility."""
        hist = self.engine.graph().why(item)
        store_name, _, item_id = hist.item.rpartition("/") if "/" in hist.item else ("", "", hist.item)
        for name, store in self.state.stores.items():
            if store_name and name != store_name:
                continue
            rec = store.get_record(item_id)
            if rec is not None:
                hist.found = True
                hist.item = f"{name}/{rec.id}"
                hist.attributes.update(state=rec.state.value, trust=rec.trust.value, utility=round(self.utilities.utility(name, rec.id), 4), credited_uses=self.utilities.uses(name, rec.id))
                break
        return hist
