"""LoCoMo data: typed loading of ``locomo10.json`` (10 conversations, 1,986 QA items).

The file is read from a path (``AGENTMEM_DATA`` or ``--data``), never shipped. A copy can be
fetched from the public repository with a sha256 check (:func:`fetch_locomo`).

Protocol details that every consumer shares (so figures compare):
* a turn is rendered ``[<session date>] <speaker>: <text>`` plus `` [image: <blip_caption>]``;
* evidence ids are normalised (``"D:11:26"`` -> ``"D11:26"``, ``"D8:6; D9:17"`` split); ids
  that name no turn stay in :attr:`QAItem.evidence` and count as misses;
* category numbers are kept; :data:`CATEGORY_NAMES` gives the names beside them.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from pydantic import BaseModel, Field

from agentmem.errors import ConfigError
from agentmem.evals.provenance import DataInfo
from agentmem.fileio import sha256_file

LOCOMO_SHA256 = "79fa87e90f04081343b8c8debecb80a9a6842b76a7aa537dc9fdf651ea698ff4"
LOCOMO_URL = "https://raw.githubusercontent.com/snap-research/LoCoMo/3eb6f2c585f5e1699204e3c3bdf7adc5c28cb376/data/locomo10.json"
CATEGORY_NAMES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}

_ID = re.compile(r"D(\d+):(\d+)")


class Turn(BaseModel):
    dia_id: str
    session: int
    index: int
    speaker: str
    text: str
    date: str = ""
    blip_caption: str | None = None

    def render(self) -> str:
        out = f"[{self.date}] {self.speaker}: {self.text}"
        if self.blip_caption:
            out += f" [image: {self.blip_caption}]"
        return out


class QAItem(BaseModel):
    question: str
    answer: str = ""
    adversarial_answer: str | None = None
    category: int
    evidence: list[str] = Field(default_factory=list, description="Normalised dia ids.")
    raw_evidence: list[str] = Field(default_factory=list)

    @property
    def category_name(self) -> str:
        return CATEGORY_NAMES.get(self.category, str(self.category))


class Conversation(BaseModel):
    sample_id: str
    speaker_a: str
    speaker_b: str
    turns: list[Turn]
    session_dates: dict[int, str]
    qa: list[QAItem]

    def turn_ids(self) -> set[str]:
        return {t.dia_id for t in self.turns}


def normalise_evidence(raw: list[str]) -> list[str]:
    """Split and repair evidence ids: ``"D:11:26"`` -> ``D11:26``; ``"D8:6; D9:17"`` -> two ids; bare ``"D"`` dropped."""
    out: list[str] = []
    for item in raw:
        cleaned = re.sub(r"D:(\d+):", r"D\1:", str(item))
        for m in _ID.finditer(cleaned):
            ident = f"D{int(m.group(1))}:{int(m.group(2))}"
            if ident not in out:
                out.append(ident)
    return out


def default_locomo_path() -> Path:
    root = os.environ.get("AGENTMEM_DATA")
    candidates = [Path(root) / "locomo" / "locomo10.json"] if root else []
    candidates.append(Path(__file__).resolve().parents[2].parent / "shared" / "data" / "locomo" / "locomo10.json")
    for c in candidates:
        if c.exists():
            return c
    raise ConfigError("locomo10.json not found: pass --data PATH, set AGENTMEM_DATA to the data folder, or run `agentmem data fetch locomo`")


def load_locomo(path: str | Path | None = None, verify: bool = False) -> list[Conversation]:
    """Parse the LoCoMo file into typed conversations."""
    p = Path(path) if path else default_locomo_path()
    if not p.exists():
        raise ConfigError(f"{p}: LoCoMo file not found")
    if verify and sha256_file(p) != LOCOMO_SHA256:
        raise ConfigError(f"{p}: sha256 does not match the expected LoCoMo release ({LOCOMO_SHA256[:12]}...)")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{p}: cannot parse LoCoMo JSON ({exc})") from exc
    convs = []
    for n, sample in enumerate(data):
        try:
            convs.append(_parse_sample(sample))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{p}: sample #{n} ({sample.get('sample_id', '?') if isinstance(sample, dict) else '?'}) is malformed: {exc}") from exc
    return convs


def _parse_sample(sample: dict) -> Conversation:
    conv = sample["conversation"]
    sessions = sorted(int(k.split("_")[1]) for k, v in conv.items() if re.fullmatch(r"session_\d+", k) and isinstance(v, list))
    dates = {s: str(conv.get(f"session_{s}_date_time", "")) for s in sessions}
    turns: list[Turn] = []
    for s in sessions:
        for i, t in enumerate(conv[f"session_{s}"]):
            turns.append(Turn(dia_id=normalise_evidence([t["dia_id"]])[0] if _ID.search(str(t["dia_id"])) else str(t["dia_id"]), session=s, index=i, speaker=t["speaker"], text=t.get("text", ""), date=dates[s], blip_caption=t.get("blip_caption")))
    qa = []
    for q in sample.get("qa", []):
        raw = [str(e) for e in q.get("evidence", []) or []]
        qa.append(QAItem(question=q["question"], answer=str(q.get("answer", "")), adversarial_answer=q.get("adversarial_answer"), category=int(q["category"]), evidence=normalise_evidence(raw), raw_evidence=raw))
    return Conversation(sample_id=sample["sample_id"], speaker_a=conv["speaker_a"], speaker_b=conv["speaker_b"], turns=turns, session_dates=dates, qa=qa)


def fetch_locomo(dest: str | Path) -> Path:
    """Download locomo10.json to ``dest`` and check its sha256 (needs network)."""
    import httpx

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        resp = httpx.get(LOCOMO_URL, timeout=60, follow_redirects=True)
        resp.raise_for_status()
    except httpx.HTTPError as exc:
        raise ConfigError(f"could not download LoCoMo from {LOCOMO_URL}: {exc}") from exc
    tmp = dest.with_suffix(".part")
    tmp.write_bytes(resp.content)
    if sha256_file(tmp) != LOCOMO_SHA256:
        tmp.unlink()
        raise ConfigError(f"downloaded LoCoMo file failed its sha256 check (expected {LOCOMO_SHA256})")
    tmp.replace(dest)
    return dest


def locomo_data_info(path: str | Path | None = None, n_conversations: int | None = None) -> DataInfo:
    """The :class:`~agentmem.evals.provenance.DataInfo` of a LoCoMo file (recorded in each run's config):
    its sha256, whether that is the published release's, and how many conversations it holds."""
    p = Path(path) if path else default_locomo_path()
    if not p.is_file():
        raise ConfigError(f"{p}: LoCoMo file not found")
    sha = sha256_file(p)
    known = sha == LOCOMO_SHA256
    n = n_conversations if n_conversations is not None else len(load_locomo(p))
    notes = [] if known else [f"{p.name}: not the published locomo10.json (sha256 {LOCOMO_SHA256[:12]}...)"]
    return DataInfo(dataset="locomo", split="all", source=str(p), source_kind="file", via="--data" if path else "default", sha256=sha, hash_of="file",
                    known=known, n_items=n, notes=notes, label="" if known else f"data-{sha[:8]}")
