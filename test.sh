#!/usr/bin/env bash
# Runs every test of Quorum Portal. On a fresh Debian machine it first installs what the tests need
# (Apache ZooKeeper and Chromium from Debian's packages), then runs `dotnet test Portal.sln` and ends
# with one line "N passed, N failed[, N skipped]" summing all test projects.
set -uo pipefail
cd "$(dirname "$0")"

need=()
[ -f /usr/share/java/zookeeper.jar ] || need+=(zookeeper)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "test.sh: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null && apt-get install -y -q "${need[@]}" >/dev/null \
      || { echo "test.sh: apt-get install ${need[*]} failed"; exit 1; }
  else
    echo "test.sh: ${need[*]} missing and not root; install them with: sudo apt-get install -y ${need[*]}"
  fi
fi

results=TestResults
rm -rf "$results"
dotnet test Portal.sln -c Release --logger "trx" --results-directory "$results" "$@"
status=$?

passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed)))
  notexec=$(get notExecuted)
  skipped=$((skipped + ${notexec:-0}))
done
if [ $status -ne 0 ] && [ $failed -eq 0 ]; then
  failed=1  # the build or a test host failed before any result was written
  echo "test.sh: dotnet test exited with $status"
fi
if [ $skipped -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
exit $status
