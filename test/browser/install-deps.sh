#!/usr/bin/env bash
# System packages for the browser test (npm run test:browser): Debian's Chromium, which playwright-core drives
# at /usr/bin/chromium. Run as root (or with sudo available).
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update
$SUDO apt-get install -y chromium
