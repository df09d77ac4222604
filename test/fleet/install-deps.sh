#!/usr/bin/env bash
# Debian's HAProxy for the fleet suite (test/fleet). PostgreSQL and Redis come with the machine.
set -euo pipefail
if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y haproxy
fi
