#!/usr/bin/env python3
"""Independent cross-check of `dyno eval mot` at scale with numpy + SciPy (Debian: python3-numpy python3-scipy).

Re-implements TrackEval's documented rules directly on dense per-frame matrices with
scipy.optimize.linear_sum_assignment: MOT17 preprocessing (distractor-matched predictions removed,
pedestrian non-zero-marked ground truth kept), CLEAR, Identity and HOTA. Compares every sequence with
Dyno's JSON and prints the largest difference.

With --motmetrics it instead re-implements py-motmetrics' MOTAccumulator rules (on the same
preprocessed rows) and compares with `dyno eval mot --clear motmetrics --motp distance`.

Usage: /usr/bin/python3 bench/mot_crosscheck.py [--motmetrics] DATA_DIR DYNO_JSON [SEQ ...]
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
    G, K, S, RG, RK = [], [], [], [], []
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
        RG.append(g[keep] if len(g) else g); RK.append(k)
    ug = np.unique(np.concatenate(G)); uk = np.unique(np.concatenate(K))
    gm = {v: i for i, v in enumerate(ug)}; km = {v: i for i, v in enumerate(uk)}
    G = [np.array([gm[x] for x in g], int) for g in G]; K = [np.array([km[x] for x in k], int) for k in K]
    return G, K, S, len(ug), len(uk), RG, RK
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
def motmetrics(RG, RK):
    # py-motmetrics' compare_to_groundtruth + MOTAccumulator (1.2 rules) + default metrics.
    def dists(g, k):
        a = g[:, 2:6].copy(); b = k[:, 2:6].copy(); a[:, :2] -= 1; b[:, :2] -= 1
        amin, amax = a[:, None, :2], a[:, None, :2] + a[:, None, 2:]; bmin, bmax = b[None, :, :2], b[None, :, :2] + b[None, :, 2:]
        isz = np.maximum(np.minimum(amax, bmax) - np.maximum(amin, bmin), 0); iv = isz.prod(-1)
        av = np.maximum(amax - amin, 0).prod(-1); bv = np.maximum(bmax - bmin, 0).prod(-1)
        with np.errstate(invalid='ignore', divide='ignore'):
            iou = np.where(iv == 0, 0.0, iv / (av + bv - iv))
        d = 1 - iou
        return np.where(d > 0.5, np.nan, d)
    def lsa(c):
        valid = np.isfinite(c)
        if not valid.any(): return [], []
        if not valid.all():
            big = 2 * min(c.shape) * (np.abs(c[valid]).max() + 1) + 1
            c = np.where(valid, c, big)
        r, k = linear_sum_assignment(c)
        return r, k
    m = {}; objs = {}; hyps = {}; pairs = {}
    n = dict(match=0, switch=0, fp=0, miss=0, dsum=0.0)
    for g, k in zip(RG, RK):
        if len(g) == 0 and len(k) == 0: continue
        o = g[:, 1].astype(int) if len(g) else np.zeros(0, int); h = k[:, 1].astype(int) if len(k) else np.zeros(0, int)
        d = dists(g, k) if len(o) and len(h) else np.zeros((len(o), len(h)))
        for x in o: objs.setdefault(x, [0, 0, 0, False, False])[0] += 1
        for y in h: hyps[y] = hyps.get(y, 0) + 1
        for i, j in zip(*np.nonzero(np.isfinite(d))): pairs[(o[i], h[j])] = pairs.get((o[i], h[j]), 0) + 1
        om = np.zeros(len(o), bool); hm = np.zeros(len(h), bool)
        def hit(x, y, dist, sw):
            n['switch' if sw else 'match'] += 1; n['dsum'] += dist; st = objs[x]; st[1] += 1
            if st[4]: st[2] += 1
            st[4] = False; st[3] = True
        if len(o) and len(h):
            for i in range(len(o)):
                if o[i] not in m: continue
                js = np.where(~hm & (h == m[o[i]]))[0]
                if len(js) == 0 or not np.isfinite(d[i, js[0]]): continue
                om[i] = hm[js[0]] = True; hit(o[i], h[js[0]], d[i, js[0]], False)
            dd = d.copy(); dd[om, :] = np.nan; dd[:, hm] = np.nan
            for i, j in zip(*lsa(dd)):
                if not np.isfinite(dd[i, j]): continue
                hit(o[i], h[j], dd[i, j], o[i] in m and m[o[i]] != h[j]); om[i] = hm[j] = True; m[o[i]] = h[j]
        for i in np.nonzero(~om)[0]:
            n['miss'] += 1; st = objs[o[i]]
            if st[3]: st[4] = True
        n['fp'] += int((~hm).sum())
    ratios = [st[1] / st[0] for st in objs.values()]
    mt = sum(r >= 0.8 for r in ratios); pt = sum(0.2 <= r < 0.8 for r in ratios); ml = len(ratios) - mt - pt
    ol = sorted(objs); hl = sorted(hyps); oi = {x: i for i, x in enumerate(ol)}; hi = {x: i for i, x in enumerate(hl)}
    w = np.zeros((len(ol), len(hl)))
    for (x, y), c in pairs.items(): w[oi[x], hi[y]] = c
    r, c = linear_sum_assignment(-w); idtp = w[r, c].sum()
    nobj = sum(st[0] for st in objs.values()); npred = sum(hyps.values()); det = n['match'] + n['switch']
    return dict(MOTA=1 - (n['miss'] + n['switch'] + n['fp']) / nobj, MOTP=n['dsum'] / det, IDF1=2 * idtp / (nobj + npred),
                IDP=idtp / npred, IDR=idtp / nobj, FP=n['fp'], FN=n['miss'], IDSW=n['switch'], Frag=sum(st[2] for st in objs.values()),
                MT=int(mt), PT=int(pt), ML=int(ml))

import json
MOTMETRICS = '--motmetrics' in sys.argv
sys.argv = [a for a in sys.argv if a != '--motmetrics']
root, dyno = sys.argv[1], json.load(open(sys.argv[2]))['per_sequence']
worst = 0.0
for seq in (sys.argv[3:] or sorted(dyno)):
    T = int([l for l in open(f'{root}/gt/{seq}/seqinfo.ini') if l.startswith('seqLength')][0].split('=')[1])
    gt = load(f'{root}/gt/{seq}/gt/gt.txt', T); tr = load(f'{root}/pred/{seq}.txt', T)
    G, K, S, nG, nK, RG, RK = prep(gt, tr)
    r = motmetrics(RG, RK) if MOTMETRICS else {**clear(G, K, S, nG), **ident(G, K, S, nG, nK), **hota(G, K, S, nG, nK)}
    delta = max(abs(float(v) - dyno[seq][k]) for k, v in r.items())
    worst = max(worst, delta)
    print(f"{seq}: " + ('' if MOTMETRICS else f"HOTA {r['HOTA']:.6f} ") + f"MOTA {r['MOTA']:.6f} IDF1 {r['IDF1']:.6f} IDSW {r['IDSW']} Frag {r['Frag']}  max |reference - dyno| = {delta:.3g}")
print(f"largest difference over all values: {worst:.3g}")
sys.exit(0 if worst <= 1e-9 else 1)
