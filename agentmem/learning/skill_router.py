"""The outcome-trained skill router (Memento-Skills' read step).

Routing a task to a skill happens in two stages:

1. **Candidates.** Hybrid search (BM25 + dense, RRF; :class:`~agentmem.retrieval.hybrid.HybridIndex`)
   over each skill's ``name | description`` returns the top ``candidates`` skills.
2. **Learned rerank.** A small torch head scores each candidate from *frozen* embeddings of the
   task state ``s`` and the skill ``k`` (``name | description``): two learned projections
   ``a = tanh(W_s s)``, ``b = tanh(W_k k)`` (32-d) feed an MLP over ``[a, b, a*b, |a-b|, p]``
   that outputs the logit of ``P(success | task, skill)``, where ``p = 1 / (1 + hybrid rank)``
   is the first-stage score (standard learning-to-rerank practice: the head learns how far to
   trust similarity, and can lean on it where outcomes are scarce). The head is trained from the outcome log
   (:class:`~agentmem.learning.outcome_log.OutcomeLog` rows with ``store='skills'`` and
   ``used=True``: task text, skill used, reward, success).

Why this objective
------------------
A run log is *bandit feedback*: for each task we see the outcome of the one skill that was
used, not of the others, so there is no "correct skill" label for a listwise softmax. The
quantity that ranks candidates for Recall@1 is ``P(success | task, skill)``, and the pointwise
logistic loss (binary cross-entropy on success, or on a reward in [0, 1]) is a proper scoring
rule for exactly that probability. Because the logging policy's choice depends only on the
task, fitting the conditional ``P(success | s, k)`` stays consistent under the logging
policy's bias as long as each (task kind, skill) pair was explored at all. When the same task
text was tried with several skills, a pairwise logistic (RankNet) term ``-log sigma(f_win -
f_lose)`` is added for every (succeeded, failed) pair of the same task: it cancels the task's
own difficulty (a hard task fails with every skill) and sharpens the within-task contrast that
routing needs. The ``[a, b, a*b, |a-b|]`` features (as in InferSent/SBERT pair classifiers) let a small MLP
express both similarity and task-kind x skill interactions that cosine similarity alone
cannot. The low-dimensional projections keep the head small (about 30k parameters for
384-d embeddings), because outcome logs are small and noisy: a head on the raw 4 x 384
features memorised the training outcomes in our benchmark. Early stopping on held-out logged
*tasks* (15% by default, validation BCE, patience 15 epochs) picks the epoch.

Usage statistics (uses, successes, mean reward, last 20 rewards, EMA) are kept per skill in a
sidecar JSON file updated after every run (:class:`SkillUsageLedger`), since the Agent Skills
``metadata`` map holds only strings and should not churn on each run.

Checkpoints live under ``settings.paths.checkpoints / "skill_router"`` (``head.pt`` plus
``meta.json`` with a format version, the embedder's name and dimension, the config and the
training report). A missing or mismatched checkpoint is not an error: the router logs a warning
and falls back to plain hybrid ranking.

Example::

    router = SkillRouter.from_settings(settings, skills)
    router.route("heat the mug and put it on the table", k=3)
    router.record_outcome("heat the mug ...", "heat-object", reward=1.0, success=True, run_id="r1")
    report = router.train()          # reads the outcome log, saves the checkpoint
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from ..errors import ConfigError
from ..fileio import atomic_write_bytes, atomic_write_json, read_json, sha256_bytes
from ..retrieval.base import Embedder, VectorIndex
from ..retrieval.hybrid import HybridIndex
from ..types import UsageStats
from .outcome_log import OutcomeLog, OutcomeRow
from .skill_cards import SkillCard, as_card

if TYPE_CHECKING:
    from ..settings import Settings

log = logging.getLogger(__name__)

FORMAT_VERSION = 2
STORE = "skills"


class RouterConfig(BaseModel):
    """Hyper-parameters of the router (defaults suit hundreds to tens of thousands of log rows)."""

    candidates: int = Field(default=20, gt=0, description="Hybrid-search candidates the head reranks.")
    proj: int = Field(default=32, gt=0, description="Width of the task and skill projections of the frozen embeddings.")
    hidden: int = Field(default=64, gt=0, description="Hidden width of the scoring MLP.")
    dropout: float = Field(default=0.1, ge=0.0, lt=1.0)
    epochs: int = Field(default=150, gt=0)
    batch_size: int = Field(default=256, gt=0)
    lr: float = Field(default=3e-3, gt=0)
    weight_decay: float = Field(default=1e-4, ge=0)
    pairwise_weight: float = Field(default=0.5, ge=0, description="Weight of the within-task RankNet term (0 = pointwise only).")
    target: Literal["success", "reward"] = Field(default="success", description="Label of the pointwise loss: success (0/1) or reward clipped to [0, 1].")
    val_fraction: float = Field(default=0.15, ge=0, lt=1, description="Share of logged tasks held out for early stopping (0 = train on all, fixed epochs).")
    patience: int = Field(default=15, gt=0, description="Early stopping: epochs without a better validation loss.")
    min_rows: int = Field(default=8, gt=0, description="Fewer usable log rows than this and training is refused.")
    seed: int = 0


class RoutedSkill(BaseModel):
    """One routing decision."""

    name: str
    score: float = Field(..., description="P(success) from the trained head, or the RRF score when falling back.")
    hybrid_rank: int = Field(..., description="Rank among the hybrid-search candidates (0 = first).")
    source: Literal["learned", "hybrid"]


class TrainReport(BaseModel):
    """What one training run did."""

    rows: int
    skipped_rows: int = Field(default=0, description="Log rows naming a skill that is no longer in the library.")
    pairs: int = 0
    epochs: int = Field(default=0, description="Epochs run (fewer than configured when early stopping fired).")
    best_epoch: int = 0
    val_loss: float | None = Field(default=None, description="Best validation BCE (None when no validation split was used).")
    first_loss: float = 0.0
    final_loss: float = 0.0
    train_accuracy: float = 0.0
    skills: int = 0
    embedder: str = ""
    checkpoint: str | None = None
    seconds: float = 0.0


class SkillUsageLedger:
    """Per-skill :class:`~agentmem.types.UsageStats` in one sidecar JSON file (atomic writes)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def load(self) -> dict[str, UsageStats]:
        raw = read_json(self.path, {}) or {}
        return {name: UsageStats.model_validate(v) for name, v in raw.items()}

    def get(self, name: str) -> UsageStats:
        return self.load().get(name, UsageStats())

    def record(self, name: str, reward: float, success: bool) -> UsageStats:
        stats = self.load()
        s = stats.setdefault(name, UsageStats())
        s.record(reward, success)
        s.utility = s.successes / s.uses if s.uses else 0.0
        atomic_write_json(self.path, {k: v.model_dump(mode="json") for k, v in sorted(stats.items())})
        return s


def pair_features(s: Any, k: Any) -> Any:
    """``[s, k, s*k, |s-k|]`` for torch tensors of shape ``(n, d)``."""
    import torch

    return torch.cat([s, k, s * k, (s - k).abs()], dim=-1)


def _build_head(dim: int, proj: int, hidden: int, dropout: float) -> Any:
    """Two small projections of the frozen embeddings, then an MLP over ``[a, b, a*b, |a-b|, prior]``."""
    import torch
    import torch.nn as nn

    class Head(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.drop = nn.Dropout(dropout)
            self.task = nn.Linear(dim, proj)
            self.skill = nn.Linear(dim, proj)
            self.mlp = nn.Sequential(nn.Linear(4 * proj + 1, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, 1))

        def forward(self, s: Any, k: Any, prior: Any) -> Any:
            a = torch.tanh(self.task(self.drop(s)))
            b = torch.tanh(self.skill(self.drop(k)))
            return self.mlp(torch.cat([pair_features(a, b), prior[:, None]], dim=-1)).squeeze(-1)

    return Head()


class SkillRouter:
    """Routes a task to skills: hybrid candidates reranked by an outcome-trained head.

    ``skills`` are :class:`SkillCard` s or any objects with ``name``, ``description`` and
    ``body``. ``checkpoint_dir`` (usually ``settings.paths.checkpoints / "skill_router"``) is
    where :meth:`train` saves and the constructor loads the head.
    """

    def __init__(
        self,
        skills: Iterable[Any],
        embedder: Embedder,
        index: VectorIndex | None = None,
        *,
        checkpoint_dir: str | Path | None = None,
        outcome_log: OutcomeLog | None = None,
        usage: SkillUsageLedger | None = None,
        config: RouterConfig | None = None,
        rrf_k: int = 60,
    ) -> None:
        from ..retrieval.memory_index import InMemoryIndex

        self.config = config or RouterConfig()
        self.embedder = embedder
        self.skills: dict[str, SkillCard] = {}
        for s in skills:
            card = as_card(s)
            self.skills[card.name] = card
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir else None
        self.outcome_log = outcome_log
        self.usage = usage
        self.hybrid = HybridIndex("skill_router", embedder, index if index is not None else InMemoryIndex(), rrf_k=rrf_k)
        names = sorted(self.skills)
        self.hybrid.upsert(names, [self.skills[n].route_text for n in names], [{"name": n} for n in names])
        self._skill_vecs: dict[str, np.ndarray] = {}
        self._cand_cache: dict[tuple[str, int, str], list[tuple[str, float]]] = {}  # the skill set is fixed per router
        self._head: Any = None
        self.meta: dict[str, Any] | None = None
        if self.checkpoint_dir is not None:
            self.load()

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_settings(cls, settings: "Settings", skills: Iterable[Any], config: RouterConfig | None = None) -> "SkillRouter":
        """Wire the router from settings: embedder, checkpoint folder, outcome log, usage sidecar."""
        from ..retrieval.factory import make_embedder

        from ..retrieval.memory_index import InMemoryIndex

        return cls(
            skills,
            make_embedder(settings),
            InMemoryIndex(),  # the skill index is tiny and rebuilt from the files each time
            checkpoint_dir=settings.paths.checkpoints / "skill_router",
            outcome_log=OutcomeLog(settings.paths.home / "outcomes.sqlite"),
            usage=SkillUsageLedger(settings.paths.stores / "skill_router" / "usage.json"),
            config=config,
            rrf_k=settings.recall.rrf_k,
        )

    @property
    def trained(self) -> bool:
        return self._head is not None

    # ------------------------------------------------------------------ embeddings
    def _skill_matrix(self, names: Sequence[str]) -> np.ndarray:
        missing = [n for n in names if n not in self._skill_vecs]
        if missing:
            vecs = self.embedder.embed([self.skills[n].route_text for n in missing])
            for n, v in zip(missing, vecs):
                self._skill_vecs[n] = v
        return np.stack([self._skill_vecs[n] for n in names]) if names else np.zeros((0, self.embedder.dim), np.float32)

    # ------------------------------------------------------------------ routing
    def candidates(self, task: str, k: int | None = None, mode: str = "hybrid") -> list[tuple[str, float]]:
        """``(name, score)`` of the top-``k`` skills by hybrid (or ``"bm25"`` / ``"dense"``) search."""
        key = (task, k or self.config.candidates, mode)
        if key not in self._cand_cache:
            if len(self._cand_cache) >= 4096:
                self._cand_cache.clear()
            self._cand_cache[key] = [(h.id, h.score) for h in self.hybrid.search(task, k=key[1], mode=mode)]
        return list(self._cand_cache[key])

    def _priors(self, task: str) -> dict[str, float]:
        """The first-stage feature: ``1 / (1 + hybrid rank)`` for each candidate (0 when not a candidate)."""
        return {name: 1.0 / (1 + i) for i, (name, _) in enumerate(self.candidates(task))}

    def score(self, task: str, names: Sequence[str]) -> np.ndarray:
        """P(success) of each named skill for ``task`` from the trained head."""
        if self._head is None:
            raise ConfigError("skill router: no trained head loaded (run `agentmem skills train-router`)")
        import torch

        s = torch.from_numpy(np.repeat(self.embedder.embed([task]), len(names), axis=0))
        k = torch.from_numpy(self._skill_matrix(names))
        self._head.eval()
        with torch.no_grad():
            priors = self._priors(task)
            r = torch.tensor([priors.get(n, 0.0) for n in names], dtype=torch.float32)
            return torch.sigmoid(self._head(s, k, r)).numpy()

    def route(self, task: str, k: int = 1) -> list[RoutedSkill]:
        """The best ``k`` skills for ``task``: learned rerank when a head is loaded, else hybrid order."""
        cands = self.candidates(task)
        if not cands:
            return []
        if self._head is None:
            return [RoutedSkill(name=n, score=s, hybrid_rank=i, source="hybrid") for i, (n, s) in enumerate(cands[:k])]
        probs = self.score(task, [n for n, _ in cands])
        order = sorted(range(len(cands)), key=lambda i: (-float(probs[i]), i))
        return [RoutedSkill(name=cands[i][0], score=float(probs[i]), hybrid_rank=i, source="learned") for i in order[:k]]

    # ------------------------------------------------------------------ outcomes
    def record_outcome(self, task_text: str, skill: str, *, reward: float, success: bool, run_id: str, task_id: str | None = None, rank: int | None = None) -> None:
        """Log one run's outcome for the skill it used and update that skill's usage sidecar."""
        if self.outcome_log is not None:
            self.outcome_log.record([OutcomeRow(run_id=run_id, task_id=task_id, task_text=task_text, store=STORE, item_id=skill, rank=rank, used=True, reward=reward, success=success)])
        if self.usage is not None:
            self.usage.record(skill, reward, success)

    # ------------------------------------------------------------------ training
    def train(self, rows: Sequence[OutcomeRow] | None = None, *, save: bool = True, progress: Any = None) -> TrainReport:
        """Fit the head on logged outcomes (default: every used ``skills`` row of the outcome log).

        ``progress`` is an optional callable ``(epoch, epochs, loss)``. Raises
        :class:`ConfigError` when fewer than ``config.min_rows`` usable rows exist.
        """
        import torch

        t0 = time.time()
        cfg = self.config
        if rows is None:
            if self.outcome_log is None:
                raise ConfigError("skill router: no outcome log to train from (pass rows or an OutcomeLog)")
            rows = self.outcome_log.rows(store=STORE, used_only=True)
        usable = [r for r in rows if r.item_id in self.skills and r.store == STORE]
        skipped = len(rows) - len(usable)
        if len(usable) < cfg.min_rows:
            raise ConfigError(f"skill router: only {len(usable)} usable outcome rows (need {cfg.min_rows}); {skipped} rows named unknown skills")
        torch.manual_seed(cfg.seed)
        rng = np.random.default_rng(cfg.seed)
        task_vecs = self.embedder.embed([r.task_text for r in usable])
        skill_vecs = self._skill_matrix([r.item_id for r in usable])
        if cfg.target == "success":
            y = np.array([1.0 if r.success else 0.0 for r in usable], np.float32)
        else:
            y = np.clip(np.array([r.reward for r in usable], np.float32), 0.0, 1.0)
        by_task: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(usable):
            by_task[r.task_text].append(i)
        pairs = [(i, j) for idx in by_task.values() for i in idx for j in idx if y[i] > y[j]]
        pairs_arr = np.array(pairs, np.int64).reshape(-1, 2)

        prior_of = {text: self._priors(text) for text in by_task}
        prior = np.array([prior_of[r.task_text].get(r.item_id, 0.0) for r in usable], np.float32)
        S, K, Y, R = torch.from_numpy(task_vecs), torch.from_numpy(skill_vecs), torch.from_numpy(y), torch.from_numpy(prior)
        # hold out whole tasks for early stopping (validation BCE), when there are enough rows
        texts = sorted(by_task)
        val_idx = np.zeros(0, np.int64)
        if cfg.val_fraction > 0 and len(texts) >= 10:
            val_texts = set(rng.permutation(texts)[: max(1, int(round(cfg.val_fraction * len(texts))))])
            val_idx = np.array([i for i, r in enumerate(usable) if r.task_text in val_texts], np.int64)
        train_idx = np.setdiff1d(np.arange(len(usable)), val_idx)
        if len(val_idx):
            pairs_arr = pairs_arr[np.isin(pairs_arr[:, 0], train_idx)] if len(pairs_arr) else pairs_arr
        head = _build_head(S.shape[1], cfg.proj, cfg.hidden, cfg.dropout)
        opt = torch.optim.AdamW(head.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        bce = torch.nn.BCEWithLogitsLoss()
        n = len(train_idx)
        first = final = 0.0
        best_val, best_epoch, best_state = float("inf"), cfg.epochs, None
        for epoch in range(cfg.epochs):
            head.train()
            perm = train_idx[rng.permutation(n)]
            total, batches = 0.0, 0
            for start in range(0, n, cfg.batch_size):
                b = torch.from_numpy(perm[start : start + cfg.batch_size])
                loss = bce(head(S[b], K[b], R[b]), Y[b])
                if cfg.pairwise_weight > 0 and len(pairs_arr):
                    pb = torch.from_numpy(pairs_arr[rng.integers(0, len(pairs_arr), size=min(len(pairs_arr), cfg.batch_size))])
                    win = head(S[pb[:, 0]], K[pb[:, 0]], R[pb[:, 0]])
                    lose = head(S[pb[:, 1]], K[pb[:, 1]], R[pb[:, 1]])
                    loss = loss + cfg.pairwise_weight * torch.nn.functional.softplus(lose - win).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach())
                batches += 1
            avg = total / max(batches, 1)
            first = avg if epoch == 0 else first
            final = avg
            if len(val_idx):
                head.eval()
                with torch.no_grad():
                    vb = torch.from_numpy(val_idx)
                    val = float(bce(head(S[vb], K[vb], R[vb]), Y[vb]))
                if val < best_val - 1e-4:
                    best_val, best_epoch = val, epoch + 1
                    best_state = {k: v.detach().clone() for k, v in head.state_dict().items()}
                elif epoch + 1 - best_epoch >= cfg.patience:
                    if progress is not None:
                        progress(cfg.epochs, cfg.epochs, avg)
                    break
            if progress is not None:
                progress(epoch + 1, cfg.epochs, avg)
        if best_state is not None:
            head.load_state_dict(best_state)
        head.eval()
        with torch.no_grad():
            tb = torch.from_numpy(train_idx)
            acc = float(((torch.sigmoid(head(S[tb], K[tb], R[tb])) > 0.5).float() == (Y[tb] > 0.5).float()).float().mean())
        self._head = head
        report = TrainReport(
            rows=len(usable), skipped_rows=skipped, pairs=len(pairs), epochs=epoch + 1, best_epoch=best_epoch if best_state is not None else epoch + 1,
            val_loss=best_val if best_state is not None else None, first_loss=first, final_loss=final,
            train_accuracy=acc, skills=len({r.item_id for r in usable}), embedder=self.embedder.name, seconds=time.time() - t0,
        )
        if save and self.checkpoint_dir is not None:
            report.checkpoint = str(self.save(report))
        return report

    # ------------------------------------------------------------------ checkpoints
    def save(self, report: TrainReport | None = None) -> Path:
        """Write ``head.pt`` and ``meta.json`` into the checkpoint folder; return the folder."""
        if self._head is None or self.checkpoint_dir is None:
            raise ConfigError("skill router: nothing to save (no trained head or no checkpoint folder)")
        import io

        import torch

        buf = io.BytesIO()
        torch.save(self._head.state_dict(), buf)
        data = buf.getvalue()
        atomic_write_bytes(self.checkpoint_dir / "head.pt", data)
        meta = {
            "format": FORMAT_VERSION,
            "kind": "skill_router",
            "embedder": self.embedder.name,
            "dim": int(self.embedder.dim),
            "config": self.config.model_dump(mode="json"),
            "sha256": sha256_bytes(data),
            "saved_at": time.time(),
            "report": report.model_dump(mode="json") if report else None,
        }
        atomic_write_json(self.checkpoint_dir / "meta.json", meta)
        self.meta = meta
        return self.checkpoint_dir

    def load(self) -> bool:
        """Load the head if a matching checkpoint exists; otherwise warn and keep hybrid ranking."""
        self._head = None
        if self.checkpoint_dir is None:
            return False
        meta_path, head_path = self.checkpoint_dir / "meta.json", self.checkpoint_dir / "head.pt"
        if not meta_path.exists() or not head_path.exists():
            log.warning("skill router: no checkpoint in %s; falling back to hybrid ranking", self.checkpoint_dir)
            return False
        try:
            meta = read_json(meta_path, {})
        except Exception as exc:  # a corrupt cache is a fallback, never a crash
            log.warning("skill router: unreadable %s (%s); falling back to hybrid ranking", meta_path, exc)
            return False
        why = None
        if meta.get("format") != FORMAT_VERSION or meta.get("kind") != "skill_router":
            why = f"format {meta.get('format')!r} (expected {FORMAT_VERSION})"
        elif meta.get("embedder") != self.embedder.name or meta.get("dim") != self.embedder.dim:
            why = f"trained with embedder {meta.get('embedder')!r}/{meta.get('dim')} but the router uses {self.embedder.name!r}/{self.embedder.dim}"
        else:
            data = head_path.read_bytes()
            if sha256_bytes(data) != meta.get("sha256"):
                why = "head.pt does not match the checksum in meta.json"
        if why:
            log.warning("skill router: checkpoint in %s not used: %s; falling back to hybrid ranking", self.checkpoint_dir, why)
            return False
        import io

        import torch

        try:
            cfg = RouterConfig.model_validate(meta.get("config") or {})
            head = _build_head(self.embedder.dim, cfg.proj, cfg.hidden, cfg.dropout)
            head.load_state_dict(torch.load(io.BytesIO(data), map_location="cpu", weights_only=True))
        except Exception as exc:
            log.warning("skill router: checkpoint in %s not loadable (%s); falling back to hybrid ranking", self.checkpoint_dir, exc)
            return False
        head.eval()
        self._head, self.meta = head, meta
        return True
