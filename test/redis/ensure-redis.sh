#!/usr/bin/env bash
# Makes sure a Redis answers on 127.0.0.1:6379 for `npm run test:redis` (installs redis-server if missing).
# The suite also starts (and stops) a redis-server of its own on a free port, to test an outage.
set -euo pipefail
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y redis-server
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 50); do
    redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && exit 0
    sleep 0.1
  done
  echo "redis-server did not answer on 127.0.0.1:6379" >&2
  exit 1
fi
