#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this script).
# It installs what it needs on a fresh Debian machine: the wasm32 target, and through the
# scripts it calls, the browser and linkers the later stages use.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
started=$SECONDS

step "toolchain and system packages"
rustup show active-toolchain
rustup target add wasm32-unknown-unknown
rustup component add rustfmt clippy
# musl targets and linkers (release archives), zsh and fish (completion tests).
bash xtask/install-deps.sh

# Snapshots are compared, never written, here: review changes with `cargo insta review`.
export INSTA_UPDATE=no

step "format"
cargo fmt --all -- --check

step "clippy (workspace, -D warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "core for wasm32-unknown-unknown (no I/O, no tokio in its tree)"
cargo clippy -p runai-gateway-core --target wasm32-unknown-unknown --locked -- -D warnings
cargo build -p runai-gateway-core --target wasm32-unknown-unknown --release --locked
if cargo tree -p runai-gateway-core -e normal --target wasm32-unknown-unknown | grep -E '^[^a-z]*(tokio|hyper|kube-client) '; then
  echo "error: the core's dependency tree must not contain tokio, hyper or kube-client" >&2
  exit 1
fi

step "tests"
# xtask's release test builds the real static musl archive with `cargo build --release`. Here it
# uses a quicker release profile (no LTO, parallel codegen): the test is about the build, the
# packing and the manifest, not about the last percent of speed. Real releases keep the full
# profile (.github/workflows/release.yml). The wasm build below is a separate cargo run.
CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
  cargo test --workspace --locked

# The browser tests: installs wasm-bindgen-cli, Chromium and chromedriver, then runs the
# bindings in headless Chromium and the page end to end.
step "wasm/test.sh"
bash wasm/test.sh

step "done in $((SECONDS - started))s"
