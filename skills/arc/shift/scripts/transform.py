"""Translate the whole picture by a few cells (what leaves the grid is lost, what enters is background)."""
import numpy as np

PARAMS = [{"dy": dy, "dx": dx} for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]


def transform(grid, dy=0, dx=0, bg=0):
    g = np.asarray(grid)
    h, w = g.shape
    if abs(dy) >= h or abs(dx) >= w:
        raise ValueError("shift larger than the grid")
    out = np.full_like(g, bg)
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = g[max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    if any(a.shape != b.shape for a, b in pairs):
        return []
    out = []
    for dy in range(-3, 4):
        for dx in range(-3, 4):
            if (dy or dx) and all(abs(dy) < a.shape[0] and abs(dx) < a.shape[1] and np.array_equal(transform(a, dy, dx), b) for a, b in pairs):
                out.append({"dy": dy, "dx": dx})
    return out[:2]
