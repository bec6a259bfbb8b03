#!/usr/bin/env bash
# Finds the upstream Gateway API v1.4.0 standard-channel CRDs the test API server validates
# against, and prints the test-data folder that holds them (as `gateway-api/`), for
# RUNAI_GATEWAY_SHARED_TESTDATA:
#   1. $RUNAI_GATEWAY_SHARED_TESTDATA, when set;
#   2. ../shared/testdata beside the checkout;
#   3. otherwise target/gateway-api-v1.4.0, downloaded once from the upstream tag and checked
#      against the sha256 sums below (set RUNAI_GATEWAY_CRDS_URL to use a mirror).
# The CRDs are never committed to this repository.
set -euo pipefail
cd "$(dirname "$0")/.."

version=v1.4.0
base=${RUNAI_GATEWAY_CRDS_URL:-https://raw.githubusercontent.com/kubernetes-sigs/gateway-api/$version/config/crd/standard}
sums="59d7cf1d99e1337e6d6a19c6306172d8f7ff2d9f920142a88ef9ba597d6d97bb  gateway.networking.k8s.io_backendtlspolicies.yaml
2f61e8c8c2289843a61d7b1bba31f8a5a46dbf20a1c54359209d638d3bd899c9  gateway.networking.k8s.io_gatewayclasses.yaml
b0e29566bbe07fbe4ede55c2eff73865bd566f3063736ec9046224d7e20d6f88  gateway.networking.k8s.io_gateways.yaml
dc114a794b2bf2565489c3182d4b173590ea01348f986daf42c7bc0505521d26  gateway.networking.k8s.io_grpcroutes.yaml
c2539410dec72b793ef840f484c19d13b48210074ec801b730e9fce2c5fc825c  gateway.networking.k8s.io_httproutes.yaml
3a59dcc699c2d01b19f13233943597f69de25420495ab3d4af7de7997bd807cc  gateway.networking.k8s.io_referencegrants.yaml"

has_crds() { [ -f "$1/gateway-api/gateway.networking.k8s.io_gateways.yaml" ]; }

if [ -n "${RUNAI_GATEWAY_SHARED_TESTDATA:-}" ]; then
  if ! has_crds "$RUNAI_GATEWAY_SHARED_TESTDATA"; then
    echo "error: RUNAI_GATEWAY_SHARED_TESTDATA=$RUNAI_GATEWAY_SHARED_TESTDATA has no gateway-api/ folder with the Gateway API CRDs; unset it to use ../shared/testdata or the download" >&2
    exit 1
  fi
  (cd "$RUNAI_GATEWAY_SHARED_TESTDATA" && pwd)
  exit 0
fi
if has_crds ../shared/testdata; then
  (cd ../shared/testdata && pwd)
  exit 0
fi

dest=target/gateway-api-$version
if ! (cd "$dest/gateway-api" 2>/dev/null && sha256sum --quiet -c - <<<"$sums" >/dev/null 2>&1); then
  echo "no ../shared/testdata beside the checkout: downloading the Gateway API $version CRDs into $dest" >&2
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  while read -r _ file; do
    if ! curl -fsSL --retry 2 --connect-timeout 10 -o "$tmp/$file" "$base/$file"; then
      cat >&2 <<MSG
error: cannot download $base/$file (offline?).
The tests need the upstream Gateway API $version standard-channel CRDs (config/crd/standard/*.yaml
of kubernetes-sigs/gateway-api at tag $version). Either put them in DIR/gateway-api/ and set
RUNAI_GATEWAY_SHARED_TESTDATA=DIR, or set RUNAI_GATEWAY_CRDS_URL to a mirror of that folder.
MSG
      exit 1
    fi
  done <<<"$sums"
  if ! (cd "$tmp" && sha256sum --quiet -c - <<<"$sums" >&2); then
    echo "error: the downloaded CRDs do not match the pinned sha256 sums of Gateway API $version; nothing was kept" >&2
    exit 1
  fi
  mkdir -p "$dest/gateway-api"
  mv "$tmp"/*.yaml "$dest/gateway-api/"
fi
(cd "$dest" && pwd)
