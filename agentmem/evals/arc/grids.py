"""Grids as plain lists of rows of ints (JSON-friendly); exact comparison; feedback text."""

from __future__ import annotations

from typing import Any

Grid = list[list[int]]


def as_grid(value: Any) -> Grid | None:
    """A valid ARC grid (non-empty rectangular list of rows of ints 0-9) from lists or
    numpy arrays, or None when ``value`` is not one."""
    try:
        if hasattr(value, "tolist"):
            value = value.tolist()
        if not isinstance(value, (list, tuple)) or not value:
            return None
        rows = [list(r) for r in value]
        width = len(rows[0])
        if width == 0 or any(len(r) != width for r in rows):
            return None
        out = [[int(v) for v in r] for r in rows]
        if any(v < 0 or v > 9 for r in out for v in r) or any(float(v) != int(v) for r in rows for v in r):
            return None
        return out
    except (TypeError, ValueError):
        return None


def shape(grid: Grid) -> tuple[int, int]:
    return (len(grid), len(grid[0]) if grid else 0)


def grids_equal(a: Any, b: Any) -> bool:
    """Exact equality: same shape and every cell equal (None never equals anything)."""
    ga, gb = as_grid(a), as_grid(b)
    return ga is not None and gb is not None and ga == gb


def format_grid(grid: Grid) -> str:
    """Rows of digits separated by spaces, one row per line."""
    return "\n".join(" ".join(str(v) for v in row) for row in grid)


def describe_mismatch(expected: Grid, got: Any) -> str:
    """One-line feedback: wrong shape, or how many cells differ and the first few."""
    g = as_grid(got)
    if g is None:
        return "the output is not a rectangular grid of integers 0-9"
    if shape(g) != shape(expected):
        return f"wrong shape: expected {shape(expected)[0]}x{shape(expected)[1]}, got {shape(g)[0]}x{shape(g)[1]}"
    diffs = [(r, c, expected[r][c], g[r][c]) for r in range(len(g)) for c in range(len(g[0])) if g[r][c] != expected[r][c]]
    first = ", ".join(f"({r},{c}) expected {e} got {v}" for r, c, e, v in diffs[:5])
    return f"{len(diffs)} of {len(g) * len(g[0])} cells differ: {first}" + (" ..." if len(diffs) > 5 else "")
