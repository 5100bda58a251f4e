#!/usr/bin/env bash
# End-to-end timing of `dyno anchors` (wall time and peak RSS via /usr/bin/time -v) on a COCO-sized
# synthetic set: the shared small fixture replicated N times (default 100 → 20,000 images, ~150k boxes).
# Usage: bench/anchors.sh [N]   (builds the CLI in Release first)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100}
./dyno --version >/dev/null   # (re)publishes the ReadyToRun build users run
dyno=artifacts/dyno/dyno
big=$(mktemp --suffix=.json)
trap 'rm -f "$big"' EXIT
python3 - "$n" "$big" <<'PY'
import json, sys
n, out = int(sys.argv[1]), sys.argv[2]
d = json.load(open("tests/fixtures/coco/small_gt.json"))
imgs, anns = [], []
for r in range(n):
    off = r * 10_000_000
    imgs += [dict(im, id=im["id"] + off) for im in d["images"]]
    anns += [dict(a, id=a["id"] + off, image_id=a["image_id"] + off) for a in d["annotations"]]
json.dump(dict(images=imgs, annotations=anns, categories=d["categories"]), open(out, "w"))
PY
echo "images: $((n * 200)), file: $(du -h "$big" | cut -f1)"
for args in "" "--fit 9" "--fit 9 --evolve 1000"; do
  echo "== dyno anchors --gt BIG --format json $args"
  /usr/bin/time -v "$dyno" anchors --gt "$big" --format json $args 2>/tmp/anchors-time.txt >/tmp/anchors-out.json
  grep -E "Elapsed|Maximum resident" /tmp/anchors-time.txt
  python3 -c "import json; d=json.load(open('/tmp/anchors-out.json')); print('bpr', d['bpr'], 'counts', d['assignment_counts']['positive'], d['assignment_counts']['negative'])"
done
