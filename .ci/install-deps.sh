#!/usr/bin/env bash
# Installs what building and testing qurable-webhooks needs on Debian 12 / Ubuntu 22.04+ (run as root).
# One group per line, with what needs it; extra package names given as arguments are installed too.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  g++ cmake make pkg-config git                     # build
  libsimdjson-dev catch2                            # core and tests
  libcpp-httplib-dev libboost-dev libcivetweb-dev    # examples: HTTP servers and client
  zlib1g-dev libbrotli-dev nginx                    # examples' abuse suite (gzip/brotli bombs), nginx in front
  libssl-dev                                        # optional: signature checking
  redis-server libhiredis-dev                       # optional: Redis store and streams, stream_receiver, their tests
  prometheus-cpp-dev prometheus                     # optional: Prometheus metrics; promtool checks the exposition
  clang libclang-rt-14-dev                          # quality gate: clang C++20 build, libFuzzer + sanitizer runtimes
  clang-format-14                                   # quality gate: format check
)
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" "$@" >/dev/null
