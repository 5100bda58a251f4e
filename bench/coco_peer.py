#!/usr/bin/python3
"""Times a Python COCO evaluator on the files bench/coco.sh times Dyno on, and checks Dyno's numbers.

Usage: coco_peer.py pycocotools|faster_coco_eval GT DT IOU_TYPE [DYNO_JSON]
Prints one line: "<tool>: <seconds> s wall (load, evaluate, accumulate, summarize)", then, with
DYNO_JSON (Dyno's --format json output on the same files), whether its 12 summary numbers are the
same doubles. The tool must be importable (PYTHONPATH): neither is a dependency of Dyno.
"""
import json
import sys
import time

tool, gt, dt, iou = sys.argv[1:5]
if tool == "pycocotools":
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
else:
    from faster_coco_eval import COCO
    from faster_coco_eval import COCOeval_faster as COCOeval

import contextlib, io
t = time.time()
with contextlib.redirect_stdout(io.StringIO()):
    G = COCO(gt)
    D = G.loadRes(dt)
    E = COCOeval(G, D, iou)
    E.evaluate()
    E.accumulate()
    E.summarize()
wall = time.time() - t
print(f"{tool}: {wall:.2f} s wall")
if len(sys.argv) > 5:
    names = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]
    mine = json.load(open(sys.argv[5]))["stats"]
    diff = [n for n, v in zip(names, E.stats) if float(v) != mine[n]]
    print(f"{tool}: Dyno's 12 summary numbers {'are the same doubles' if not diff else 'differ in ' + ', '.join(diff)}")
