"""With AGENTMEM_CHROMA_URL the memory service keeps its fact index in a Chroma server (a real
``chroma run`` on 127.0.0.1): facts remembered through the service are in the server's
collection, recall reads them back, and a restarted service finds them again."""

from __future__ import annotations


import pytest

pytestmark = pytest.mark.integration


def test_service_keeps_its_fact_index_in_a_chroma_server(home, chroma_url, monkeypatch):
    monkeypatch.setenv("AGENTMEM_CHROMA_URL", chroma_url)
    from agentmem.server.service import HomeService
    from agentmem.settings import Settings

    settings = Settings.load(home=home, embedder={"backend": "hash"}).ensure_home()
    assert settings.index.chroma_url == chroma_url
    svc = HomeService(settings)
    try:
        assert svc.facts.hybrid.index.description == f"chroma-http:{chroma_url}"
        item_id = svc.remember("The backup tapes are stored in the basement vault", namespace="ops/default")
        ctx = svc.recall("where are the backup tapes?", namespace="ops/default")
        assert item_id in ctx.item_ids
    finally:
        svc.close()

    import chromadb

    from agentmem.retrieval.chroma import collection_name

    client = chromadb.HttpClient(host="127.0.0.1", port=int(chroma_url.rsplit(":", 1)[1]))
    got = client.get_collection(collection_name("facts")).get(ids=[item_id], include=["documents", "metadatas"])
    assert got["ids"] == [item_id] and "basement vault" in got["documents"][0]
    assert got["metadatas"][0]["namespace"] == "ops/default"

    again = HomeService(settings)  # a restarted service: the files are the truth, the index is still served
    try:
        assert item_id in again.recall("backup tapes basement", namespace="ops/default").item_ids
        assert item_id not in again.recall("backup tapes basement", namespace="dev/default").item_ids
    finally:
        again.close()
