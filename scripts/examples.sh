#!/usr/bin/env bash
# Runs every manifest in examples/ (or the ones named) in full under `agentops run`, one after the other, each in
# runs/examples/NAME, then prints one held-out table for all of them from each run's eval/summary.json.
# Long: each example trains for minutes on a 2-core box (`make test` runs them all with their budgets cut:
# tests/AgentOps.Operator.Tests/Local/ExampleRunsTests.cs). Extra `agentops run` flags go in RUN_ARGS.
# Usage: scripts/examples.sh [examples/X.yaml ...]
set -uo pipefail
config=${CONFIG:-Release}
agentops=operator/bin/$config/net10.0/agentops
[ -x "$agentops" ] || { echo "examples: $agentops is missing: run make build first" >&2; exit 2; }
files=("$@"); [ ${#files[@]} -gt 0 ] || files=(examples/*.yaml)
status=0
for f in "${files[@]}"; do
  name=$(basename "$f" .yaml)
  echo "== $f ($(uptime))"
  # shellcheck disable=SC2086
  nice "$agentops" run "$f" --run-dir "runs/examples/$name" ${RUN_ARGS:-} || { echo "examples: $f failed (exit $?)"; status=1; }
done
echo
names=(); for f in "${files[@]}"; do names+=("$(basename "$f" .yaml)"); done
/usr/bin/python3 - "${names[@]}" <<'PY'
import json, os, sys
print(f"{'example':<22} {'environment':<12} {'row':<10} {'success':>9}  95% interval")
for name in sys.argv[1:]:
    path = f"runs/examples/{name}/eval/summary.json"
    if not os.path.exists(path):
        print(f"{name:<22} (no summary: the run did not finish)")
        continue
    s = json.load(open(path))
    for r in s["evaluations"]:
        print(f"{name:<22} {s['environment']:<12} {r['label']:<10} {r['successes']:>4}/{r['episodes']:<4}  [{r['low']:.1%}, {r['high']:.1%}]")
    for note in s["notes"]:
        print(f"{'':<22} note: {note}")
PY
exit $status
