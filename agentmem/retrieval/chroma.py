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
import threading
from collections.abc import Callable
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

    def __init__(self, client: Any, description: str, *, opener: Callable[[], Any] | None = None, present: Callable[[], bool] | None = None) -> None:
        """``client`` is a chromadb client, or None with ``opener`` (called on first use). ``present``
        says whether the store holds anything yet: while it does not and no client is open, reads
        answer empty without importing chromadb (a fresh home's first recall never pays for it)."""
        if client is None and opener is None:
            raise ValueError("ChromaIndex: give a client or an opener")
        self._client = client
        self._opener = opener
        self._present = present
        self.description = description
        self._collections: dict[str, Any] = {}
        self._max_batch_size: int | None = None
        self._open_lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The chromadb client, opened (and chromadb imported) on first use."""
        if self._client is None:
            with self._open_lock:  # the prefetch thread may be opening it
                if self._client is None:
                    assert self._opener is not None
                    self._client = self._opener()
        return self._client

    def prefetch(self) -> None:
        """Open the client in a background thread when the store holds data (it will be read):
        importing chromadb then overlaps whatever the caller does before its first query. A failure
        there is left for the first real use to raise."""
        if self._client is not None or self._opener is None or self._empty():
            return

        def run() -> None:
            try:
                self.client  # noqa: B018 - opening is the point
            except Exception:  # noqa: BLE001 - raised again, with its message, at the first real use
                pass

        threading.Thread(target=run, name="agentmem-chroma-open", daemon=True).start()

    @property
    def opened(self) -> bool:
        """Whether the client has been opened (chromadb imported) in this process."""
        return self._client is not None

    def _empty(self) -> bool:
        """True while nothing was ever written to this embedded store and no client is open."""
        return self._client is None and self._present is not None and not self._present()

    @property
    def _max_batch(self) -> int:
        if self._max_batch_size is None:
            try:
                self._max_batch_size = int(self.client.get_max_batch_size())
            except Exception:  # noqa: BLE001 - older clients lack it
                self._max_batch_size = 5000
        return self._max_batch_size

    @classmethod
    def persistent(cls, path: str | Path) -> "ChromaIndex":
        """The embedded store under ``path``. Opening is lazy: chromadb (about a second to import,
        more under load) is imported and the client opened on the first call that needs them; reads
        of a store never written (no ``chroma.sqlite3`` yet) answer empty without them."""
        p = Path(path)
        try:
            p.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot open the Chroma index at {p}: {exc}") from exc

        def opener() -> Any:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            try:
                return chromadb.PersistentClient(path=str(p), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=True))
            except Exception as exc:  # chromadb raises many types
                raise StoreError(f"cannot open the Chroma index at {p}: {exc}") from exc

        index = cls(None, f"chroma-persistent:{p}", opener=opener, present=lambda: (p / "chroma.sqlite3").exists())
        index.prefetch()
        return index

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
        if not create and self._empty():
            return None
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

    def existing(self, namespace: str, ids: list[str]) -> set[str]:
        """Which of ``ids`` the collection holds (one lookup by id)."""
        coll = self._collection(namespace, create=False)
        if coll is None or not ids:
            return set()
        return set(coll.get(ids=list(ids), include=[])["ids"])

    def delete(self, namespace: str, ids: list[str]) -> None:
        coll = self._collection(namespace, create=False)
        if coll is not None and ids:
            coll.delete(ids=ids)

    def count(self, namespace: str) -> int:
        coll = self._collection(namespace, create=False)
        return 0 if coll is None else int(coll.count())

    def namespaces(self) -> list[str]:
        if self._empty():
            return []
        out = []
        for c in self.client.list_collections():
            meta = getattr(c, "metadata", None) or {}
            if _NS_KEY in meta:
                out.append(meta[_NS_KEY])
        return sorted(out)

    def drop(self, namespace: str) -> None:
        self._collections.pop(namespace, None)
        if self._empty():
            return
        try:
            self.client.delete_collection(collection_name(namespace))
        except Exception:  # noqa: BLE001 - absent collection: nothing to drop
            pass
