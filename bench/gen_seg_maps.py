#!/usr/bin/python3
"""Writes N Cityscapes-like pairs of 512x1024 8-bit label maps (19 classes, 255 = ignore) as PNGs.

usage: gen_seg_maps.py OUT_DIR [N]   -> OUT_DIR/gt/NNNN.png, OUT_DIR/pred/NNNN.png
Scenes: sky, road, sidewalk, buildings and vegetation with jagged edges, poles, and 5-15 objects
(ellipses of classes 11-18); an ignored ego-vehicle region at the bottom. The prediction is the
ground truth shifted by a few pixels plus wrong blobs, so boundaries and some regions disagree.
Needs Debian's python3-numpy and python3-pil; PIL writes PNGs with its default zlib level and
adaptive row filters, like most tools that produce label maps.
"""
import os
import sys
from multiprocessing import Pool

import numpy as np
from PIL import Image

H, W = 512, 1024


def ellipse(img, rng, cls, cy, cx, a, b):
    y0, y1 = max(0, cy - b), min(H, cy + b + 1)
    x0, x1 = max(0, cx - a), min(W, cx + a + 1)
    if y0 >= y1 or x0 >= x1:
        return
    yy, xx = np.ogrid[y0:y1, x0:x1]
    m = ((xx - cx) / max(a, 1)) ** 2 + ((yy - cy) / max(b, 1)) ** 2 <= 1
    img[y0:y1, x0:x1][m] = cls


def scene(rng):
    g = np.zeros((H, W), np.uint8)  # road
    horizon = int(rng.integers(170, 260))
    g[:horizon] = 10  # sky
    g[horizon:horizon + 30] = 1  # sidewalk
    x = 0
    while x < W:  # buildings / vegetation / walls with jagged tops
        w = int(rng.integers(60, 220))
        cls = int(rng.choice([2, 2, 2, 8, 3, 4]))
        top = int(rng.integers(20, horizon - 10))
        cols = np.arange(x, min(W, x + w))
        tops = top + (rng.integers(-6, 7, size=len(cols)).cumsum() // 4)
        for c, t in zip(cols, np.clip(tops, 0, horizon)):
            g[t:horizon + 10, c] = cls
        x += w
    for _ in range(int(rng.integers(3, 9))):  # poles, signs
        c = int(rng.integers(0, W - 6))
        g[int(rng.integers(40, horizon)):horizon + 40, c:c + int(rng.integers(3, 7))] = int(rng.choice([5, 6, 7]))
    for _ in range(int(rng.integers(5, 16))):  # objects
        cy = int(rng.integers(horizon, H - 40))
        s = (cy - horizon + 20) / (H - horizon)
        ellipse(g, rng, int(rng.integers(11, 19)), cy, int(rng.integers(0, W)), int(10 + 90 * s * rng.random()), int(8 + 60 * s * rng.random()))
    yy, xx = np.ogrid[0:H, 0:W]
    g[(yy > H - 60) & (((xx - W / 2) / (W * 0.6)) ** 2 + ((yy - H) / 60.0) ** 2 <= 1)] = 255  # ego vehicle
    p = np.where(g == 255, 0, g)
    p = np.roll(p, (int(rng.integers(-3, 4)), int(rng.integers(-4, 5))), axis=(0, 1))
    for _ in range(int(rng.integers(5, 20))):
        ellipse(p, rng, int(rng.integers(0, 19)), int(rng.integers(0, H)), int(rng.integers(0, W)), int(rng.integers(5, 60)), int(rng.integers(5, 40)))
    return g, p


def write(i):
    rng = np.random.default_rng(1000 + i)
    g, p = scene(rng)
    Image.fromarray(g, "L").save(os.path.join(OUT, "gt", f"{i:04d}.png"))
    Image.fromarray(p, "L").save(os.path.join(OUT, "pred", f"{i:04d}.png"))


if __name__ == "__main__":
    OUT = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    os.makedirs(os.path.join(OUT, "gt"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "pred"), exist_ok=True)
    with Pool(os.cpu_count()) as pool:
        pool.map(write, range(n), chunksize=8)
