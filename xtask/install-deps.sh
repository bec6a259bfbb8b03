#!/usr/bin/env bash
# What `cargo xtask dist` and the krew/completion tests need on a Debian machine, installed only
# when missing, so running it twice costs nothing:
#   - the musl targets of the pinned toolchain (static Linux builds, amd64 and arm64)
#   - musl-tools: musl-gcc, for C code in dependencies (ring) on x86_64-unknown-linux-musl
#   - gcc-aarch64-linux-gnu: links aarch64-unknown-linux-musl and compiles its C code
#   - zsh and fish: the completion tests parse those scripts when the shells exist
# kubectl itself is expected on the machine (/usr/bin/kubectl); the tests fail in CI without it.
set -euo pipefail

cd "$(dirname "$0")/.."

packages=()
command -v musl-gcc >/dev/null || packages+=(musl-tools)
command -v aarch64-linux-gnu-gcc >/dev/null || packages+=(gcc-aarch64-linux-gnu)
command -v zsh >/dev/null || packages+=(zsh)
command -v fish >/dev/null || packages+=(fish)
if ((${#packages[@]})); then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
    echo "installed: ${packages[*]}"
fi

# rustup reads rust-toolchain.toml here, so the targets go to the toolchain cargo will use.
installed=$(rustup target list --installed)
for target in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
    grep -qx "$target" <<<"$installed" || rustup target add "$target"
done

command -v kubectl >/dev/null || echo "warning: kubectl is not on the PATH; the kubectl tests need it" >&2
