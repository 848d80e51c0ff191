"""The Chroma adapter of the :class:`~agentmem.retrieval.base.VectorIndex` protocol.

* :meth:`ChromaIndex.persistent` uses an embedded ``PersistentClient`` under the home (default).
* :meth:`ChromaIndex.http` talks to a Chroma server (``chroma run --path DIR --port N``) when
  ``AGENTMEM_CHROMA_URL`` is set, for users who outgrow one machine.

One collection per namespace (cosine space). Embeddings are always passed in, and collections
are created with no embedding function, so Chroma never downloads its default ONNX model.
Metadata values that Chroma cannot store (lists, dicts, None) are kept as JSON strings and
decoded on the way out. chromadb is imported lazily.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import StoreError
from .base import Hit, normalise_rows

_JSON_PREFIX = "__json__:"
_NS_KEY = "agentmem_namespace"


def collection_name(namespace: str) -> str:
    """A Chroma-legal collection name (3-63 chars of ``[a-zA-Z0-9._-]``) unique per namespace."""
    slug = re.sub(r"[^a-zA-Z0-9_-]+", "-", namespace).strip("-_")[:40] or "ns"
    digest = hashlib.sha1(namespace.encode()).hexdigest()[:10]
    return f"am-{slug}-{digest}"


def _encode_meta(meta: dict[str, Any]) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    for k, v in meta.items():
        if isinstance(v, bool | int | float | str):
            out[k] = v
        elif v is not None:
            out[k] = _JSON_PREFIX + json.dumps(v, sort_keys=True, default=str)
    return out or None


def _decode_meta(meta: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in (meta or {}).items():
        out[k] = json.loads(v[len(_JSON_PREFIX):]) if isinstance(v, str) and v.startswith(_JSON_PREFIX) else v
    return out


def to_chroma_where(where: dict[str, Any] | None) -> dict[str, Any] | None:
    """Translate agentmem's equality / ``$in`` / ``$ne`` filters into Chroma's where syntax."""
    if not where:
        return None
    clauses = []
    for key, cond in where.items():
        if isinstance(cond, dict):
            op, val = next(iter(cond.items()))
            clauses.append({key: {op: val}})
        else:
            clauses.append({key: {"$eq": cond}})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class ChromaIndex:
    """VectorIndex over a chromadb client (embedded or HTTP)."""

    def __init__(self, client: Any, description: str) -> None:
        self.client = client
        self.description = description
        self._collections: dict[str, Any] = {}
        try:
            self._max_batch = int(client.get_max_batch_size())
        except Exception:  # noqa: BLE001 - older clients lack it
            self._max_batch = 5000

    @classmethod
    def persistent(cls, path: str | Path) -> "ChromaIndex":
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        p = Path(path)
        try:
            p.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(path=str(p), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=True))
        except Exception as exc:  # chromadb raises many types
            raise StoreError(f"cannot open the Chroma index at {p}: {exc}") from exc
        return cls(client, f"chroma-persistent:{p}")

    @classmethod
    def http(cls, url: str) -> "ChromaIndex":
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from urllib.parse import urlparse

        u = urlparse(url if "://" in url else f"http://{url}")
        if not u.hostname:
            raise StoreError(f"AGENTMEM_CHROMA_URL={url!r} is not a URL like http://127.0.0.1:8000")
        try:
            client = chromadb.HttpClient(host=u.hostname, port=u.port or 8000, ssl=u.scheme == "https", settings=ChromaSettings(anonymized_telemetry=False))
            client.heartbeat()
        except Exception as exc:
            raise StoreError(f"cannot reach the Chroma server at {url}: {exc} (start one with `chroma run --path DIR --port N`)") from exc
        return cls(client, f"chroma-http:{url}")

    def _collection(self, namespace: str, create: bool = True) -> Any:
        coll = self._collections.get(namespace)
        if coll is not None:
            return coll
        name = collection_name(namespace)
        try:
            if create:
                coll = self.client.get_or_create_collection(name=name, embedding_function=None, metadata={"hnsw:space": "cosine", _NS_KEY: namespace})
            else:
                coll = self.client.get_collection(name=name, embedding_function=None)
        except Exception:
            if create:
                raise
            return None
        self._collections[namespace] = coll
        return coll

    def upsert(self, namespace: str, ids: list[str], embeddings: np.ndarray, documents: list[str] | None = None, metadatas: list[dict[str, Any]] | None = None) -> None:
        if not ids:
            return
        emb = normalise_rows(embeddings)
        if len(emb) != len(ids):
            raise ValueError(f"upsert: {len(ids)} ids but {len(emb)} embeddings")
        coll = self._collection(namespace)
        docs = documents if documents is not None else [""] * len(ids)
        metas = [_encode_meta(m) for m in (metadatas if metadatas is not None else [{}] * len(ids))]
        for start in range(0, len(ids), self._max_batch):
            sl = slice(start, start + self._max_batch)
            kwargs: dict[str, Any] = dict(ids=ids[sl], embeddings=emb[sl], documents=docs[sl])
            if any(m is not None for m in metas[sl]):
                kwargs["metadatas"] = metas[sl]
            try:
                coll.upsert(**kwargs)
            except Exception:  # noqa: BLE001 - a stale handle (collection recreated elsewhere): retry once
                self._collections.pop(namespace, None)
                coll = self._collection(namespace)
                coll.upsert(**kwargs)

    def query(self, namespace: str, embedding: np.ndarray, k: int = 10, where: dict[str, Any] | None = None) -> list[Hit]:
        coll = self._collection(namespace, create=False)
        if coll is None or k <= 0:
            return []
        # No count() round trip: Chroma returns fewer than k hits when the collection is smaller.
        q = normalise_rows(embedding)
        try:
            res = coll.query(query_embeddings=q, n_results=k, where=to_chroma_where(where), include=["documents", "metadatas", "distances"])
        except Exception:  # noqa: BLE001 - a handle made stale by another process recreating the collection
            self._collections.pop(namespace, None)
            coll = self._collection(namespace, create=False)
            if coll is None:
                return []
            res = coll.query(query_embeddings=q, n_results=k, where=to_chroma_where(where), include=["documents", "metadatas", "distances"])
        ids = res["ids"][0]
        dists = res["distances"][0]
        docs = (res.get("documents") or [[""] * len(ids)])[0]
        metas = (res.get("metadatas") or [[None] * len(ids)])[0]
        return [Hit(id=i, score=1.0 - float(d), document=doc or "", metadata=_decode_meta(m)) for i, d, doc, m in zip(ids, dists, docs, metas)]

    def ids(self, namespace: str) -> list[str]:
        """Every id in the collection (for rebuilding it in place, without dropping it under
        another process that is reading it)."""
        coll = self._collection(namespace, create=False)
        return [] if coll is None else list(coll.get(include=[])["ids"])

    def delete(self, namespace: str, ids: list[str]) -> None:
        coll = self._collection(namespace, create=False)
        if coll is not None and ids:
            coll.delete(ids=ids)

    def count(self, namespace: str) -> int:
        coll = self._collection(namespace, create=False)
        return 0 if coll is None else int(coll.count())

    def namespaces(self) -> list[str]:
        out = []
        for c in self.client.list_collections():
            meta = getattr(c, "metadata", None) or {}
            if _NS_KEY in meta:
                out.append(meta[_NS_KEY])
        return sorted(out)

    def drop(self, namespace: str) -> None:
        self._collections.pop(namespace, None)
        try:
            self.client.delete_collection(collection_name(namespace))
        except Exception:  # noqa: BLE001 - absent collection: nothing to drop
            pass
