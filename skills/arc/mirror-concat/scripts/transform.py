"""Concatenate a grid with its mirror image."""
import numpy as np

PARAMS = [{"side": s} for s in ("right", "left", "below", "above", "both")]


def transform(grid, side="right"):
    g = np.asarray(grid)
    lr, ud = g[:, ::-1], g[::-1, :]
    if side == "right":
        return np.concatenate([g, lr], axis=1)
    if side == "left":
        return np.concatenate([lr, g], axis=1)
    if side == "below":
        return np.concatenate([g, ud], axis=0)
    if side == "above":
        return np.concatenate([ud, g], axis=0)
    top = np.concatenate([g, lr], axis=1)
    return np.concatenate([top, top[::-1, :]], axis=0)
