#!/usr/bin/env bash
# Installs what building and testing qurable-webhooks needs on Debian 12 / Ubuntu 22.04+ (run as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  g++ cmake make pkg-config git
  libsimdjson-dev catch2            # core and tests
  libssl-dev                        # optional: signature checking
)
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" "$@" >/dev/null
