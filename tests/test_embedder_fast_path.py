"""The MiniLM adapter's model call (``embedder.encode_normalized``) skips
``SentenceTransformer.encode``'s per-call set-up; its vectors must be those of
``encode(..., normalize_embeddings=True)``: short, empty and over-long texts, one text or a batch
in any order, and a model someone switched back to training mode."""

from __future__ import annotations

import numpy as np
import pytest

from agentmem.retrieval.embedder import MiniLMEmbedder, encode_normalized

TEXTS = [
    "what did Alice say about the window seats?",
    "",
    "ok",
    " ".join(f"word{j} about the long trip to the mountains and the lake" for j in range(120)),  # far past 256 tokens
    "Caroline went to the LGBTQ support group on 7 May 2023.",
    "   ",
    "émigré café naïve façade — ünïcödé ✓",
]


@pytest.fixture(scope="module")
def model():  # noqa: ANN201
    return MiniLMEmbedder()._load()


def _reference(model, texts: list[str], batch_size: int = 64) -> np.ndarray:  # noqa: ANN001
    return model.encode(texts, batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)


def test_the_long_text_is_past_the_models_maximum_length(model) -> None:  # noqa: ANN001
    assert len(model.tokenizer(TEXTS[3])["input_ids"]) > model.max_seq_length


@pytest.mark.parametrize("batch_size", [64, 3, 1])
def test_vectors_equal_sentence_transformers_encode(model, batch_size: int) -> None:  # noqa: ANN001
    want = _reference(model, TEXTS, batch_size)
    got = encode_normalized(model, TEXTS, batch_size)
    assert got.dtype == np.float32 and got.shape == want.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(got, want, atol=1e-6, rtol=0)
    for text, row in zip(TEXTS, got):  # one text at a time too (a query)
        np.testing.assert_allclose(encode_normalized(model, [text], batch_size)[0], row, atol=1e-6, rtol=0)


def test_a_model_left_in_training_mode_is_put_back_in_eval_mode(model) -> None:  # noqa: ANN001
    want = encode_normalized(model, TEXTS[:3], 64)
    model.train()
    try:
        np.testing.assert_allclose(encode_normalized(model, TEXTS[:3], 64), want, atol=1e-6, rtol=0)  # dropout would change them
        assert not model.training
    finally:
        model.eval()


def test_the_embedder_returns_the_same_vectors_as_before(model) -> None:  # noqa: ANN001
    emb = MiniLMEmbedder()
    emb._cache.clear()
    got = emb.embed(TEXTS + TEXTS[:2])
    want = _reference(model, TEXTS)
    np.testing.assert_allclose(got[: len(TEXTS)], want, atol=1e-6, rtol=0)
    np.testing.assert_allclose(got[len(TEXTS):], want[:2], atol=1e-6, rtol=0)
