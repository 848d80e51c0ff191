"""Training the proxy: a query adapter (contrastive), then the scoring head (listwise warm start,
then Plackett-Luce policy gradient on MemSifter's reward), with checkpoint averaging.

Readable top to bottom, nanoGPT style. Inputs are plain arrays, so any store or dataset can
feed it:

* :class:`AdapterGroup`: one corpus (e.g. a conversation's turns) as base embeddings, and its
  queries with the indices of their relevant items. The adapter ``W`` learns
  ``normalise(q + W q)`` with a softmax over the whole corpus (every other item is a negative).
* :class:`ShortlistQuery`: one query's stage-1 shortlist (ids, texts, stage-1 scores, base
  embeddings, metadata). The head is trained on these.

The reward of a sampled ranking is :func:`~agentmem.retrieval.proxy.reward.memsifter_reward`
with any :class:`~agentmem.retrieval.proxy.reward.TaskScorer` (LoCoMo evidence recall, or the
working LLM's outcome): the same code path for both. The gradient estimator is REINFORCE over
rankings sampled from the Plackett-Luce distribution the head's scores define (Gumbel-top-k
sampling), truncated to the largest cut-off, with a leave-one-out baseline over the samples
of the same query (unbiased, lower variance).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .features import N_FEATURES, candidate_features
from .model import ProxyConfig, ProxyWeights
from .reward import TaskScorer, fibonacci_cutoffs, memsifter_reward

Log = Callable[[str], None]


@dataclass
class AdapterGroup:
    corpus: np.ndarray  # (n_items, dim) base embeddings, L2-normalised
    queries: np.ndarray  # (n_queries, dim)
    positives: list[list[int]]  # per query, indices into corpus


@dataclass
class ShortlistQuery:
    qid: str
    query: str
    q_vec: np.ndarray
    ids: list[str]
    texts: list[str]
    stage1: np.ndarray
    d_vecs: np.ndarray
    metadatas: list[dict[str, Any]] = field(default_factory=list)
    relevant: set[str] = field(default_factory=set)
    n_relevant: int = 0  # all labelled evidence, including what the shortlist missed
    targets: dict[str, float] = field(default_factory=dict)  # soft warm-start targets (id -> weight > 0); empty = ``relevant`` with weight 1


def _torch():
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    torch.set_num_threads(1)
    return torch


def adapter_recall(W: np.ndarray, groups: Sequence[AdapterGroup], k: int = 10) -> float:
    """Mean recall@k of the adapted dense ranking over the groups' queries."""
    vals = []
    for g in groups:
        if not len(g.queries):
            continue
        A = g.queries + g.queries @ W.T
        A /= np.linalg.norm(A, axis=1, keepdims=True)
        top = np.argsort(-(A @ g.corpus.T), axis=1)[:, :k]
        for row, pos in zip(top, g.positives):
            if pos:
                vals.append(len(set(row.tolist()) & set(pos)) / len(pos))
    return float(np.mean(vals)) if vals else 0.0


_ADAPTER_MEMO: dict[str, tuple[np.ndarray, list[dict[str, Any]]]] = {}


def _adapter_key(groups: Sequence[AdapterGroup], config: ProxyConfig, epochs: int, snapshots: Sequence[int]) -> str:
    import hashlib

    h = hashlib.sha1(repr((config.adapter_lr, config.adapter_l2, config.adapter_scale, epochs, tuple(snapshots))).encode())
    for g in groups:
        h.update(np.ascontiguousarray(g.corpus).tobytes())
        h.update(np.ascontiguousarray(g.queries).tobytes())
        h.update(repr(g.positives).encode())
    return h.hexdigest()


def train_adapter(groups: Sequence[AdapterGroup], config: ProxyConfig, epochs: int, log: Log | None = None, snapshots: Sequence[int] = ()) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Learn ``W`` (dim x dim, starts at 0 = the base embedder) by multi-positive softmax over each corpus.

    ``snapshots``: epoch counts at which a copy of ``W`` is stored in the history (key ``W``).
    Full-batch Adam from ``W = 0`` does not depend on the seed, so results are memoised in the
    process by the data and the adapter settings (several seeds on one training set train it once).
    """
    key = _adapter_key(groups, config, epochs, snapshots)
    if key not in _ADAPTER_MEMO:
        if len(_ADAPTER_MEMO) > 16:
            _ADAPTER_MEMO.clear()
        _ADAPTER_MEMO[key] = _train_adapter(groups, config, epochs, log, snapshots)
    W, history = _ADAPTER_MEMO[key]
    return W.copy(), [dict(h) for h in history]


def _train_adapter(groups: Sequence[AdapterGroup], config: ProxyConfig, epochs: int, log: Log | None, snapshots: Sequence[int]) -> tuple[np.ndarray, list[dict[str, Any]]]:
    torch = _torch()
    torch.manual_seed(config.seed)
    dim = groups[0].corpus.shape[1]
    W = torch.zeros(dim, dim, requires_grad=True)
    opt = torch.optim.Adam([W], lr=config.adapter_lr)
    data = []
    for g in groups:
        keep = [j for j, p in enumerate(g.positives) if p]
        if not keep:
            continue
        mask = torch.zeros(len(keep), len(g.corpus), dtype=torch.bool)
        for r, j in enumerate(keep):
            mask[r, g.positives[j]] = True
        data.append((torch.from_numpy(g.corpus), torch.from_numpy(g.queries[keep]), mask))
    history = []
    for epoch in range(epochs):
        total = 0.0
        for D, Q, mask in data:
            A = Q + Q @ W.T
            A = A / A.norm(dim=1, keepdim=True)
            logits = config.adapter_scale * (A @ D.T)
            loss = (torch.logsumexp(logits, 1) - torch.logsumexp(logits.masked_fill(~mask, -1e9), 1)).mean() + config.adapter_l2 * (W * W).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach())
        history.append({"epoch": epoch + 1, "loss": total / max(1, len(data))})
        if epoch + 1 in snapshots:
            history[-1]["W"] = W.detach().numpy().astype(np.float32).copy()
        if log and (epoch + 1) % 10 == 0:
            log(f"adapter epoch {epoch + 1}/{epochs} loss {history[-1]['loss']:.4f}")
    return W.detach().numpy().astype(np.float32), history


def shortlist_features(q: ShortlistQuery, W: np.ndarray) -> np.ndarray:
    w = ProxyWeights.identity(q.d_vecs.shape[1])
    w.W = W
    dense = q.d_vecs @ q.q_vec
    adapted = q.d_vecs @ w.adapt(q.q_vec)
    speakers = sorted({str(m["speaker"]) for m in q.metadatas if m.get("speaker")})
    return candidate_features(q.query, q.texts, q.stage1, dense, adapted, q.metadatas or None, speakers)


class _Head:
    """The torch twin of :meth:`ProxyWeights.score` (linear + tanh MLP on standardised features)."""

    def __init__(self, hidden: int, mean: np.ndarray, std: np.ndarray, seed: int) -> None:
        torch = _torch()
        torch.manual_seed(seed)
        nn = torch.nn
        self.mean, self.std = torch.from_numpy(mean), torch.from_numpy(std)
        width = len(mean)
        self.lin = nn.Linear(width, 1)
        self.l1 = nn.Linear(width, hidden)
        self.l2 = nn.Linear(hidden, 1)
        with torch.no_grad():
            self.lin.weight.zero_()
            self.lin.weight[0, 0] = 1.0  # start from the stage-1 order
            self.lin.bias.zero_()
            self.l2.weight.mul_(0.1)
        self.params = [*self.lin.parameters(), *self.l1.parameters(), *self.l2.parameters()]

    def __call__(self, X):
        torch = _torch()
        x = (X - self.mean) / self.std
        return (self.lin(x) + self.l2(torch.tanh(self.l1(x)))).squeeze(-1)

    def state(self) -> dict[str, np.ndarray]:
        return {
            "lin_w": self.lin.weight.detach().numpy()[0].copy(),
            "lin_b": self.lin.bias.detach().numpy().copy(),
            "w1": self.l1.weight.detach().numpy().copy(),
            "b1": self.l1.bias.detach().numpy().copy(),
            "w2": self.l2.weight.detach().numpy().copy(),
            "b2": self.l2.bias.detach().numpy().copy(),
        }


def _stack(queries: Sequence[ShortlistQuery], feats: Sequence[np.ndarray], n: int):
    """Pad shortlists to ``n``: features (Q, n, F), relevance (Q, n), validity mask (Q, n)."""
    torch = _torch()
    width = next((f.shape[1] for f in feats if f.ndim == 2), N_FEATURES)
    X = np.zeros((len(queries), n, width), dtype=np.float32)
    rel = np.zeros((len(queries), n), dtype=np.float32)
    valid = np.zeros((len(queries), n), dtype=bool)
    for i, (q, f) in enumerate(zip(queries, feats)):
        m = min(n, len(q.ids))
        X[i, :m] = f[:m]
        valid[i, :m] = True
        rel[i, :m] = [q.targets.get(x, 0.0) for x in q.ids[:m]] if q.targets else [1.0 if x in q.relevant else 0.0 for x in q.ids[:m]]
    return torch.from_numpy(X), torch.from_numpy(rel), torch.from_numpy(valid)


def shortlist_recall(queries: Sequence[ShortlistQuery], scores: Sequence[np.ndarray], k: int) -> float:
    vals = []
    for q, s in zip(queries, scores):
        if q.n_relevant:
            top = [q.ids[int(i)] for i in np.argsort(-s, kind="stable")[:k]]
            vals.append(sum(1 for x in top if x in q.relevant) / q.n_relevant)
    return float(np.mean(vals)) if vals else 0.0


def train_head(
    queries: Sequence[ShortlistQuery],
    feats: Sequence[np.ndarray],
    scorer: TaskScorer,
    config: ProxyConfig,
    warm_epochs: int,
    rl_epochs: int,
    val: tuple[Sequence[ShortlistQuery], Sequence[np.ndarray]] | None = None,
    log: Log | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """Train the scoring head; returns (averaged head arrays, feature mean, feature std, history)."""
    torch = _torch()
    rng = np.random.default_rng(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    n = max(len(q.ids) for q in queries)
    allf = np.concatenate([f for f in feats if len(f)])
    mean, std = allf.mean(0).astype(np.float32), allf.std(0).astype(np.float32)
    std[std < 1e-6] = 1.0
    head = _Head(config.hidden, mean, std, config.seed)
    opt = torch.optim.Adam(head.params, lr=config.lr)
    X, rel, valid = _stack(queries, feats, n)
    cutoffs = fibonacci_cutoffs(n)
    depth = cutoffs[-1]
    s0 = {q.qid: scorer.score(q.qid, []) for q in queries}
    history: list[dict[str, Any]] = []
    snapshots: list[dict[str, np.ndarray]] = []
    batch = 64
    total_epochs = warm_epochs + rl_epochs

    def evaluate() -> dict[str, float]:
        if not val:
            return {}
        vq, vf = val
        with torch.no_grad():
            sc = [head(torch.from_numpy(f)).numpy() if len(f) else np.zeros(0) for f in vf]
        return {"val_R@5": shortlist_recall(vq, sc, 5), "val_R@10": shortlist_recall(vq, sc, 10)}

    for epoch in range(total_epochs):
        phase = "warm" if epoch < warm_epochs else "rl"
        perm = rng.permutation(len(queries))
        total, rewards = 0.0, []
        for start in range(0, len(perm), batch):
            idx = torch.from_numpy(perm[start : start + batch])
            s = head(X[idx]).masked_fill(~valid[idx], -1e9)
            if phase == "warm":
                r = rel[idx]
                has = r.sum(1) > 0
                if not bool(has.any()):
                    continue
                # multi-positive softmax: maximise log sum_i r_i p_i (r = 1 on the positives, or soft targets)
                loss = (torch.logsumexp(s, 1) - torch.logsumexp(s.masked_fill(r == 0, -1e9) + torch.log(r.clamp_min(1e-12)), 1))[has].mean()
            else:
                S = config.samples
                g = -torch.log(-torch.log(torch.rand(len(idx), S, n, generator=gen).clamp_min(1e-12)))
                order = torch.argsort(s.detach().unsqueeze(1) + g, dim=2, descending=True)[:, :, :n]
                ss = torch.gather(s.unsqueeze(1).expand(-1, S, -1), 2, order)
                tail = torch.logcumsumexp(ss.flip(-1), -1).flip(-1)
                logp = (ss - tail)[:, :, :depth].sum(-1)
                R = np.zeros((len(idx), S), dtype=np.float32)
                for a, qi in enumerate(idx.tolist()):
                    q = queries[qi]
                    m = len(q.ids)
                    for b in range(S):
                        ranking = [q.ids[j] for j in order[a, b].tolist() if j < m]
                        R[a, b] = memsifter_reward(q.qid, ranking, scorer, s0=s0[q.qid], cutoffs=cutoffs)
                Rt = torch.from_numpy(R)
                adv = Rt - (Rt.sum(1, keepdim=True) - Rt) / (S - 1)
                loss = -(adv * logp).mean()
                rewards.append(float(R.mean()))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach())
        if epoch >= total_epochs - config.average_last:
            snapshots.append(head.state())
        entry = {"epoch": epoch + 1, "phase": phase, "loss": round(total, 5), **({"mean_reward": round(float(np.mean(rewards)), 5)} if rewards else {}), **evaluate()}
        history.append(entry)
        if log:
            log(" ".join(f"{k}={v}" for k, v in entry.items()))
    averaged = {k: np.mean([s[k] for s in snapshots], axis=0).astype(np.float32) for k in snapshots[0]} if snapshots else head.state()
    return averaged, mean, std, history


def fit_proxy(
    train_groups: Sequence[AdapterGroup],
    train_queries: Sequence[ShortlistQuery],
    scorer: TaskScorer,
    config: ProxyConfig,
    val_groups: Sequence[AdapterGroup] = (),
    val_queries: Sequence[ShortlistQuery] = (),
    log: Log | None = None,
) -> tuple[ProxyWeights, dict[str, Any]]:
    """Adapter then head; held-out groups/queries (if any) are only used for logging and picking
    the adapter's epoch count. Returns the weights and a training record."""
    t0 = time.perf_counter()
    record: dict[str, Any] = {"config": config.model_dump(), "train_queries": len(train_queries), "val_queries": len(val_queries)}
    dim = train_queries[0].d_vecs.shape[1] if train_queries else train_groups[0].corpus.shape[1]
    epochs, l2 = config.adapter_epochs, config.adapter_l2
    if val_groups and epochs:
        # pick the adapter's strength (L2 towards identity) and epoch count on held-out conversations
        zero = np.zeros((dim, dim), np.float32)
        trials: dict[str, float] = {"0": adapter_recall(zero, val_groups)}
        best, choice = trials["0"], (0, l2)
        counts = sorted({max(1, epochs // 4), max(1, epochs // 2), epochs})
        for cand_l2 in config.adapter_l2_grid or [l2]:
            _, hist = train_adapter(train_groups, config.model_copy(update={"adapter_l2": cand_l2}), epochs, snapshots=counts)
            for h in hist:
                if "W" in h:
                    trials[f"l2={cand_l2},epochs={h['epoch']}"] = r = adapter_recall(h["W"], val_groups)
                    if r > best:
                        best, choice = r, (h["epoch"], cand_l2)
        record["adapter_val_R@10"] = {k: round(v, 4) for k, v in trials.items()}
        epochs, l2 = choice
        if log:
            log(f"adapter: held-out R@10 {record['adapter_val_R@10']} -> epochs={epochs} l2={l2}")
    W = train_adapter(train_groups, config.model_copy(update={"adapter_l2": l2}), epochs, log)[0] if epochs else np.zeros((dim, dim), np.float32)
    record["adapter_l2"] = l2
    record["adapter_epochs"] = epochs
    feats = [shortlist_features(q, W) for q in train_queries]
    vfeats = [shortlist_features(q, W) for q in val_queries]
    head, mean, std, history = train_head(train_queries, feats, scorer, config, config.warm_epochs, config.rl_epochs, (val_queries, vfeats) if val_queries else None, log)
    weights = ProxyWeights(W=W, mean=mean, std=std, **head)
    record["history"] = history
    record["seconds"] = round(time.perf_counter() - t0, 1)
    return weights, record
