"""Paint or add a one-cell frame around the grid."""
import numpy as np

PARAMS = [{"mode": m, "color": c} for m in ("paint", "pad") for c in range(1, 10)]


def fit(train_pairs):
    corners = {int(np.asarray(out)[0, 0]) for _, out in train_pairs}
    if len(corners) != 1:
        return []
    c = corners.pop()
    cands = [{"mode": m, "color": c} for m in ("paint", "pad")]
    # only settings that reproduce every pair (each proposal costs the search a candidate check)
    return [p for p in cands if all(np.array_equal(transform(a, **p), np.asarray(b)) for a, b in train_pairs)]


def transform(grid, mode="paint", color=1):
    g = np.asarray(grid)
    if mode == "pad":
        out = np.full((g.shape[0] + 2, g.shape[1] + 2), color, dtype=g.dtype)
        out[1:-1, 1:-1] = g
        return out
    out = g.copy()
    out[0, :] = out[-1, :] = color
    out[:, 0] = out[:, -1] = color
    return out
