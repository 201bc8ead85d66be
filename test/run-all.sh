#!/usr/bin/env bash
# Runs every test: node's test runner on lib/ (test/unit) and bats on the
# installed commands (test/cli). Prints one closing line: "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

echo "== typecheck (tsc --noEmit)"
if node_modules/.bin/tsc --noEmit -p . >"$log/tsc.out" 2>&1; then t_pass=1; t_fail=0; echo "ok"; else t_pass=0; t_fail=1; head -40 "$log/tsc.out"; fi

echo "== unit tests (node --test)"
node --import tsx --test --test-reporter=tap --test-concurrency=2 test/unit/*.test.ts >"$log/unit.tap" 2>"$log/unit.err"
unit_rc=$?
grep -E '^(not ok|# (tests|pass|fail))' "$log/unit.tap" | grep -v '^# tests' || true
[ $unit_rc -ne 0 ] && { grep -B2 -A25 '^not ok' "$log/unit.tap" | head -200; tail -20 "$log/unit.err"; }
u_pass=$(awk '/^# pass /{print $3}' "$log/unit.tap" | tail -1)
u_fail=$(awk '/^# fail /{print $3}' "$log/unit.tap" | tail -1)

echo "== CLI tests (bats)"
node_modules/bats/bin/bats --tap test/cli >"$log/cli.tap" 2>&1
cli_rc=$?
cat "$log/cli.tap" | grep -vE '^ok ' || true
c_pass=$(grep -cE '^ok ' "$log/cli.tap")
c_fail=$(grep -cE '^not ok ' "$log/cli.tap")

pass=$(( t_pass + ${u_pass:-0} + c_pass ))
fail=$(( t_fail + ${u_fail:-0} + c_fail ))
# A runner that crashed before counting is a failure even with no "not ok".
if [ $unit_rc -ne 0 ] && [ "${u_fail:-0}" -eq 0 ]; then fail=$((fail + 1)); fi
if [ $cli_rc -ne 0 ] && [ "$c_fail" -eq 0 ]; then fail=$((fail + 1)); fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
