#!/usr/bin/env bash
# Runs every test project against the real parts (redis-server, runsc, python3-grpcio, prometheus,
# libtorch) and ends with one line "N passed, N failed, N skipped". Exits non-zero when any test fails.
set -uo pipefail
config=${1:-Release}
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

status=0
for proj in tests/AgentOps.*.Tests/*.csproj; do
  name=$(basename "$proj" .csproj)
  echo "== $name"
  dotnet test "$proj" -c "$config" --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results" \
    --logger "console;verbosity=normal" -- RunConfiguration.TreatNoTestsAsError=false || status=1
done

passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$((passed + $(get passed))); failed=$((failed + $(get failed)))
  skipped=$((skipped + $(get notExecuted)))
done
# CI shows only the tail of the log: name each failed test and the start of its message last.
if [ "$failed" -gt 0 ]; then
  /usr/bin/python3 - "$results"/*.trx <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for path in sys.argv[1:]:
    for r in ET.parse(path).getroot().iterfind(".//t:UnitTestResult[@outcome='Failed']", ns):
        message = r.find("t:Output/t:ErrorInfo/t:Message", ns)
        text = (message.text or "").strip() if message is not None else ""
        print(f"FAILED {r.get('testName')}: {text[:600]}")
PY
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] || status=1
exit $status
