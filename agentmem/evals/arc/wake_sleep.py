"""A DreamCoder-style wake/sleep learner for ARC, built from agentmem's own parts.

One **round** over the training split:

1. **Wake.** The composition search (:class:`~.skills_solver.SkillsSolver`, 2 attempts) runs on
   every training task over the shipped transforms plus the *active* learned compositions, in
   the order given by the prior (:class:`~.prior.ArcPrior`, the outcome-trained skill router
   over task features) once it has been trained. It sees train pairs and test inputs only.
2. **Credit.** Every use of a learned composition is credited through the controller as an
   :class:`~agentmem.learning.edits.UpdateUtility` edit whose credit is *marginal*, measured by a
   real re-run: the same task is searched again with that skill excluded (same budget, same
   prior). The credit is ``score(with) - score(without)`` on the training task's own test output
   when that differs; when both runs score the same, it is the share of the candidate budget the
   skill saved before the first program was found (a compression that makes search cheaper is
   what keeps harder tasks inside a fixed budget), in [-1, 1].
3. **Retire.** A learned skill that has been active for a whole round and never helped (no
   positive credit: it neither gained an answer nor saved at least ``min_saving`` of the budget),
   or that led the first attempt to a wrong answer on a validation task more often than it
   helped, is retired with a :class:`~agentmem.learning.edits.RetireItem` edit.
4. **Sleep.** Sub-programs that recur across the solved *learning* tasks become new composition
   skills (:mod:`.sleep`): typed ``AddSkill`` edits, quarantined, activated by
   ``verify_quarantined`` once their own test (their source tasks' train pairs) passes in the
   sandbox.
5. **Prior.** Outcome rows (:meth:`~.prior.ArcPrior.record_outcomes`: the units of a submitted
   program that was right are successes; the units of programs verified but wrong, and the units
   tried alone that are in no right program, are failures, unsolved tasks included) go to the
   router's outcome log, and the router's head is retrained on every round's rows.

Validation tasks (every ``validation_every``-th training task, by id order) are searched and
scored like the others but never feed sleep (no skill is abstracted from them), so they can show
when a learned skill misleads. Scores on the training split use its own test outputs (training
labels; the write gate is ``train_labels``); the evaluation split is never touched here.

Every write goes through one :class:`~agentmem.learning.controller.ReflectiveController` over an
agentmem home (``<work>/home``): the journal, audit log and provenance graph record each skill,
so ``agentmem --home <work>/home memory why <skill>`` explains it. The edit size limit is raised
for this controller (a rendered composition embeds its transforms' source, beyond the 8000
characters allowed to free text by default).
"""

from __future__ import annotations

import json
import resource
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agentmem.evals.arc.data import ArcTask
from agentmem.evals.arc.harness import run_skills_eval
from agentmem.evals.arc.library import COMPOSITION_FILE, TransformLibrary
from agentmem.evals.arc.prior import ArcPrior, task_text
from agentmem.evals.arc.sleep import composition_edit, recurring
from agentmem.evals.arc.compose import sequence_key, structure_key
from agentmem.environment import TaskSpec
from agentmem.evals.core import EvalConfig, EvalReport, EvalTask
from agentmem.fileio import atomic_write_json
from agentmem.types import Outcome


class WakeSleepConfig(BaseModel):
    rounds: int = Field(default=3, ge=1)
    max_candidates: int = Field(default=20_000, gt=0, description="Candidate checks per task search (deterministic budget).")
    max_seconds: float = Field(default=20.0, gt=0, description="Wall-clock safety net per search.")
    max_depth: int = Field(default=2, ge=1, le=3, description="Search depth (3: triples of the prior's cheapest units after depth 2).")
    attempts: int = Field(default=2, ge=1, le=3)
    workers: int = Field(default=2, ge=1)
    validation_every: int = Field(default=5, ge=2, description="Every N-th training task (id order) is a validation task.")
    min_tasks: int = Field(default=2, ge=2, description="A sub-program must recur in this many solved tasks to become a skill.")
    max_new_skills: int = Field(default=12, ge=0, description="New skills proposed per sleep.")
    max_credit_reruns: int = Field(default=6, ge=1, description="Credit re-runs per learned skill and round (the first uses by task id).")
    parameterised: bool = Field(default=True, description="Sleep abstracts skill sequences with open parameters (False: sub-programs with fixed parameters).")
    vocabulary: bool = Field(default=True, description="Sleep also learns members of the cell-lookup family that verified and were right on learning tasks (:mod:`.cell_vocab`).")
    max_new_members: int = Field(default=12, ge=0, description="Vocabulary members proposed per sleep.")
    min_saving: float = Field(default=0.02, ge=0, description="Share of the candidate budget a skill must save on a task to count as helping.")


class RoundReport(BaseModel):
    round: int
    tasks: int
    solved: int
    first_attempt_solved: int
    solved_with_learned: int
    active_skills: int
    added: list[str] = Field(default_factory=list)
    activated: list[str] = Field(default_factory=list)
    retired: list[str] = Field(default_factory=list)
    credited_uses: int = 0
    positive_credits: int = 0
    prior_trained: bool = False
    prior_rows: int = 0
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0


def cpu_seconds() -> float:
    """User + system CPU of this process and its finished children (search workers, sandbox runs)."""
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


class WakeSleepLearner:
    """Runs wake/sleep rounds over an agentmem home under ``work``."""

    def __init__(self, work: Path, config: WakeSleepConfig | None = None, *, runner: Any = None, progress: bool = True) -> None:
        from agentmem.learning.controller import ControllerConfig, ReflectiveController
        from agentmem.learning.edits import EditLimits
        from agentmem.learning.gate import MemoryMode, WriteGate
        from agentmem.learning.wiring import open_memory
        from agentmem.settings import Settings

        self.work = Path(work)
        self.config = config or WakeSleepConfig()
        self.runner, self.progress = runner, progress
        self.settings = Settings.load(home=self.work / "home").ensure_home()
        # the learner writes only skills: open just that store (the others would load embedders for nothing)
        mem, registry = open_memory(self.settings, plugins=[("skills", "agentmem.learning.store_appliers:open_skills")])
        self.controller = ReflectiveController(mem, self.settings.home, registry=registry, config=ControllerConfig(
            mode=MemoryMode.updating, write_gate=WriteGate.train_labels, limits=EditLimits(max_text_chars=400_000, max_files=8)))
        self.skills = mem.stores["skills"]
        self.skills_dir = Path(self.settings.paths.skills)
        self.primitives = TransformLibrary()
        self.ledger_path = self.work / "credit_ledger.json"
        self.ledger: dict[str, dict[str, Any]] = json.loads(self.ledger_path.read_text()) if self.ledger_path.exists() else {}

    # ---- the library -----------------------------------------------------------------------------
    def _learned(self, include_inactive: bool = False) -> list[str]:
        return sorted(s.name for s in self.skills.skills(include_inactive=include_inactive)
                      if s.path is not None and (Path(s.path) / COMPOSITION_FILE).is_file())

    def active(self) -> list[str]:
        return self._learned()

    def prior(self) -> ArcPrior:
        lib = TransformLibrary(learned=self.skills_dir, only=set(self.active()))
        cards = [(t.name, _describe(t)) for t in lib.all]
        return ArcPrior(self.work / "prior", cards)

    def _solver_kwargs(self, prior: ArcPrior | None) -> dict[str, Any]:
        base = {"learned_dir": self.skills_dir, "learned_only": self.active()}
        if prior is None or not prior.trained:
            return {**base, "prior": None}

        def order(task: ArcTask) -> dict[str, float]:
            return prior.order(task_text(task.train_pairs, task.test_inputs))

        return {**base, "prior": order}

    def _config(self, name: str, split: str, memory: str = "frozen") -> EvalConfig:
        label = "shipped transforms only" if memory == "none" else f"wake-sleep:{len(self.active())} learned"
        return eval_config(self.work, self.config, name, split, memory, label)

    # ---- one round -------------------------------------------------------------------------------
    def round(self, r: int, tasks: list[EvalTask]) -> RoundReport:
        t0, c0 = time.time(), cpu_seconds()
        prior = self.prior()
        kw = self._solver_kwargs(prior)
        report = run_skills_eval(self._config(f"wake/round-{r}", "training"), tasks=tasks, progress=self.progress, runner=self.runner, **kw)
        by_id = {t.id: t.payload for t in tasks}
        validation = {t.id for i, t in enumerate(tasks) if i % self.config.validation_every == self.config.validation_every - 1}
        recs = {t["task_id"]: t for t in report.tasks}
        rr = RoundReport(round=r, tasks=len(recs), solved=sum(t["score"] == 1.0 for t in recs.values()),
                         first_attempt_solved=sum(t["metrics"].get("first_attempt", 0.0) == 1.0 for t in recs.values()),
                         solved_with_learned=sum(t["score"] == 1.0 and any(t["detail"].get("learned_used") or []) for t in recs.values()),
                         active_skills=len(kw["learned_only"]), prior_trained=prior.trained)
        self._credit(r, recs, by_id, validation, kw, rr)
        self._retire(r, rr)
        self._sleep(r, recs, by_id, validation, rr)
        prior = self.prior()
        rr.prior_rows = self._record_prior(prior, r, recs, by_id)
        rr.prior_trained = prior.train() is not None or prior.trained
        rr.wall_seconds, rr.cpu_seconds = round(time.time() - t0, 1), round(cpu_seconds() - c0, 1)
        atomic_write_json(self.ledger_path, self.ledger)
        return rr

    def _credit(self, r: int, recs: dict[str, dict], by_id: dict[str, ArcTask], validation: set[str], kw: dict[str, Any], rr: RoundReport) -> None:
        from agentmem.evals.arc.skills_solver import SkillsSolver
        from agentmem.learning.edits import UpdateUtility

        uses = [(tid, name) for tid, rec in sorted(recs.items()) for name in sorted({n for n in rec["detail"].get("learned_used") or [] if n})]
        per_skill: dict[str, int] = {}
        capped = []
        for tid, name in uses:  # a bounded number of re-runs per skill and round (each is a whole search)
            per_skill[name] = per_skill.get(name, 0) + 1
            if per_skill[name] <= self.config.max_credit_reruns:
                capped.append((tid, name))
        uses = capped
        if not uses:
            return
        cfg = self._config(f"wake/round-{r}-credit", "training")
        with SkillsSolver(cfg, runner=self.runner, max_candidates=self.config.max_candidates, max_seconds=self.config.max_seconds,
                          attempts=self.config.attempts, **kw) as solver:
            def rerun(item: tuple[str, str]) -> tuple[float, int]:
                tid, name = item
                got = solver.score_task(by_id[tid], exclude=[name])
                return got.score, int(got.detail.get("first_at") or self.config.max_candidates)

            with ThreadPoolExecutor(max_workers=self.config.workers) as pool:
                without = list(pool.map(rerun, uses))
        for (tid, name), (score_without, first_without) in zip(uses, without):
            rec = recs[tid]
            with_score = float(rec["score"])
            first_with = int(rec["detail"].get("first_at") or self.config.max_candidates)
            saved = (first_without - first_with) / self.config.max_candidates
            credit = with_score - score_without if with_score != score_without else (round(saved, 4) if with_score > 0 else 0.0)
            helped = credit > 0 and (with_score != score_without or saved >= self.config.min_saving)
            first_used = name in (rec["detail"].get("skills_used") or [[]])[0] if rec["detail"].get("skills_used") else False
            misled = tid in validation and first_used and rec["metrics"].get("first_attempt", 0.0) < 1.0
            entry = self.ledger.setdefault(name, {"uses": 0, "credit": 0.0, "positive": 0, "misled": 0, "first_round": r})
            entry["uses"] += 1
            entry["credit"] = round(entry["credit"] + credit, 4)
            entry["positive"] += int(helped)
            entry["misled"] += int(misled)
            rr.credited_uses += 1
            rr.positive_credits += int(helped)
            edit = UpdateUtility(store="skills", item_id=name, reward=with_score, success=with_score == 1.0, credit=credit, credit_method="marginal",
                                 proposer="controller:arc-credit", reason=f"task {tid}: score {with_score:g} with the skill, {score_without:g} when re-searched without it; first program after {first_with} vs {first_without} candidate checks")
            # the controller records the credit (outcome-log row, utility table, provenance) so `memory why` shows it
            self.controller.apply([edit], run_id=f"arc-round-{r}-{tid}", task=TaskSpec(id=tid, instruction=f"ARC training task {tid}", topic="arc"),
                                  outcome=Outcome(score=with_score, success=with_score == 1.0, source="environment", detail={"skills_used": [name]}))

    def _retire(self, r: int, rr: RoundReport) -> None:
        from agentmem.learning.edits import RetireItem

        for name in self.active():
            e = self.ledger.get(name)
            added = int(self._info(name).get("round", r))
            if added >= r:
                continue  # not yet active for a whole round
            if e is None or e["positive"] == 0 or e["misled"] > e["positive"]:
                why = ("never used in a round" if e is None else
                       f"misled the first attempt on {e['misled']} validation tasks, helped on {e['positive']}" if e["misled"] > e["positive"] else
                       f"never helped: marginal credit {e['credit']:g} over {e['uses']} uses (re-run without it solved as much)")
                rep = self.controller.apply([RetireItem(store="skills", item_id=name, proposer="controller:arc-credit", reason=why)],
                                            run_id=f"arc-round-{r}-retire", outcome=Outcome(score=0.0, success=False, source="environment"))
                if rep.applied:
                    rr.retired.append(name)

    def _info(self, name: str) -> dict[str, Any]:
        p = self.skills_dir / name / COMPOSITION_FILE
        return json.loads(p.read_text()) if p.is_file() else {}

    def _sleep(self, r: int, recs: dict[str, dict], by_id: dict[str, ArcTask], validation: set[str], rr: RoundReport) -> None:
        from agentmem.learning.store_appliers import skill_test_verifier

        programs: dict[str, list[list[dict[str, Any]]]] = {}
        for tid, rec in recs.items():
            if tid in validation or rec["score"] < 1.0:
                continue
            good = [steps for steps, s in zip(rec["detail"].get("steps") or [], rec["detail"].get("attempt_scores") or []) if s == 1.0]
            if good:
                programs[tid] = good
        param = self.config.parameterised
        key = sequence_key if param else structure_key
        existing = {key(self._info(n).get("steps") or []) for n in self._learned(include_inactive=True)
                    if bool(self._info(n).get("parameterised")) == param}
        cands = recurring(programs, existing, min_tasks=self.config.min_tasks, parameterised=param)[: self.config.max_new_skills]
        known = {s.name for s in self.skills.skills(include_inactive=True)}
        for cand in cands:
            edit = composition_edit(self.primitives, cand, {t: by_id[t].train_pairs for t in cand.tasks}, run_id=f"arc-round-{r}-sleep", round_no=r)
            if edit.name in known:
                continue
            rep = self.controller.apply([edit], run_id=f"arc-round-{r}-sleep", outcome=Outcome(score=1.0, success=True, source="environment"))
            if rep.applied:
                rr.added.append(edit.name)
        if self.config.vocabulary:
            self._sleep_vocabulary(r, recs, by_id, validation, rr, known)
        if rr.added:
            before = set(self.active())
            self.controller.verify_quarantined(skill_test_verifier(self.skills))
            rr.activated = sorted(set(self.active()) - before)

    def _sleep_vocabulary(self, r: int, recs: dict[str, dict], by_id: dict[str, ArcTask], validation: set[str], rr: RoundReport, known: set[str]) -> None:
        """Members of the cell-lookup family right on two or more learning tasks become learned skills (:mod:`.cell_vocab`)."""
        from agentmem.evals.arc.cell_vocab import member_edit, member_key, member_name, member_stats, select_members

        learning = [by_id[t] for t in sorted(recs) if t not in validation]
        stats = member_stats(self.primitives, learning, cache=self.work / "cell_vocab_tasks.json")
        had = {member_key(s.features) for s in stats.values() if member_name(s.features) in known}
        # tasks a member proposed before (kept or retired) was right on are covered: no replacement member for them
        covered = {t for k in had for t in stats[k].right}
        for member in select_members(stats, max_new=self.config.max_new_members, known=had, covered=covered):
            edit = member_edit(self.primitives, member, {t: by_id[t].train_pairs for t in member.right}, run_id=f"arc-round-{r}-sleep", round_no=r)
            rep = self.controller.apply([edit], run_id=f"arc-round-{r}-sleep", outcome=Outcome(score=1.0, success=True, source="environment"))
            if rep.applied:
                rr.added.append(edit.name)

    def _record_prior(self, prior: ArcPrior, r: int, recs: dict[str, dict], by_id: dict[str, ArcTask]) -> int:
        """Outcome rows for every searched task: the units of each submitted program that was right are
        successes; the units of programs verified on train but wrong, and every unit tried alone that is in
        no right program, are failures (so unsolved tasks teach too)."""
        n = 0
        for tid, rec in sorted(recs.items()):
            d = rec["detail"]
            programs = d.get("skills_used") or []
            scores = d.get("attempt_scores") or []
            correct = sorted({u for names, sc in zip(programs, scores) if sc == 1.0 for u in names})
            wrong = sorted({u for names, sc in zip(programs, scores) if sc < 1.0 for u in names})
            tried = d.get("tried") or []
            if not (correct or wrong or tried):
                continue
            task = by_id[tid]
            n += prior.record_outcomes(f"arc-round-{r}", tid, task_text(task.train_pairs, task.test_inputs), correct=correct, wrong=wrong, tried=tried)
        return n

    # ---- the whole run ---------------------------------------------------------------------------
    def learn(self, tasks: list[EvalTask]) -> list[RoundReport]:
        out = []
        for r in range(1, self.config.rounds + 1):
            rep = self.round(r, tasks)
            out.append(rep)
            atomic_write_json(self.work / "rounds.json", [x.model_dump() for x in out])
        return out

    def evaluate(self, name: str, split: str, tasks: list[EvalTask], *, learned: bool, prior: bool = True) -> EvalReport:
        """One eval run: shipped transforms alone (``learned=False``) or with the active learned library and
        (``prior=True``) the learned prior; ``learned=True, prior=False`` is the ablation without the prior."""
        if not learned:
            return shipped_eval(self.work, self.config, name, split, tasks, runner=self.runner, progress=self.progress)
        return run_skills_eval(self._config(name, split), tasks=tasks, progress=self.progress, runner=self.runner,
                               **self._solver_kwargs(self.prior() if prior else None))


def eval_config(work: Path, config: WakeSleepConfig, name: str, split: str, memory: str, library: str) -> EvalConfig:
    """The eval-framework config of one run under ``work/name`` (its fingerprint makes the run resumable)."""
    opts = {"solver": "skills", "max_candidates": config.max_candidates, "max_seconds": config.max_seconds, "max_depth": config.max_depth,
            "attempts": config.attempts, "library": library}
    return EvalConfig(benchmark="arc", memory=memory, split=split, workers=config.workers, out_dir=Path(work) / name,  # pyright: ignore[reportArgumentType]  # validated by pydantic
                      write_gate="self_verification", options=opts)


def shipped_eval(work: Path, config: WakeSleepConfig, name: str, split: str, tasks: list[EvalTask], *, runner: Any = None,
                 progress: bool = True) -> EvalReport:
    """The shipped transforms alone (no learned skill, no prior): needs no home and no controller, so it can
    run beside the learner (another process) on the same ``work`` folder."""
    return run_skills_eval(eval_config(work, config, name, split, "none", "shipped transforms only"), learned_dir=None, tasks=tasks,
                           progress=progress, runner=runner)


def _describe(t: Any) -> str:
    """A skill's description (the router's text for it), or its name when the file cannot be read."""
    from agentmem.errors import SkillFormatError
    from agentmem.evals.arc.library import read_skill_md

    try:
        return str(read_skill_md(t.path / "SKILL.md")[0].get("description", t.name))
    except (OSError, SkillFormatError):
        return t.name
