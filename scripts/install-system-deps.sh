#!/usr/bin/env bash
# Debian/Ubuntu libraries that the `canvas` package (charts) builds against. Needs root or sudo.
set -euo pipefail
PKGS=(build-essential pkg-config libcairo2-dev libpango1.0-dev libjpeg-dev libgif-dev librsvg2-dev fonts-dejavu-core)
if dpkg -s "${PKGS[@]}" >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${PKGS[@]}" >/dev/null
