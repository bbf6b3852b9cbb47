#!/usr/bin/env bash
# Run `./run test` N times in a row (default 5) while another build runs beside it the whole
# time: a cold build of the demo project, PDFs included, started again as soon as it ends.
# The suite must pass on a loaded machine; this is how that is checked.
#   scripts/loaded_tests.sh [N]      prints one line per run, exits 1 if any run failed
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
./run test --co -q >/dev/null 2>&1 || true # installs the environment before the clock starts

side=$(mktemp -d)
cp -r questions site_src mkdocs.yml sovereign.yml "$side"/
rm -rf "$side/site_src/drafts"
(
  while true; do
    rm -rf "$side/.cache" "$side/site" "$side/review"
    .venv/bin/sovereign --root "$side" build --jobs 2 >"$side/build.log" 2>&1
    echo "$(date +%T) side build exit $?" >>"$side/builds.log"
  done
) &
beside=$!
trap 'kill "$beside" 2>/dev/null; pkill -P "$beside" 2>/dev/null; rm -rf "$side"' EXIT

failed=0
for i in $(seq 1 "$runs"); do
  started=$(date +%s)
  if ./run test -p no:cacheprovider >"/tmp/loaded-test-$i.log" 2>&1; then
    verdict=passed
  else
    verdict=FAILED
    failed=$((failed + 1))
  fi
  summary=$(grep -E '^[0-9]+ (passed|failed)|[0-9]+ passed' "/tmp/loaded-test-$i.log" | tail -1)
  echo "run $i: $verdict in $(($(date +%s) - started)) s — $summary (log: /tmp/loaded-test-$i.log)"
done
echo "side builds finished while testing: $(grep -c exit "$side/builds.log" 2>/dev/null || echo 0)"
echo "$((runs - failed)) of $runs runs passed"
[ "$failed" = 0 ]
