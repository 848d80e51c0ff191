"""API keys of the memory service: created, listed (never with secrets), revoked, verified.

A key is ``am_<id>_<secret>``: ``id`` (12 hex characters) names the key in listings and logs,
``secret`` (32 random bytes, URL-safe base64) is shown once at creation and never stored. The
home keeps only ``sha256(secret)`` in ``<home>/server/keys.json`` (atomic writes, under the home
write lock), and :meth:`KeyStore.verify` compares digests in constant time
(:func:`hmac.compare_digest`).

Each key has a **namespace prefix** and a **scope**:

* the prefix is a namespace (``alice``, ``alice/assistant``) or ``*`` for every namespace; a
  key reaches a namespace when it equals the prefix or lies under it by whole path segments
  (``alice`` reaches ``alice/default`` and ``alice/bot/run1``, never ``alicia/default``);
* scopes are ordered ``read`` < ``write`` < ``admin``: ``read`` recalls and lists, ``write``
  also remembers and records outcomes, ``admin`` also reads metrics, and (with prefix ``*``)
  snapshots and rolls back the whole home.

Example::

    keys = KeyStore(settings.home)
    created = keys.create("alice", "write", label="alice's agents")
    print(created.token)                  # shown once
    principal = keys.verify(created.token)
    principal.reaches("alice/default")    # True
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from typing import Any
from enum import Enum
from pathlib import Path

from pydantic import BaseModel, Field

from ..errors import ConfigError
from ..fileio import atomic_write_json, home_lock, read_json
from ..types import Namespace

ALL_NAMESPACES = "*"


class Scope(str, Enum):
    read = "read"
    write = "write"
    admin = "admin"

    @property
    def rank(self) -> int:
        return ["read", "write", "admin"].index(self.value)

    def allows(self, needed: "Scope") -> bool:
        return self.rank >= needed.rank


def normalise_prefix(prefix: str) -> str:
    """``*`` or a namespace prefix of 1-3 segments, as typed (``alice`` stays ``alice``: it reaches every agent of alice)."""
    prefix = (prefix or "").strip()
    if prefix == ALL_NAMESPACES:
        return prefix
    parts = prefix.split("/")
    if not prefix or len(parts) > 3 or any(not p or p.strip() != p for p in parts):
        raise ConfigError(f"--namespace {prefix!r}: expected '*' or a namespace prefix like 'alice', 'alice/agent' or 'alice/agent/run'")
    return prefix


def reaches(prefix: str, namespace: str) -> bool:
    """Whether a key with ``prefix`` may touch ``namespace`` (a full ``user/agent[/run]`` key)."""
    if prefix == ALL_NAMESPACES:
        return True
    return namespace == prefix or namespace.startswith(prefix + "/")


def default_namespace(prefix: str) -> str:
    """The namespace a request without one gets: the prefix itself (``alice`` -> ``alice/default``)."""
    if prefix == ALL_NAMESPACES:
        return Namespace().key()
    return Namespace.parse(prefix).key()


class ApiKey(BaseModel):
    """One stored key (no secret: only its digest)."""

    id: str
    namespace: str = Field(..., description="Namespace prefix the key reaches, or '*'.")
    scope: Scope
    label: str = ""
    digest: str = Field(..., description="sha256 of the secret, hex.")
    created_at: float = Field(default_factory=time.time)
    revoked_at: float | None = None
    rate_per_s: float = Field(default=50.0, gt=0, description="Sustained requests per second (token bucket refill).")
    burst: int = Field(default=100, gt=0, description="Bucket size: requests allowed in a burst.")

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def public(self) -> dict[str, Any]:
        """Everything but the digest (for listings)."""
        return self.model_dump(mode="json", exclude={"digest"}) | {"active": self.active}


class CreatedKey(BaseModel):
    key: ApiKey
    token: str = Field(..., description="The full key; shown once, not stored.")


class Principal(BaseModel):
    """Who is calling: a verified key, or the anonymous caller of a key-less loopback server."""

    key_id: str
    namespace: str
    scope: Scope
    rate_per_s: float = 50.0
    burst: int = 100
    default_ns: str | None = Field(default=None, description="Namespace of requests that name none (default: derived from the prefix).")

    def reaches(self, namespace: str) -> bool:
        return reaches(self.namespace, namespace)

    @property
    def default_namespace(self) -> str:
        return self.default_ns or default_namespace(self.namespace)


ANONYMOUS = Principal(key_id="anonymous", namespace=ALL_NAMESPACES, scope=Scope.admin, rate_per_s=1e9, burst=10**9)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class KeyStore:
    """The keys of one home (``<home>/server/keys.json``); re-read when the file changes, so a
    revocation reaches a running server at its next request."""

    def __init__(self, home: str | os.PathLike[str]) -> None:
        self.path = Path(home) / "server" / "keys.json"
        self.lock_path = Path(home) / "server" / ".keys.lock"
        self._keys: dict[str, ApiKey] = {}
        self._stamp: tuple[int, int] | None = None

    def _load(self) -> dict[str, ApiKey]:
        try:
            st = self.path.stat()
            stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        if stamp != self._stamp:
            raw = read_json(self.path, {"keys": []})
            try:
                self._keys = {k["id"]: ApiKey.model_validate(k) for k in raw.get("keys", [])}
            except Exception as exc:  # noqa: BLE001 - name the file
                raise ConfigError(f"{self.path}: not a valid key file ({exc})") from exc
            self._stamp = stamp
        return self._keys

    def _save(self, keys: dict[str, ApiKey]) -> None:
        atomic_write_json(self.path, {"keys": [k.model_dump(mode="json") for k in keys.values()]})
        try:
            os.chmod(self.path, 0o600)
        except OSError:  # pragma: no cover - e.g. a file system without modes
            pass
        self._stamp = None

    def list(self, include_revoked: bool = True) -> list[ApiKey]:
        return [k for k in self._load().values() if include_revoked or k.active]

    def any_active(self) -> bool:
        return any(k.active for k in self._load().values())

    def create(self, namespace: str, scope: Scope | str, *, label: str = "", rate_per_s: float = 50.0, burst: int = 100) -> CreatedKey:
        """Make a key; the returned token is the only copy of its secret."""
        prefix = normalise_prefix(namespace)
        try:
            sc = Scope(scope)
        except ValueError as exc:
            raise ConfigError(f"--scope {scope!r}: expected read, write or admin") from exc
        if rate_per_s <= 0 or burst <= 0:
            raise ConfigError(f"--rate/--burst must be positive, got {rate_per_s}/{burst}")
        key_id = secrets.token_hex(6)
        secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=").replace("_", "-")
        key = ApiKey(id=key_id, namespace=prefix, scope=sc, label=label, digest=_digest(secret), rate_per_s=rate_per_s, burst=burst)
        with home_lock(self.lock_path):
            keys = dict(self._load())
            keys[key_id] = key
            self._save(keys)
        return CreatedKey(key=key, token=f"am_{key_id}_{secret}")

    def revoke(self, key_id: str) -> ApiKey:
        with home_lock(self.lock_path):
            keys = dict(self._load())
            key = keys.get(key_id)
            if key is None:
                raise ConfigError(f"keys revoke: no key with id {key_id!r} (see `agentmem keys list`)")
            if key.active:
                key = key.model_copy(update={"revoked_at": time.time()})
                keys[key_id] = key
                self._save(keys)
            return key

    def verify(self, token: str) -> Principal | None:
        """The principal of a valid, active key; ``None`` for anything else (same cost either way)."""
        parts = (token or "").split("_", 2)
        key = self._load().get(parts[1]) if len(parts) == 3 and parts[0] == "am" else None
        expected = key.digest if key is not None else _digest("no such key")
        ok = hmac.compare_digest(expected, _digest(parts[2] if len(parts) == 3 else ""))
        if key is None or not ok or not key.active:
            return None
        return Principal(key_id=key.id, namespace=key.namespace, scope=key.scope, rate_per_s=key.rate_per_s, burst=key.burst)


__all__ = ["ALL_NAMESPACES", "ANONYMOUS", "ApiKey", "CreatedKey", "KeyStore", "Principal", "Scope", "default_namespace", "normalise_prefix", "reaches"]
