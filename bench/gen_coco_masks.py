#!/usr/bin/env python3
"""Gives every detection of a gen_coco.py results file a mask, for timing segm evaluation.

gen_coco.py writes box-only detections; its ground truth already has masks (octagon polygons,
uncompressed-RLE crowd rectangles). This adds a `segmentation` to each detection, drawn inside its
box, the way detectors write them:

  * 2 of 3 detections: a compressed RLE string (COCO's rleToString) of the ellipse inscribed in the
    box, rasterised column by column (what Mask R-CNN-style result files hold);
  * 1 of 3: a 12-vertex polygon (a jittered ellipse, coordinates rounded to 2 decimals).

Usage: gen_coco_masks.py GT.json DT.json OUT.json
Standard library only; the output depends only on the inputs (random.Random(seed 5)).
"""
import json
import math
import random
import sys


def rle_string(counts):
    """COCO's rleToString: LEB128-like, 5 bits a char, deltas from the count two back after index 2."""
    out = []
    for i, c in enumerate(counts):
        x = c - counts[i - 2] if i > 2 else c
        more = True
        while more:
            ch = x & 0x1F
            x >>= 5
            more = x != -1 if ch & 0x10 else x != 0
            if more:
                ch |= 0x20
            out.append(chr(ch + 48))
    return "".join(out)


def ellipse_rle(W, H, bx, by, bw, bh):
    """Column-major runs of the ellipse inscribed in the box, clipped to the W x H image."""
    cx, cy, rx, ry = bx + bw / 2.0, by + bh / 2.0, bw / 2.0, bh / 2.0
    counts = []
    pos = 0          # next pixel index not yet covered by counts
    x0, x1 = max(0, int(math.floor(bx))), min(W, int(math.ceil(bx + bw)))
    for x in range(x0, x1):
        dx = (x + 0.5 - cx) / rx if rx > 0 else 2.0
        if abs(dx) >= 1.0:
            continue
        half = ry * math.sqrt(1.0 - dx * dx)
        ya, yb = max(0, int(round(cy - half))), min(H, int(round(cy + half)))
        if yb <= ya:
            continue
        start = x * H + ya
        counts.append(start - pos)
        counts.append(yb - ya)
        pos = x * H + yb
    counts.append(W * H - pos)
    if len(counts) == 1:
        return None
    return counts


def main(gt_path, dt_path, out_path):
    gt = json.load(open(gt_path))
    size = {im["id"]: (im["width"], im["height"]) for im in gt["images"]}
    dts = json.load(open(dt_path))
    rng = random.Random(5)
    n_rle = n_poly = 0
    for d in dts:
        W, H = size[d["image_id"]]
        bx, by, bw, bh = d["bbox"]
        counts = ellipse_rle(W, H, bx, by, bw, bh) if rng.random() < 2 / 3 else None
        if counts is not None:
            d["segmentation"] = {"size": [H, W], "counts": rle_string(counts)}
            n_rle += 1
        else:
            cx, cy = bx + bw / 2.0, by + bh / 2.0
            poly = []
            for k in range(12):
                t = 2 * math.pi * k / 12
                j = rng.uniform(0.85, 1.0)
                poly += [round(cx + j * bw / 2.0 * math.cos(t), 2), round(cy + j * bh / 2.0 * math.sin(t), 2)]
            d["segmentation"] = [poly]
            n_poly += 1
    with open(out_path, "w") as f:
        json.dump(dts, f, separators=(",", ":"))
    print(f"{out_path}: {len(dts)} detections, {n_rle} compressed RLE, {n_poly} polygons", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
