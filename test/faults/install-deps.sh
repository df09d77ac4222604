#!/usr/bin/env bash
# Debian packages the fault suite needs: PgBouncer (the PgBouncer scenarios and the harness self-check) and openssl (TLS
# certificates for the TLS scenario). PostgreSQL 15's server binaries (/usr/lib/postgresql/15/bin) come with the machine.
set -euo pipefail
if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ] || ! command -v openssl >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y pgbouncer openssl
fi
