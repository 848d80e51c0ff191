"""MemSkill controller: PPO from a delayed episode reward beats random selection on held-out spans (fixed seed)."""

from __future__ import annotations

import numpy as np
import pytest

from agentmem.learning.memskill import MemorySkillBank
from agentmem.learning.memskill.controller import SkillControllerConfig, SkillController, discounted_returns, plackett_luce_logp, skill_matrix
from agentmem.learning.memskill.synthetic import BEST, make_span, train_and_evaluate
from agentmem.testing import HashEmbedder

torch = pytest.importorskip("torch")
torch.set_num_threads(1)


def test_delayed_reward_is_spread_back_over_the_episode():
    assert discounted_returns([0.0, 0.0, 0.0], 1.0, gamma=1.0) == [1.0, 1.0, 1.0]
    assert discounted_returns([0.0, 0.0, 0.0], 1.0, gamma=0.5) == [0.25, 0.5, 1.0]
    assert discounted_returns([0.2, 0.0], 1.0, gamma=1.0) == pytest.approx([1.2, 1.0])


def test_plackett_luce_probabilities_sum_to_one():
    import itertools

    scores = torch.tensor([[0.3, -1.0, 2.0, 0.5]])
    total = sum(float(torch.exp(plackett_luce_logp(scores, torch.tensor([list(p)])))) for p in itertools.permutations(range(4), 2))
    assert total == pytest.approx(1.0, abs=1e-5)


def test_selection_handles_a_growing_bank_and_checkpoints(tmp_path):
    bank = MemorySkillBank(tmp_path / "bank", tmp_path / "snaps")
    emb = HashEmbedder()
    ctl = SkillController(emb.dim, SkillControllerConfig(top_k=7))
    span, mem = emb.embed(["Last Saturday Lena ran a marathon"])[0], np.zeros(emb.dim, np.float32)
    acts, logp = ctl.select(span, mem, skill_matrix(emb, bank.skills()))
    assert len(acts) == 7 and len(set(acts)) == 7 and logp < 0
    assert len(ctl.select(span, mem, skill_matrix(emb, bank.skills()[:3]))[0]) == 3  # K capped by the bank size
    ctl.save(tmp_path / "ckpt", emb.name)
    again = SkillController.load(tmp_path / "ckpt", emb.name, emb.dim)
    K = skill_matrix(emb, bank.skills())
    assert np.allclose(again.scores(span, mem, K), ctl.scores(span, mem, K))
    assert SkillController.load(tmp_path / "ckpt", "other-embedder", emb.dim) is None


def test_trained_policy_beats_random_on_held_out_spans(tmp_path):
    bank = MemorySkillBank(tmp_path / "bank", tmp_path / "snaps")
    assert set().union(*BEST.values()) <= set(bank.names())
    result = train_and_evaluate(HashEmbedder(), bank.skills(), k=3, seed=0, updates=30, batch_episodes=8, episode_length=4, test_spans=120)
    assert result.trained > result.random + 0.1
    assert result.trained > result.untrained + 0.1
    assert np.mean(result.history[-5:]) > np.mean(result.history[:5])  # training reward rose
    # held-out spans really are new texts (disjoint names)
    test_span = make_span(np.random.default_rng(1), "test")
    assert not any(n in test_span.text for n in ("Jordan", "Melanie", "Carlos", "Aisha"))
