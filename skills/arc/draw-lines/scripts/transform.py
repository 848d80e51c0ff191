"""Extend lines from every non-background cell over the background."""
import numpy as np

_DIRS = {
    "row": ["right", "left"],
    "col": ["down", "up"],
    "cross": ["right", "left", "down", "up"],
    "diagonals": ["down_right", "down_left", "up_right", "up_left"],
    "down": ["down"], "up": ["up"], "left": ["left"], "right": ["right"],
}
PARAMS = [{"directions": d} for d in _DIRS]


def _ffill_right(g):
    """Each cell takes the colour of the nearest non-zero cell at or to its left."""
    w = g.shape[1]
    idx = np.where(g != 0, np.arange(w)[None, :], -1)
    idx = np.maximum.accumulate(idx, axis=1)
    vals = np.take_along_axis(g, np.clip(idx, 0, None), axis=1)
    vals[idx < 0] = 0
    return vals


def _ffill_down_right(g):
    """Each cell takes the colour of the nearest non-zero cell at or up-left of it on its diagonal: the
    grid is sheared so that diagonals become columns, filled downwards in one pass, and sheared back."""
    h, w = g.shape
    rows = np.arange(h)[:, None]
    cols = np.arange(w)[None, :] - rows + (h - 1)
    sheared = np.zeros((h, w + h - 1), dtype=g.dtype)
    sheared[rows, cols] = g
    return _ffill_right(sheared.T).T[rows, cols]

def _fill(g, d):
    if d == "right":
        return _ffill_right(g)
    if d == "left":
        return _ffill_right(g[:, ::-1])[:, ::-1]
    if d == "down":
        return _ffill_right(g.T).T
    if d == "up":
        return _ffill_right(g[::-1, :].T).T[::-1, :]
    if d == "down_right":
        return _ffill_down_right(g)
    if d == "down_left":
        return _ffill_down_right(g[:, ::-1])[:, ::-1]
    if d == "up_right":
        return _ffill_down_right(g[::-1, :])[::-1, :]
    return _ffill_down_right(g[::-1, ::-1])[::-1, ::-1]


def transform(grid, directions="cross"):
    g = np.asarray(grid)
    out = g.copy()
    for d in _DIRS[directions]:
        fill = _fill(g, d)
        take = (out == 0) & (fill != 0)
        out[take] = fill[take]
    return out
