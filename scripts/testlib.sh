# Shared by scripts/test.sh and wasm/test.sh (sourced, not run): stages that keep going after a
# failure, and one closing line that counts the tests across every cargo and browser run.
#
#   stage NAME CMD...   runs CMD; a failure is remembered and the next stage still runs
#   tests NAME CMD...   the same for a test run, whose output is also kept for the count
#   finish              prints the failed stages and, last, `tests: N passed, N failed, N skipped`;
#                       returns non-zero when anything failed
#
# A test whose prerequisite is missing records itself in $RUNAI_GATEWAY_SKIP_LOG (see
# tests/testkit/src/skip.rs); it is counted as skipped, not passed.

step() { printf '\n==> %s\n' "$*"; }

# Points the test API server at the Gateway API CRDs (../shared/testdata beside the checkout,
# $RUNAI_GATEWAY_SHARED_TESTDATA, or a checked download: scripts/gateway-api-crds.sh).
use_gateway_api_crds() {
  step "Gateway API CRDs for the test API server"
  RUNAI_GATEWAY_SHARED_TESTDATA=$(bash scripts/gateway-api-crds.sh)
  export RUNAI_GATEWAY_SHARED_TESTDATA
  echo "using $RUNAI_GATEWAY_SHARED_TESTDATA"
}

if [ -z "${RUNAI_GATEWAY_TEST_LOG:-}" ]; then
  # The outermost script owns the logs; a script it calls adds to them.
  mkdir -p target
  export RUNAI_GATEWAY_TEST_LOG="$PWD/target/test-output.log"
  export RUNAI_GATEWAY_SKIP_LOG="$PWD/target/test-skips.log"
  export RUNAI_GATEWAY_FAILED_STAGES="$PWD/target/test-failed-stages.log"
  : >"$RUNAI_GATEWAY_TEST_LOG"
  : >"$RUNAI_GATEWAY_SKIP_LOG"
  : >"$RUNAI_GATEWAY_FAILED_STAGES"
  testlib_owner=1
else
  testlib_owner=0
fi
testlib_failures=0

# Runs one stage; `record` is `tee` for a test run (its output is counted) or `cat`.
run_stage() {
  local record=$1 name=$2
  shift 2
  step "$name"
  local rc=0
  if [ "$record" = tee ]; then
    "$@" 2>&1 | tee -a "$RUNAI_GATEWAY_TEST_LOG" || rc=${PIPESTATUS[0]}
  else
    "$@" || rc=$?
  fi
  if [ "$rc" -ne 0 ]; then
    echo "stage failed (exit $rc): $name" >&2
    echo "$name (exit $rc)" >>"$RUNAI_GATEWAY_FAILED_STAGES"
    testlib_failures=$((testlib_failures + 1))
  fi
  return 0
}

stage() { run_stage cat "$@"; }
tests() { run_stage tee "$@"; }

# Sums the `test result:` lines of cargo test and wasm-bindgen-test-runner.
count_tests() {
  awk '
    /^test result: / {
      for (i = 1; i <= NF; i++) {
        if ($(i + 1) ~ /^passed;?$/) passed += $i
        if ($(i + 1) ~ /^failed;?$/) failed += $i
        if ($(i + 1) ~ /^ignored;?$/) ignored += $i
      }
    }
    END { printf "%d %d %d\n", passed, failed, ignored }
  ' "$RUNAI_GATEWAY_TEST_LOG"
}

finish() {
  # Called from the outer script, the outer one counts; this one says whether its stages passed.
  [ "$testlib_owner" = 1 ] || return $((testlib_failures > 0))
  local passed failed ignored skipped
  read -r passed failed ignored < <(count_tests)
  skipped=$(grep -c . "$RUNAI_GATEWAY_SKIP_LOG" || true)
  passed=$((passed - skipped))
  echo
  if [ "$skipped" -gt 0 ]; then
    echo "skipped (a prerequisite is missing; not counted as passed):"
    sed 's/\t/: /; s/^/  /' "$RUNAI_GATEWAY_SKIP_LOG"
  fi
  [ "$ignored" -eq 0 ] || echo "$ignored ignored by cargo (tests that a later stage runs with --ignored, or that write files by hand)"
  if [ -s "$RUNAI_GATEWAY_FAILED_STAGES" ]; then
    echo "failed stages:"
    sed 's/^/  /' "$RUNAI_GATEWAY_FAILED_STAGES"
  fi
  echo "tests: $passed passed, $failed failed, $skipped skipped"
  [ ! -s "$RUNAI_GATEWAY_FAILED_STAGES" ] && [ "$failed" -eq 0 ]
}
