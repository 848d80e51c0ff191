"""MemSkill's controller: a policy that picks the top-K memory skills for a span.

Model
-----
A dual encoder over frozen text embeddings (MiniLM in use, the hash fake in tests):

* state encoder ``f([span_emb, memories_emb])`` -> ``h`` (two-layer MLP), where
  ``memories_emb`` is the mean embedding of the memories retrieved for the span (zeros when
  none);
* skill encoder ``g(skill_emb)`` -> ``h`` (a linear projection plus a residual MLP) over the
  embedding of each skill's name, action type, description and "when to use";
* the score of skill ``j`` is ``<f(state), g(skill_j)> / sqrt(h)``.

Because skills are scored through their descriptions, the bank can grow (the designer adds
skills) without changing the network. A critic ``V(state)`` (MLP on the same state input)
estimates the expected return.

Selection and its probability
-----------------------------
Top-K without replacement under a Plackett-Luce distribution: sampling adds Gumbel noise to the
scores and keeps the K largest (the Gumbel-top-k trick); the log-probability of the ordered
selection is ``sum_i [s_{a_i} - logsumexp(s over the skills not yet chosen)]``. At inference
the K highest scores are taken.

Training
--------
The paper trains with PPO and a critic. We implement the clipped PPO surrogate with a learned
value baseline, generalised advantage being simply ``G_t - V(s_t)``: the reward of an episode
is *delayed* (known only after the whole conversation has been memorised and the questions
answered), so the return of every span is the discounted final reward, ``G_t = gamma^(T-1-t)
R`` plus any per-span rewards, i.e. the delayed reward is spread back over the spans of the
episode. With ``ppo_epochs=1`` the clipped surrogate's gradient equals REINFORCE with a learned
baseline; we default to 4 PPO epochs per batch (clip 0.2), which reuses each batch of
episodes safely -- the reason PPO suits this setting, where every episode costs LLM calls.
Advantages are normalised per batch and an entropy bonus on the first pick keeps exploration.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from ...errors import ConfigError
from ...fileio import atomic_write_bytes, atomic_write_json, read_json, sha256_bytes


class SkillControllerConfig(BaseModel):
    """Hyper-parameters of the MemSkill controller."""

    top_k: int = Field(default=7, gt=0, description="Skills selected per span (K=7 as in the paper on LoCoMo).")
    hidden: int = Field(default=64, gt=0)
    lr: float = Field(default=3e-3, gt=0)
    gamma: float = Field(default=1.0, ge=0, le=1, description="Discount when spreading the delayed episode reward back over spans.")
    ppo_epochs: int = Field(default=4, gt=0, description="Optimisation passes per batch (1 = REINFORCE with a learned baseline).")
    clip: float = Field(default=0.2, gt=0)
    value_coef: float = Field(default=0.5, ge=0)
    entropy_coef: float = Field(default=0.01, ge=0)
    max_grad_norm: float = Field(default=1.0, gt=0)
    seed: int = 0


class Transition(BaseModel):
    """One span's decision, kept for the policy update."""

    model_config = {"arbitrary_types_allowed": True}

    span_vec: Any
    mem_vec: Any
    actions: list[int]
    logp: float
    reward: float = Field(default=0.0, description="Immediate per-span reward, if any (usually 0: the reward is delayed).")


class UpdateStats(BaseModel):
    policy_loss: float
    value_loss: float
    entropy: float
    mean_return: float


def discounted_returns(rewards: Sequence[float], final_reward: float, gamma: float) -> list[float]:
    """``G_t = sum_{t'>=t} gamma^(t'-t) r_t'`` with ``final_reward`` added to the last span's reward."""
    r = list(rewards)
    if not r:
        return []
    r[-1] += final_reward
    out, g = [0.0] * len(r), 0.0
    for t in range(len(r) - 1, -1, -1):
        g = r[t] + gamma * g
        out[t] = g
    return out


def _build(dim: int, hidden: int) -> Any:
    import torch
    import torch.nn as nn

    class Policy(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.state = nn.Sequential(nn.Linear(2 * dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden))
            self.skill_in = nn.Linear(dim, hidden)
            self.skill_mlp = nn.Sequential(nn.Tanh(), nn.Linear(hidden, hidden))
            self.critic = nn.Sequential(nn.Linear(2 * dim, hidden), nn.Tanh(), nn.Linear(hidden, 1))
            self.scale = 1.0 / math.sqrt(hidden)

        def forward(self, span: Any, mem: Any, skills: Any) -> tuple[Any, Any]:
            x = torch.cat([span, mem], dim=-1)
            k = self.skill_in(skills)
            k = k + self.skill_mlp(k)
            return (self.state(x) @ k.T) * self.scale, self.critic(x).squeeze(-1)

    return Policy()


def plackett_luce_logp(scores: Any, actions: Any) -> Any:
    """Log-probability of ordered selections ``actions`` (n, K) under Plackett-Luce with ``scores`` (n, m)."""
    import torch

    mask = torch.zeros_like(scores, dtype=torch.bool)
    total = torch.zeros(scores.shape[0], dtype=scores.dtype)
    rows = torch.arange(scores.shape[0])
    for i in range(actions.shape[1]):
        masked = scores.masked_fill(mask, float("-inf"))
        total = total + masked[rows, actions[:, i]] - torch.logsumexp(masked, dim=-1)
        mask = mask.clone()
        mask[rows, actions[:, i]] = True
    return total


class SkillController:
    """Scores every memory skill for (span, retrieved memories) and selects the top-K."""

    def __init__(self, dim: int, config: SkillControllerConfig | None = None) -> None:
        import torch

        self.config = config or SkillControllerConfig()
        self.dim = dim
        torch.manual_seed(self.config.seed)
        self.net = _build(dim, self.config.hidden)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=self.config.lr)
        self.rng = np.random.default_rng(self.config.seed)
        self.updates = 0

    # ------------------------------------------------------------------ acting
    def scores(self, span_vec: np.ndarray, mem_vec: np.ndarray, skill_vecs: np.ndarray) -> np.ndarray:
        """Score of every skill (higher = more likely selected)."""
        import torch

        with torch.no_grad():
            s, _ = self.net(torch.as_tensor(span_vec, dtype=torch.float32)[None], torch.as_tensor(mem_vec, dtype=torch.float32)[None],
                            torch.as_tensor(skill_vecs, dtype=torch.float32))
        return s[0].numpy()

    def select(self, span_vec: np.ndarray, mem_vec: np.ndarray, skill_vecs: np.ndarray, *, k: int | None = None, sample: bool = False) -> tuple[list[int], float]:
        """Indices of the selected skills (ordered) and the log-probability of that selection.

        ``sample=True`` draws from the Plackett-Luce policy (Gumbel-top-k; for training);
        otherwise the K highest scores are taken.
        """
        import torch

        k = min(k or self.config.top_k, len(skill_vecs))
        s = self.scores(span_vec, mem_vec, skill_vecs)
        keys = s + self.rng.gumbel(size=s.shape) if sample else s
        actions = [int(i) for i in np.argsort(-keys, kind="stable")[:k]]
        logp = float(plackett_luce_logp(torch.as_tensor(s)[None], torch.as_tensor([actions]))[0])
        return actions, logp

    # ------------------------------------------------------------------ learning
    def update(self, episodes: Sequence[tuple[Sequence[Transition], float]], skill_vecs: np.ndarray) -> UpdateStats:
        """One PPO update from episodes ``(transitions, delayed_final_reward)`` over a fixed skill set."""
        import torch

        cfg = self.config
        trans: list[Transition] = []
        returns: list[float] = []
        for steps, final in episodes:
            trans.extend(steps)
            returns.extend(discounted_returns([t.reward for t in steps], final, cfg.gamma))
        if not trans:
            raise ConfigError("controller update: no transitions")
        span = torch.as_tensor(np.stack([t.span_vec for t in trans]), dtype=torch.float32)
        mem = torch.as_tensor(np.stack([t.mem_vec for t in trans]), dtype=torch.float32)
        K = torch.as_tensor(skill_vecs, dtype=torch.float32)
        acts = torch.as_tensor([t.actions for t in trans])
        old_logp = torch.as_tensor([t.logp for t in trans], dtype=torch.float32)
        G = torch.as_tensor(returns, dtype=torch.float32)
        with torch.no_grad():
            _, v0 = self.net(span, mem, K)
        adv = G - v0
        adv = (adv - adv.mean()) / (adv.std() + 1e-8) if len(adv) > 1 else adv
        stats = None
        for _ in range(cfg.ppo_epochs):
            scores, value = self.net(span, mem, K)
            logp = plackett_luce_logp(scores, acts)
            ratio = torch.exp(logp - old_logp)
            policy_loss = -torch.min(ratio * adv, torch.clamp(ratio, 1 - cfg.clip, 1 + cfg.clip) * adv).mean()
            value_loss = ((value - G) ** 2).mean()
            probs = torch.softmax(scores, dim=-1)
            entropy = -(probs * torch.log(probs + 1e-12)).sum(-1).mean()
            loss = policy_loss + cfg.value_coef * value_loss - cfg.entropy_coef * entropy
            self.opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.net.parameters(), cfg.max_grad_norm)
            self.opt.step()
            stats = UpdateStats(policy_loss=float(policy_loss.detach()), value_loss=float(value_loss.detach()), entropy=float(entropy.detach()), mean_return=float(G.mean()))
        self.updates += 1
        assert stats is not None
        return stats

    # ------------------------------------------------------------------ checkpoints
    def save(self, folder: str | Path, embedder_name: str) -> Path:
        """Write ``policy.pt`` and ``meta.json`` (format, embedder, dim, config, checksum)."""
        import io

        import torch

        folder = Path(folder)
        buf = io.BytesIO()
        torch.save(self.net.state_dict(), buf)
        data = buf.getvalue()
        atomic_write_bytes(folder / "policy.pt", data)
        atomic_write_json(folder / "meta.json", {"format": 1, "kind": "memskill_controller", "embedder": embedder_name, "dim": self.dim,
                                                 "config": self.config.model_dump(mode="json"), "sha256": sha256_bytes(data), "updates": self.updates})
        return folder

    @classmethod
    def load(cls, folder: str | Path, embedder_name: str, dim: int) -> "SkillController | None":
        """The saved controller, or ``None`` when the checkpoint is missing or does not match (caller falls back)."""
        import io
        import logging

        import torch

        folder = Path(folder)
        meta = read_json(folder / "meta.json")
        if not meta or not (folder / "policy.pt").exists():
            return None
        data = (folder / "policy.pt").read_bytes()
        if meta.get("kind") != "memskill_controller" or meta.get("embedder") != embedder_name or meta.get("dim") != dim or sha256_bytes(data) != meta.get("sha256"):
            logging.getLogger(__name__).warning("memskill controller checkpoint in %s does not match (embedder %s/%s); not used", folder, embedder_name, dim)
            return None
        ctl = cls(dim, SkillControllerConfig.model_validate(meta["config"]))
        ctl.net.load_state_dict(torch.load(io.BytesIO(data), map_location="cpu", weights_only=True))
        ctl.updates = int(meta.get("updates", 0))
        return ctl


def encode_state(embedder: Any, span_text: str, memories: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(span_vec, mem_vec)``: the span's embedding and the mean embedding of its retrieved memories (zeros if none)."""
    span_vec = embedder.embed([span_text])[0]
    mem_vec = embedder.embed(list(memories)).mean(axis=0) if memories else np.zeros(embedder.dim, np.float32)
    return span_vec.astype(np.float32), np.asarray(mem_vec, np.float32)


def skill_matrix(embedder: Any, skills: Sequence[Any]) -> np.ndarray:
    """Embeddings of the skills' encoder texts, one row per skill (same order)."""
    return embedder.embed([s.encoder_text for s in skills]).astype(np.float32)
