#!/usr/bin/env python3
"""Writes a synthetic MOT17-sized tracking benchmark (Python 3 standard library only).

Layout: OUT/gt/SEQ/gt/gt.txt + seqinfo.ini, OUT/pred/SEQ.txt. Seven sequences with MOT17-train
lengths (5,316 frames); pedestrians walk with constant velocity, enter and leave; ground truth has
MOT17 columns (zero-marked rows, distractor classes, visibility). The tracker output jitters the
boxes, misses some, adds false positives and occasionally swaps or restarts identities.
"""
import argparse, os, random

SEQS = [("MOT17-02", 600), ("MOT17-04", 1050), ("MOT17-05", 837), ("MOT17-09", 525),
        ("MOT17-10", 654), ("MOT17-11", 900), ("MOT17-13", 750)]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--objects", type=int, default=60, help="mean objects per frame")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    total_gt = total_pred = 0
    for seq, length in SEQS:
        gdir = os.path.join(a.out_dir, "gt", seq)
        os.makedirs(os.path.join(gdir, "gt"), exist_ok=True)
        os.makedirs(os.path.join(a.out_dir, "pred"), exist_ok=True)
        with open(os.path.join(gdir, "seqinfo.ini"), "w") as f:
            f.write(f"[Sequence]\nname={seq}\nseqLength={length}\nimWidth=1920\nimHeight=1080\n")
        tracks = []
        next_id = 1
        def spawn(t0):
            nonlocal next_id
            w = rnd.uniform(30, 140)
            tr = dict(id=next_id, x=rnd.uniform(0, 1800), y=rnd.uniform(100, 700), w=w, h=w * rnd.uniform(2.2, 2.8),
                      vx=rnd.uniform(-3, 3), vy=rnd.uniform(-0.6, 0.6), end=t0 + rnd.randint(40, 500),
                      cls=1 if rnd.random() > 0.08 else rnd.choice([2, 7, 8, 12]), zero=rnd.random() < 0.04,
                      pid=next_id, pred_on=rnd.random() > 0.05)
            next_id += 1
            return tr
        for _ in range(a.objects):
            tracks.append(spawn(1))
        gt_lines, pred_lines = [], []
        next_pid = 100000
        for t in range(1, length + 1):
            alive = []
            for tr in tracks:
                if t > tr["end"]:
                    continue
                tr["x"] += tr["vx"]; tr["y"] += tr["vy"]
                vis = max(0.0, min(1.0, rnd.gauss(0.75, 0.25)))
                gt_lines.append(f"{t},{tr['id']},{tr['x']:.1f},{tr['y']:.1f},{tr['w']:.1f},{tr['h']:.1f},"
                                f"{0 if tr['zero'] else 1},{tr['cls']},{vis:.5f}\n")
                # Tracker: occasional identity restart or swap, misses, jittered boxes.
                if rnd.random() < 0.002:
                    tr["pid"] = next_pid; next_pid += 1
                if tr["pred_on"] and rnd.random() > 0.12:
                    j = tr["w"] * 0.06
                    pred_lines.append((t, tr["pid"], tr["x"] + rnd.gauss(0, j), tr["y"] + rnd.gauss(0, j),
                                       tr["w"] * rnd.uniform(0.9, 1.1), tr["h"] * rnd.uniform(0.9, 1.1)))
                alive.append(tr)
            while len(alive) < a.objects:
                alive.append(spawn(t))
            tracks = alive
            for _ in range(rnd.randint(0, 4)):  # false positives
                w = rnd.uniform(30, 120)
                pred_lines.append((t, next_pid, rnd.uniform(0, 1800), rnd.uniform(100, 700), w, w * 2.5)); next_pid += 1
        with open(os.path.join(gdir, "gt", "gt.txt"), "w") as f:
            f.writelines(gt_lines)
        with open(os.path.join(a.out_dir, "pred", seq + ".txt"), "w") as f:
            f.writelines(f"{t},{i},{x:.2f},{y:.2f},{w:.2f},{h:.2f},1,-1,-1,-1\n" for t, i, x, y, w, h in pred_lines)
        total_gt += len(gt_lines); total_pred += len(pred_lines)
    print(f"{len(SEQS)} sequences, {sum(l for _, l in SEQS)} frames, {total_gt} GT boxes, {total_pred} predictions in {a.out_dir}")

if __name__ == "__main__":
    main()
