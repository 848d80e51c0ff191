"""The LoCoMo retrieval benchmark: metrics, the protocol on a tiny synthetic file, the proxy folds."""

from __future__ import annotations

import hashlib

import json

import pytest

from agentmem.evals.locomo.retrieval import evaluate_retrieval, evidence_recall, session_hit, two_folds
from agentmem.errors import ConfigError
from agentmem.retrieval.proxy.model import ProxyConfig
from agentmem.testing import HashEmbedder


def test_metrics() -> None:
    assert evidence_recall(["D1:1", "D1:2", "D2:1"], ["D1:2", "D3:3"], 2) == 0.5
    assert evidence_recall(["D1:1"], [], 5) == 0.0
    valid = {"D1:1", "D1:2", "D2:1", "D3:1", "D4:1"}
    assert session_hit(["D1:1", "D1:2", "D2:1", "D3:1", "D4:1"], ["D3:1"], valid) == 1.0
    assert session_hit(["D1:1", "D2:1", "D3:1", "D4:1"], ["D4:1"], valid) == 0.0
    assert session_hit(["D1:1"], ["D9:9"], valid) == 0.0  # unfindable evidence counts as a miss


def _tiny_locomo(path, n_convs: int = 4) -> None:  # noqa: ANN001
    topics = ["guitar", "painting", "hiking", "baking", "chess", "sailing", "pottery", "running"]
    data = []
    for c in range(n_convs):
        conv = {"speaker_a": "Ann", "speaker_b": "Bob"}
        qa = []
        for s in range(1, 4):
            conv[f"session_{s}_date_time"] = f"{s} May 2023"
            turns = []
            for i in range(6):
                topic = topics[(c + s + i) % len(topics)]
                spk = "Ann" if i % 2 == 0 else "Bob"
                turns.append({"speaker": spk, "dia_id": f"D{s}:{i + 1}", "text": f"I love {topic} and did some {topic} on the weekend number {i}"})
                if i < 2:
                    qa.append({"question": f"What did {spk} say about {topic}?", "answer": topic, "evidence": [f"D{s}:{i + 1}"], "category": 1 + (i + s + c) % 5})
            conv[f"session_{s}"] = turns
        qa.append({"question": "Malformed?", "answer": "x", "evidence": ["D:1:2"], "category": 4})
        qa.append({"question": "No evidence", "answer": "x", "evidence": [], "category": 4})
        data.append({"sample_id": f"conv-{c}", "conversation": conv, "qa": qa})
    path.write_text(json.dumps(data))


def test_baselines_on_tiny_file(tmp_path) -> None:  # noqa: ANN001
    p = tmp_path / "locomo.json"
    _tiny_locomo(p)
    r = evaluate_retrieval(p, retriever="hybrid", embedder=HashEmbedder())
    assert set(r["retrievers"]) == {"bm25", "bm25_incremental", "fts5", "dense", "hybrid", "hybrid_incremental", "hybrid_fts5"}
    lex = evaluate_retrieval(p, retriever="bm25", modes=["bm25", "fts5"])
    assert set(lex["retrievers"]) == {"bm25", "fts5"} and lex["embedder"] is None
    assert r["main"]["queries"] + r["category_5"]["queries"] == 4 * 7
    # the report names the data that ran: the file's sha256, and that it is not the published release
    assert r["data"]["sha256"] == hashlib.sha256(p.read_bytes()).hexdigest() and r["data"]["known"] is False and r["data"]["n_items"] == 4
    assert set(r["per_category"]) == {"1", "2", "3", "4", "5"} and r["per_category"]["1"]["name"] == "multi-hop"
    for k in ("R@1", "R@5", "R@10", "R@20", "session_hit@3"):
        assert 0.0 <= r["main"][k] <= 100.0
    json.dumps(r)
    with pytest.raises(ConfigError, match="retriever"):
        evaluate_retrieval(p, retriever="bogus", embedder=HashEmbedder())
    with pytest.raises(ConfigError, match="folds"):
        two_folds([1, 2], 3)  # type: ignore[list-item]


def test_proxy_two_fold_protocol_on_tiny_file(tmp_path) -> None:  # noqa: ANN001
    p = tmp_path / "locomo.json"
    _tiny_locomo(p)
    cfg = ProxyConfig(candidates=10, adapter_epochs=4, warm_epochs=2, rl_epochs=2, samples=3, average_last=1, validation_share=0.5)
    r = evaluate_retrieval(p, retriever="proxy", embedder=HashEmbedder(), proxy_config=cfg, checkpoint_dir=tmp_path / "ckpt")
    assert [f["test"] for f in r["folds"]] == [["conv-0", "conv-1"], ["conv-2", "conv-3"]]
    for f in r["folds"]:
        assert not set(f["train"]) & set(f["test"])
        assert {"bm25", "dense", "hybrid", "proxy"} <= set(f)
    assert (tmp_path / "ckpt" / "fold0" / "VERSION").exists()
    again = evaluate_retrieval(p, retriever="proxy", embedder=HashEmbedder(), proxy_config=cfg, checkpoint_dir=tmp_path / "ckpt", baselines=False)
    assert again["main"] == r["main"]  # reused the fold checkpoints


def test_cli_eval_and_train_json(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from typer.testing import CliRunner

    from agentmem.cli import app

    p = tmp_path / "locomo.json"
    _tiny_locomo(p)
    monkeypatch.setenv("AGENTMEM_EMBEDDER__BACKEND", "hash")
    runner = CliRunner()
    res = runner.invoke(app, ["--json", "retriever", "eval", "--data", str(p), "--retriever", "hybrid"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["retriever"] == "hybrid"
    res = runner.invoke(app, ["--json", "retriever", "train", "--data", str(p), "--out", str(tmp_path / "ck"), "--rl-epochs", "1", "--warm-epochs", "1", "--adapter-epochs", "2", "--candidates", "8"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "ck" / "VERSION").exists()
    res = runner.invoke(app, ["--json", "retriever", "show", "--checkpoint", str(tmp_path / "ck")])
    assert json.loads(res.stdout)["usable"] is True
    res = runner.invoke(app, ["retriever", "eval", "--data", str(tmp_path / "missing.json"), "--retriever", "bm25"])
    assert res.exit_code == 2 and "not found" in res.output
