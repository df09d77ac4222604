#!/usr/bin/env bash
# Runs the whole e2e suite (npm test) through PgBouncer in transaction mode with SCRAM auth
# and ignore_startup_parameters empty (like Neon's pooler), in front of a PostgreSQL 15 of its own (started and
# stopped here; never the machine's server on 5432). Needs pgbouncer (test/faults/install-deps.sh).
# Extra arguments go to jest, e.g. test/faults/run-e2e-through-pgbouncer.sh test/e2e/tasks
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || { echo "pgbouncer is not installed: run test/faults/install-deps.sh" >&2; exit 1; }
exec tsx test/faults/e2e-through-pgbouncer.ts "$@"
