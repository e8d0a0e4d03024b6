# Sourced by the Node test suites' run.sh (editors/vscode, tests/acp): runs one node --test file and adds its
# counts to the caller's $passed and $failed. A skipped or todo test counts as a failure, and so does a run that
# ends non-zero (a timeout, a crash) without a failing test.
# run_group NAME TIMEOUT_SECONDS TEST_FILE TAP_LOG
run_group() {
  local name="$1" limit="$2" file="$3" log="$4"
  echo "=== $name"
  timeout --kill-after=10 "$limit" node --test --test-reporter=tap "$file" 2>&1 | tee "$log"
  local status="${PIPESTATUS[0]}"
  local p f s
  p="$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log" | tail -n 1)"
  f="$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log" | tail -n 1)"
  # A skipped (or todo) test hides whatever it did not check: it counts as a failure.
  s=$(( $(sed -n 's/^# skipped \([0-9]*\)$/\1/p' "$log" | tail -n 1 | grep . || echo 0) \
      + $(sed -n 's/^# todo \([0-9]*\)$/\1/p' "$log" | tail -n 1 | grep . || echo 0) ))
  if [ "$s" -gt 0 ]; then
    echo "run.sh: $name skipped $s test(s); each counts as a failure:" >&2
    grep -E '^ *(not )?ok .*# (SKIP|TODO)' "$log" >&2
  fi
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + s))
  if [ -z "$p" ] || { [ "$status" -ne 0 ] && [ "${f:-0}" -eq 0 ]; }; then
    echo "run.sh: $name ended with status $status without a failing test (timeout or crash)" >&2
    failed=$((failed + 1))
  fi
}
