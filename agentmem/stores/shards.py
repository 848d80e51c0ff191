"""Append-only JSONL shards with a compact row -> (shard, offset, length) index.

The reasoning-subroutine store must hold millions of records, so one file per record is out
of the question and one big JSON file cannot be appended to safely. :class:`ShardedJsonl`
keeps records as lines of ``shards/shard-NNNNN.jsonl`` (``rows_per_shard`` lines each) and a
binary ``offsets.bin`` of 16 bytes per row (shard number, byte offset, byte length), so
reading row ``i`` is one seek and one read, whatever the store's size.

Crash safety: a batch is written to its shard(s) and ``fsync``-ed *before* its offsets are
appended and ``fsync``-ed; the offsets file is the commit record. Bytes past the last
committed offset (a crash mid-batch) are ignored and cut off by the next append. Rolling back
to ``n`` rows truncates every file to its length at that point, so the result is byte-for-byte
the store as it was.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import StoreError

#: One encoder for every row (``json.dumps`` with options builds a new encoder per call: at a
#: million rows that was a tenth of the insert time). The bytes are those of
#: ``json.dumps(r, ensure_ascii=False, separators=(",", ":"), sort_keys=True)``.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode

OFFSET_DTYPE = np.dtype([("shard", "<u4"), ("offset", "<u8"), ("length", "<u4")])


class ShardedJsonl:
    """Append-only JSON-lines records addressed by row number (0-based)."""

    def __init__(self, root: str | os.PathLike[str], rows_per_shard: int = 100_000) -> None:
        if rows_per_shard <= 0:
            raise ValueError(f"rows_per_shard must be positive, got {rows_per_shard}")
        self.root = Path(root)
        self.rows_per_shard = rows_per_shard
        self.shard_dir = self.root / "shards"
        self.offsets_path = self.root / "offsets.bin"
        self._offsets: np.ndarray | None = None
        self._offsets_stamp: tuple[int, int] | None = None

    # -- reading -----------------------------------------------------------------------------
    def _shard_path(self, shard: int) -> Path:
        return self.shard_dir / f"shard-{shard:05d}.jsonl"

    def offsets(self) -> np.ndarray:
        """The committed offset table (memory-mapped read-only view, reloaded after writes)."""
        # Another process may have appended (or truncated) since: the cached map is used only
        # while the file's identity and size are unchanged (one stat per call).
        try:
            st = self.offsets_path.stat()
            stamp: tuple[int, int] | None = (st.st_ino, st.st_size)
        except FileNotFoundError:
            stamp = None
        if self._offsets is None or stamp != self._offsets_stamp:
            if stamp is None or stamp[1] == 0:
                self._offsets = np.zeros(0, dtype=OFFSET_DTYPE)
            else:
                size = stamp[1]
                if size % OFFSET_DTYPE.itemsize:
                    raise StoreError(f"{self.offsets_path}: size {size} is not a multiple of {OFFSET_DTYPE.itemsize} bytes (damaged offset index)")
                self._offsets = np.memmap(self.offsets_path, dtype=OFFSET_DTYPE, mode="r")
            self._offsets_stamp = stamp
        return self._offsets

    def __len__(self) -> int:
        return int(len(self.offsets()))

    def read_raw(self, row: int) -> bytes:
        table = self.offsets()
        if not 0 <= row < len(table):
            raise KeyError(row)
        entry = table[row]
        path = self._shard_path(int(entry["shard"]))
        with open(path, "rb") as handle:
            handle.seek(int(entry["offset"]))
            data = handle.read(int(entry["length"]))
        if len(data) != int(entry["length"]):
            raise StoreError(f"{path}: truncated record at row {row} (expected {int(entry['length'])} bytes, found {len(data)})")
        return data

    def read(self, row: int) -> dict[str, Any]:
        data = self.read_raw(row)
        try:
            return json.loads(data)
        except json.JSONDecodeError as exc:
            raise StoreError(f"{self.shard_dir}: row {row} is not valid JSON ({exc})") from exc

    def iter_rows(self, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
        """Yield ``(row, record)`` in order, reading each shard sequentially."""
        table = self.offsets()
        stop = len(table) if stop is None else min(stop, len(table))
        row = max(0, start)
        while row < stop:
            shard = int(table[row]["shard"])
            path = self._shard_path(shard)
            with open(path, "rb") as handle:
                handle.seek(int(table[row]["offset"]))
                while row < stop and int(table[row]["shard"]) == shard:
                    line = handle.read(int(table[row]["length"]))
                    yield row, json.loads(line)
                    row += 1

    # -- writing (callers hold the home lock) ---------------------------------------------------
    def append(self, records: list[dict[str, Any]]) -> range:
        """Append ``records``; return the row numbers they received."""
        if not records:
            n = len(self)
            return range(n, n)
        self.shard_dir.mkdir(parents=True, exist_ok=True)
        table = self.offsets()
        start = len(table)
        if len(table):
            last = table[-1]
            shard, end = int(last["shard"]), int(last["offset"]) + int(last["length"])
        else:
            shard, end = 0, 0
        new = np.zeros(len(records), dtype=OFFSET_DTYPE)
        i = 0
        while i < len(records):
            row = start + i
            shard = row // self.rows_per_shard
            path = self._shard_path(shard)
            if row % self.rows_per_shard == 0:
                end = 0
            take = min(len(records) - i, self.rows_per_shard - row % self.rows_per_shard)
            lines = [_ENCODE(r).encode("utf-8") + b"\n" for r in records[i : i + take]]
            with open(path, "r+b" if path.exists() else "wb") as handle:
                handle.truncate(end)  # drop any uncommitted tail left by a crash
                handle.seek(end)
                pos = end
                for j, line in enumerate(lines):
                    new[i + j] = (shard, pos, len(line))
                    pos += len(line)
                handle.write(b"".join(lines))
                handle.flush()
                os.fsync(handle.fileno())
            end = pos
            i += take
        self._offsets = None
        with open(self.offsets_path, "ab") as handle:
            handle.truncate(start * OFFSET_DTYPE.itemsize)
            handle.write(new.tobytes())
            handle.flush()
            os.fsync(handle.fileno())
        self._offsets = None
        return range(start, start + len(records))

    def truncate(self, rows: int) -> None:
        """Cut the store back to its first ``rows`` rows (exactly the bytes it had then)."""
        table = self.offsets()
        if rows < 0 or rows > len(table):
            raise StoreError(f"cannot truncate {self.root} to {rows} rows (it has {len(table)})")
        if rows == len(table):
            return
        if rows:
            last = table[rows - 1]
            keep_shard, keep_end = int(last["shard"]), int(last["offset"]) + int(last["length"])
        else:
            keep_shard, keep_end = 0, 0
        self._offsets = None
        del table
        with open(self.offsets_path, "r+b") as handle:
            handle.truncate(rows * OFFSET_DTYPE.itemsize)
            os.fsync(handle.fileno())
        for path in sorted(self.shard_dir.glob("shard-*.jsonl")):
            n = int(path.stem.split("-")[1])
            if n > keep_shard or (rows == 0):
                path.unlink()
            elif n == keep_shard:
                with open(path, "r+b") as handle:
                    handle.truncate(keep_end)
                    os.fsync(handle.fileno())
