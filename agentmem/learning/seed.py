"""The starter items shipped with agentmem, as typed edits (``agentmem memory seed STORE``).

:func:`seed_edits` reads ``agentmem/stores/seed/<store>.yaml`` and returns the ``add_*`` edits
(trust ``shipped``, proposer ``user:seed``, provenance source ``shipped``) for the items the store
does not have yet, plus the names it skipped; the reflective controller applies them like any
other edit (validation, journal, audit), so a seeded item's ``memory why`` names the seed.

Example::

    edits, report = seed_edits("behaviors", handbook)
    controller.apply(edits)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..stores._common import AddReport
from ..types import Provenance, Trust
from .edits import AddBehavior, AddConcepts

SEED_DIR = Path(__file__).resolve().parents[1] / "stores" / "seed"
PROPOSER = "user:seed"


def _prov(src: Path) -> Provenance:
    return Provenance(source="shipped", note=src.name)


def seed_edits(store_name: str, store: Any, path: Path | None = None) -> tuple[list[Any], AddReport]:
    """``(edits, report)``: the add edits for the shipped items ``store`` lacks; ``report.skipped`` names the rest."""
    import yaml

    src = path or SEED_DIR / f"{store_name}.yaml"
    if store_name not in ("behaviors", "concepts") or not src.is_file():
        raise ConfigError(f"store {store_name!r} has no shipped seed data")
    data = yaml.safe_load(src.read_text(encoding="utf-8"))
    report = AddReport()
    edits: list[Any] = []
    if store_name == "behaviors":
        for raw in data or []:
            if store.get(raw["name"]) is not None:
                report.skip(raw["name"], "already present")
                continue
            extra = {k: raw[k] for k in ("when", "namespace") if raw.get(k)}
            edits.append(AddBehavior(store=store_name, name=raw["name"], instruction=raw["instruction"], topics=list(raw.get("topics") or []), **extra,
                                     trust=Trust.shipped, proposer=PROPOSER, provenance=_prov(src), reason=f"shipped starter behavior ({src.name})"))
        return edits, report
    concepts = []
    for raw in (data or {}).get("concepts", []):
        if store.get(raw["name"]) is not None:
            report.skip(raw["name"], "already present")
            continue
        concepts.append(raw)
    relations = [(r["source"], r["target"], r["kind"]) for r in (data or {}).get("relations", [])]
    if concepts:
        edits.append(AddConcepts(store=store_name, concepts=concepts, relations=relations, trust=Trust.shipped, proposer=PROPOSER,
                                 provenance=_prov(src), reason=f"shipped starter concepts ({src.name})"))
    return edits, report
