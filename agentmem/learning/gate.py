"""Memory modes, the write gate and the admission policy.

* :class:`MemoryMode`: ``none`` (no memory), ``frozen`` (read only), ``updating`` (read and write).
* :class:`WriteGate`: which outcomes may drive writes, an explicit and recorded choice with no
  default: ``train_labels`` (only tasks marked ``metadata["split"] == "train"``, scored by the
  environment, a verifier or a judge against the training label), ``self_verification`` (only outcomes from a verifier, e.g. ARC
  train pairs), ``oracle`` (any outcome including test labels; reported as such).
* :class:`AdmissionPolicy`: thresholds and protections applied to each validated edit
  (minimum outcome score per edit kind, playbook quarantine, no destructive edits to
  shipped/verified items from learned proposals, a cap on retirements per run, trust ceilings).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, Field

from ..types import Lifecycle, Outcome, Trust
from .edits import ADD_KINDS, DESTRUCTIVE_KINDS, min_trust, trust_rank


class MemoryMode(str, Enum):
    none = "none"
    frozen = "frozen"
    updating = "updating"


class WriteGate(str, Enum):
    train_labels = "train_labels"
    self_verification = "self_verification"
    oracle = "oracle"


#: Deprecated gate names still accepted when parsing (``train_pairs`` was the ARC harness's name for
#: checking a program on the task's own demonstrations, which is self-verification).
GATE_ALIASES = {"train_pairs": WriteGate.self_verification}


def parse_write_gate(name: "str | WriteGate | None") -> "WriteGate | None":
    """A gate name as the controller's :class:`WriteGate` (``None``/``"none"``: no writes); accepts
    the deprecated aliases in :data:`GATE_ALIASES`; an unknown name raises ``ValueError`` naming the choices."""
    if name is None or isinstance(name, WriteGate):
        return name
    if name == "none":
        return None
    if name in GATE_ALIASES:
        return GATE_ALIASES[name]
    try:
        return WriteGate(name)
    except ValueError:
        raise ValueError(f"write gate {name!r}: choose {', '.join(g.value for g in WriteGate)} (or none)") from None


def gate_allows(gate: WriteGate, task_metadata: dict[str, Any], outcome: Outcome) -> tuple[bool, str]:
    """Whether ``outcome`` of a task may drive writes under ``gate``; the reason either way."""
    if outcome.source == "oracle" and gate != WriteGate.oracle:
        return False, f"outcome comes from oracle labels but the write gate is {gate.value}"
    if gate == WriteGate.oracle:
        return True, f"oracle gate (outcome source {outcome.source})"
    if gate == WriteGate.self_verification:
        if outcome.source != "verifier":
            return False, f"self_verification gate needs a verifier outcome, got {outcome.source}"
        return True, "self-verified outcome"
    split = task_metadata.get("split")
    if split != "train":
        return False, f"train_labels gate: task split is {split!r}, not 'train'"
    if outcome.source not in {"environment", "verifier", "user", "llm_judge"}:
        return False, f"train_labels gate: outcome source {outcome.source} is not a training label"
    return True, "training-label outcome"


#: Highest trust an edit may carry, by where its outcome came from.
TRUST_CEILING = {"verifier": Trust.verified, "environment": Trust.learned, "user": Trust.shipped, "oracle": Trust.learned, "llm_judge": Trust.untrusted}


class AdmissionPolicy(BaseModel):
    """Thresholds and protections for admitting validated edits."""

    min_score: dict[str, float] = Field(
        default_factory=lambda: {"add_skill": 0.5, "revise_skill": 0.5, "add_subroutines": 0.5, "add_behavior": 0.0, "extend_concept": 0.0, "add_concepts": 0.0, "add_item": 0.0},
        description="Minimum outcome score for an edit of each kind to be admitted (kinds not listed: no threshold).",
    )
    quarantine_playbooks: bool = Field(default=True, description="Learned playbook skills start quarantined until their tests or a replay pass.")
    quarantine_untrusted: bool = Field(default=True, description="Items written at trust 'untrusted' start quarantined.")
    protect_trust: Trust = Field(default=Trust.verified, description="Items at this trust or above can only be revised or retired by edits of at least the same trust.")
    max_retire_per_run: int = Field(default=3, ge=0)
    max_adds_per_run: int = Field(default=10, ge=0)

    def cap_trust(self, edit: Any, outcome: Outcome) -> Trust:
        """The trust an edit gets: never more than its claim or than its outcome source allows."""
        ceiling = TRUST_CEILING.get(outcome.source, Trust.untrusted)
        if edit.proposer.startswith("controller:") and outcome.source in {"environment", "verifier"}:
            ceiling = Trust.verified  # credit/retirement decided by the controller from measured outcomes
        return min_trust(edit.trust, ceiling)

    def admit(self, edit: Any, outcome: Outcome, target_trust: Trust | None, counts: dict[str, int]) -> tuple[bool, str]:
        """Decide one edit; ``counts`` tracks adds/retirements admitted so far in this run."""
        kind = edit.kind
        need = self.min_score.get(kind)
        if need is not None and outcome.score < need:
            return False, f"outcome score {outcome.score:.2f} below the {need:.2f} needed for {kind}"
        # Learned proposals may not revise or retire protected (shipped/verified) items; the
        # controller's own retirements, decided from measured credit, may (retirement is reversible).
        measured = edit.proposer.startswith("controller:")
        if kind in DESTRUCTIVE_KINDS and not measured and target_trust is not None and trust_rank(target_trust) >= trust_rank(self.protect_trust) and trust_rank(edit.trust) < trust_rank(target_trust):
            return False, f"{kind} of a {target_trust.value} item needs an edit of trust {target_trust.value}, this one is {Trust(edit.trust).value}"
        if kind == "retire_item" and counts.get("retire", 0) >= self.max_retire_per_run:
            return False, f"more than {self.max_retire_per_run} retirements in one run"
        if kind in ADD_KINDS and counts.get("add", 0) >= self.max_adds_per_run:
            return False, f"more than {self.max_adds_per_run} new items in one run"
        return True, "admitted"

    def initial_state(self, edit: Any) -> tuple[Lifecycle, str]:
        """Lifecycle of items an admitted edit creates, with the reason."""
        if edit.kind == "add_skill" and (edit.playbook or edit.files) and self.quarantine_playbooks and Trust(edit.trust) != Trust.verified:
            return Lifecycle.quarantined, "learned playbook skill: quarantined until its tests or a replay pass"
        if edit.kind in ADD_KINDS and Trust(edit.trust) == Trust.untrusted and self.quarantine_untrusted:
            return Lifecycle.quarantined, "untrusted source: quarantined until verified"
        return Lifecycle.active, ""
