#!/usr/bin/env bash
# The browser calculator's tests, from a fresh Debian machine: installs what they need (the wasm32
# target, wasm-bindgen-cli at the crate's exact version, Chromium with its matching chromedriver,
# binaryen's wasm-opt), builds the page and the CLI, then runs
#   1. the wasm-bindgen-test tests of the bindings (wasm/tests/web.rs) in headless Chromium;
#   2. the end-to-end test (wasm/tests/e2e.rs): the built page served on 127.0.0.1, driven through
#      WebDriver, compared byte for byte with the CLI; screenshots in target/web-e2e/.
# scripts/test.sh calls this; it also runs on its own: `bash wasm/test.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# shellcheck source=scripts/testlib.sh
source scripts/testlib.sh
started=$SECONDS

step "wasm32 target"
rustup target add wasm32-unknown-unknown

step "wasm-bindgen-cli (must equal the wasm-bindgen crate in Cargo.lock)"
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  echo "installing wasm-bindgen-cli $want (found: ${have:-none})"
  # --locked first; its lock file has pinned a crate version the registry later withdrew, so fall
  # back to a fresh resolution of the same wasm-bindgen-cli version.
  cargo install wasm-bindgen-cli --version "$want" --locked || cargo install wasm-bindgen-cli --version "$want"
fi
wasm-bindgen --version

step "Chromium, chromedriver and wasm-opt (Debian packages)"
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v wasm-opt >/dev/null || missing+=(binaryen)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
browser=$(chromium --version | grep -oE '[0-9]+\.[0-9.]+' | head -1)
driver=$(chromedriver --version | grep -oE '[0-9]+\.[0-9.]+' | head -1)
echo "chromium $browser, chromedriver $driver"
if [ "${browser%%.*}" != "${driver%%.*}" ]; then
  echo "error: chromium $browser and chromedriver $driver differ in major version: \
update both (apt-get install chromium chromium-driver)" >&2
  exit 1
fi
export CHROMEDRIVER="$(command -v chromedriver)"
export CHROMIUM="$(command -v chromium)"

[ -n "${RUNAI_GATEWAY_SHARED_TESTDATA:-}" ] || use_gateway_api_crds

stage "build: the CLI (for parity)" cargo build --locked -p kubectl-runai-gateway
stage "build: the page (cargo xtask web --build-only)" cargo xtask web --build-only

# wasm-bindgen-test-runner reads wasm/webdriver.json (Chromium's flags for this machine).
tests "bindings in headless Chromium (wasm-bindgen-test)" \
  env CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --locked --target wasm32-unknown-unknown -p runai-gateway-wasm --test web

tests "end to end: the page in headless Chromium through WebDriver, parity with the CLI" \
  cargo test --locked -p runai-gateway-wasm --test e2e -- --ignored --test-threads=1

echo "screenshots: $(ls target/web-e2e/*.png 2>/dev/null | tr '\n' ' ')"
step "wasm/test.sh done in $((SECONDS - started))s"
finish
