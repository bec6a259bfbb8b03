#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this script).
# It installs what it needs on a fresh Debian machine: the wasm32 target, and through the
# scripts it calls, the browser and linkers the later stages use. Every stage runs even when an
# earlier one failed; the script still exits non-zero then, and its last line counts the tests
# of every cargo and browser run: `tests: N passed, N failed, N skipped`.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/testlib.sh
source scripts/testlib.sh
started=$SECONDS

step "toolchain and system packages"
rustup show active-toolchain
rustup target add wasm32-unknown-unknown
rustup component add rustfmt clippy
# musl targets and linkers (release archives), zsh and fish (completion tests).
bash xtask/install-deps.sh

use_gateway_api_crds

# Snapshots are compared, never written, here: review changes with `cargo insta review`.
export INSTA_UPDATE=no

stage "format" cargo fmt --all -- --check

stage "clippy (workspace, -D warnings)" cargo clippy --workspace --all-targets --locked -- -D warnings

core_has_no_io() {
  cargo clippy -p runai-gateway-core --target wasm32-unknown-unknown --locked -- -D warnings &&
    cargo build -p runai-gateway-core --target wasm32-unknown-unknown --release --locked || return 1
  if cargo tree -p runai-gateway-core -e normal --target wasm32-unknown-unknown | grep -E '^[^a-z]*(tokio|hyper|kube-client) '; then
    echo "error: the core's dependency tree must not contain tokio, hyper or kube-client" >&2
    return 1
  fi
}
stage "core for wasm32-unknown-unknown (no I/O, no tokio in its tree)" core_has_no_io

# The page's two modules are the wasm crate built for wasm32 with one feature each: lint both
# builds as they ship (the workspace clippy above builds the wasm crate for the host only).
wasm_modules_lint() {
  for module in calculator diagnostics; do
    cargo clippy -p runai-gateway-wasm --target wasm32-unknown-unknown --no-default-features \
      --features "$module" --locked -- -D warnings || return 1
  done
}
stage "clippy (the page's two wasm32 modules)" wasm_modules_lint

# xtask's release test builds the real static musl archive with `cargo build --release`. Here it
# uses a quicker release profile (no LTO, parallel codegen): the test is about the build, the
# packing and the manifest, not about the last percent of speed. Real releases keep the full
# profile (.github/workflows/release.yml). The wasm build below is a separate cargo run.
# --no-fail-fast: every test binary runs, whichever fails.
tests "tests" env CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 cargo test --workspace --locked --no-fail-fast

# The scale bench at 1,000 workloads, as a smoke run only (the numbers are recorded in
# docs/performance.md from runs at 1,000, 10,000 and 50,000; nothing here asserts a time). It uses
# the dev binary the tests above built.
# The binaries `cargo test --workspace` just built (the plugin for its integration tests, xtask
# for its own): a `cargo run -p xtask` or `cargo build -p …` here would unify features per
# package and compile the dependencies a second time.
stage "bench-scale smoke (1,000 workloads)" target/debug/xtask bench-scale --workloads 1000 \
  --bin target/debug/kubectl-runai_gateway

# The fuzz targets (fuzz/README.md): each runs for $FUZZ_SECONDS (default 30) from its corpus in
# target/fuzz-corpus, built with nightly and cargo-fuzz (installed when absent). Each target is
# one test in the closing count: it passes when libFuzzer found no crash. Without a nightly
# toolchain that rustup can install, every target is recorded as skipped (not passed).
fuzz_targets() {
  local targets=(config snapshot x509 helm_release hostname route_policy) seconds=${FUZZ_SECONDS:-30}
  if ! rustup run nightly rustc --version >/dev/null 2>&1 &&
    ! rustup toolchain install nightly --profile minimal; then
    for t in "${targets[@]}"; do
      printf 'fuzz %s\tno nightly toolchain (rustup toolchain install nightly failed)\n' "$t" >>"$RUNAI_GATEWAY_SKIP_LOG"
    done
    # Counted like a cargo test that skips itself: passed by the runner, then subtracted.
    echo "test result: ok. ${#targets[@]} passed; 0 failed; 0 ignored"
    return 0
  fi
  command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked || return 1
  (cd fuzz && cargo +nightly fuzz build) || return 1
  local passed=0 failed=0
  for t in "${targets[@]}"; do
    mkdir -p "target/fuzz-corpus/$t"
    local out rc=0
    out=$(cd fuzz && cargo +nightly fuzz run "$t" "../target/fuzz-corpus/$t" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 2>&1) || rc=$?
    # The closing counts (cov:, ft:, corpus size), or the crash and how to reproduce it.
    grep -E '^(#[0-9]+ +DONE|==[0-9]+==|thread .* panicked|SUMMARY|Done )|artifact' <<<"$out" || true
    if [ "$rc" = 0 ]; then
      passed=$((passed + 1))
    else
      echo "fuzz target $t failed (exit $rc): the input is in fuzz/artifacts/$t" >&2
      failed=$((failed + 1))
    fi
  done
  echo "test result: $([ "$failed" = 0 ] && echo ok || echo FAILED). $passed passed; $failed failed; 0 ignored"
  [ "$failed" = 0 ]
}
tests "fuzz targets (cargo +nightly fuzz, ${FUZZ_SECONDS:-30}s each)" fuzz_targets

# The browser tests: installs wasm-bindgen-cli, Chromium and chromedriver, then runs the
# bindings in headless Chromium and the page end to end.
stage "wasm/test.sh" bash wasm/test.sh

step "done in $((SECONDS - started))s"
finish
