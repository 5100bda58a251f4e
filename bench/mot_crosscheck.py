#!/usr/bin/env python3
"""Independent cross-check of `dyno eval mot` at scale with numpy + SciPy (Debian: python3-numpy python3-scipy).

Re-implements TrackEval's documented rules directly on dense per-frame matrices with
scipy.optimize.linear_sum_assignment: MOT17 preprocessing (distractor-matched predictions removed,
pedestrian non-zero-marked ground truth kept), CLEAR, Identity and HOTA. Compares every sequence with
Dyno's JSON and prints the largest difference.

Usage: /usr/bin/python3 bench/mot_crosscheck.py DATA_DIR DYNO_JSON [SEQ ...]
  (DATA_DIR as written by bench/mot_gen.py; DYNO_JSON from `dyno eval mot --gt DATA_DIR/gt --pred DATA_DIR/pred -f json`)
"""
import sys, numpy as np
from scipy.optimize import linear_sum_assignment
EPS = np.finfo('float').eps
def load(fn, T):
    rows = {}
    for line in open(fn):
        p = line.strip().split(',')
        if len(p) < 6: continue
        rows.setdefault(int(p[0]), []).append([float(x) for x in p])
    out = []
    for t in range(1, T + 1):
        a = np.asarray(rows.get(t, []), dtype=float).reshape(-1, 10 if t in rows and len(rows[t][0]) == 10 else (len(rows[t][0]) if t in rows else 10))
        out.append(a)
    return out
def ious(a, b):
    if len(a) == 0 or len(b) == 0: return np.zeros((len(a), len(b)))
    b1 = a[:, 2:6].copy(); b2 = b[:, 2:6].copy()
    b1[:, 2] += b1[:, 0]; b1[:, 3] += b1[:, 1]; b2[:, 2] += b2[:, 0]; b2[:, 3] += b2[:, 1]
    mn = np.minimum(b1[:, None, :], b2[None, :, :]); mx = np.maximum(b1[:, None, :], b2[None, :, :])
    inter = np.maximum(mn[..., 2] - mx[..., 0], 0) * np.maximum(mn[..., 3] - mx[..., 1], 0)
    a1 = (b1[:, 2] - b1[:, 0]) * (b1[:, 3] - b1[:, 1]); a2 = (b2[:, 2] - b2[:, 0]) * (b2[:, 3] - b2[:, 1])
    union = a1[:, None] + a2[None, :] - inter
    inter[a1 <= 0 + EPS, :] = 0; inter[:, a2 <= 0 + EPS] = 0; inter[union <= 0 + EPS] = 0; union[union <= 0 + EPS] = 1
    return inter / union
def prep(gt, tr):
    G, K, S = [], [], []
    for g, k in zip(gt, tr):
        s = ious(g, k)
        rm = np.array([], int)
        if len(g) and len(k):
            m = s.copy(); m[m < 0.5 - EPS] = 0
            r, c = linear_sum_assignment(-m); ok = m[r, c] > 0 + EPS; r, c = r[ok], c[ok]
            rm = c[np.isin(g[r, 7].astype(int), [2, 7, 8, 12])]
        k = np.delete(k, rm, axis=0); s = np.delete(s, rm, axis=1)
        keep = (g[:, 6].astype(int) != 0) & (g[:, 7].astype(int) == 1) if len(g) else np.zeros(0, bool)
        G.append(g[keep, 1].astype(int) if len(g) else np.zeros(0, int)); K.append(k[:, 1].astype(int) if len(k) else np.zeros(0, int)); S.append(s[keep] if len(g) else np.zeros((0, len(k))))
    ug = np.unique(np.concatenate(G)); uk = np.unique(np.concatenate(K))
    gm = {v: i for i, v in enumerate(ug)}; km = {v: i for i, v in enumerate(uk)}
    G = [np.array([gm[x] for x in g], int) for g in G]; K = [np.array([km[x] for x in k], int) for k in K]
    return G, K, S, len(ug), len(uk)
def clear(G, K, S, nG):
    cnt = np.zeros(nG); mat = np.zeros(nG); frag = np.zeros(nG); prev = np.nan * np.zeros(nG); prevt = np.nan * np.zeros(nG)
    tp = fn = fp = idsw = 0; ms = 0.0
    for g, k, s in zip(G, K, S):
        if len(g) == 0: fp += len(k); continue
        if len(k) == 0: fn += len(g); cnt[g] += 1; continue
        sc = 1000 * (k[None, :] == prevt[g[:, None]]) + s; sc[s < 0.5 - EPS] = 0
        r, c = linear_sum_assignment(-sc); ok = sc[r, c] > 0 + EPS; r, c = r[ok], c[ok]
        mg, mk = g[r], k[c]; pm = prev[mg]; idsw += np.sum(~np.isnan(pm) & (mk != pm))
        cnt[g] += 1; mat[mg] += 1; npt = np.isnan(prevt); prev[mg] = mk; prevt[:] = np.nan; prevt[mg] = mk
        frag += npt & ~np.isnan(prevt); n = len(mg); tp += n; fn += len(g) - n; fp += len(k) - n
        if n: ms += s[r, c].sum()
    ratio = mat[cnt > 0] / cnt[cnt > 0]; mt = np.sum(ratio > 0.8); pt = np.sum(ratio >= 0.2) - mt
    return dict(TP=tp, FN=fn, FP=fp, IDSW=int(idsw), MT=int(mt), PT=int(pt), ML=int(nG - mt - pt), Frag=int(np.sum(frag[frag > 0] - 1)), MOTA=(tp - fp - idsw) / max(1, tp + fn), MOTP=ms / max(1, tp))
def ident(G, K, S, nG, nK):
    pm = np.zeros((nG, nK)); gc = np.zeros(nG); kc = np.zeros(nK)
    for g, k, s in zip(G, K, S):
        a, b = np.nonzero(s >= 0.5); pm[g[a], k[b]] += 1; gc[g] += 1; kc[k] += 1
    r, c = linear_sum_assignment(-pm); idtp = pm[r, c].sum()
    return dict(IDTP=int(idtp), IDF1=idtp / max(1, idtp + 0.5 * (kc.sum() - idtp) + 0.5 * (gc.sum() - idtp)))
def hota(G, K, S, nG, nK):
    al = np.arange(0.05, 0.99, 0.05); TP = np.zeros(19); FN = np.zeros(19); FP = np.zeros(19); L = np.zeros(19)
    pm = np.zeros((nG, nK)); gc = np.zeros((nG, 1)); kc = np.zeros((1, nK))
    for g, k, s in zip(G, K, S):
        d = s.sum(0)[None, :] + s.sum(1)[:, None] - s; si = np.zeros_like(s); m = d > 0 + EPS; si[m] = s[m] / d[m]
        pm[g[:, None], k[None, :]] += si; gc[g] += 1; kc[0, k] += 1
    ga = pm / (gc + kc - pm); mc = [np.zeros_like(pm) for _ in al]
    for g, k, s in zip(G, K, S):
        if len(g) == 0: FP += len(k); continue
        if len(k) == 0: FN += len(g); continue
        sc = ga[g[:, None], k[None, :]] * s; r, c = linear_sum_assignment(-sc)
        for a, alpha in enumerate(al):
            ok = s[r, c] >= alpha - EPS; ar, ac = r[ok], c[ok]; n = len(ar)
            TP[a] += n; FN[a] += len(g) - n; FP[a] += len(k) - n
            if n: L[a] += s[ar, ac].sum(); mc[a][g[ar], k[ac]] += 1
    AssA = np.array([np.sum(m * (m / np.maximum(1, gc + kc - m))) for m in mc]) / np.maximum(1, TP)
    DetA = TP / np.maximum(1, TP + FN + FP)
    return dict(HOTA=float(np.mean(np.sqrt(DetA * AssA))), DetA=float(DetA.mean()), AssA=float(AssA.mean()), LocA=float((np.maximum(1e-10, L) / np.maximum(1e-10, TP)).mean()))
import json
root, dyno = sys.argv[1], json.load(open(sys.argv[2]))['per_sequence']
worst = 0.0
for seq in (sys.argv[3:] or sorted(dyno)):
    T = int([l for l in open(f'{root}/gt/{seq}/seqinfo.ini') if l.startswith('seqLength')][0].split('=')[1])
    gt = load(f'{root}/gt/{seq}/gt/gt.txt', T); tr = load(f'{root}/pred/{seq}.txt', T)
    G, K, S, nG, nK = prep(gt, tr)
    r = {**clear(G, K, S, nG), **ident(G, K, S, nG, nK), **hota(G, K, S, nG, nK)}
    delta = max(abs(float(v) - dyno[seq][k]) for k, v in r.items())
    worst = max(worst, delta)
    print(f"{seq}: HOTA {r['HOTA']:.6f} MOTA {r['MOTA']:.6f} IDF1 {r['IDF1']:.6f} IDSW {r['IDSW']} Frag {r['Frag']}  max |reference - dyno| = {delta:.3g}")
print(f"largest difference over all values: {worst:.3g}")
sys.exit(0 if worst <= 1e-9 else 1)
