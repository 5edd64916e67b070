#!/usr/bin/env bash
# Every benchmark of bench/, one after the other on a quiet machine, their JSON lines
# collected in one file (default /tmp/sqlml-bench.jsonl); progress and errors go to stderr.
#   bash bench/all.sh [OUT]
# Needs the servers of .ci/run (PostgreSQL, MariaDB), Debian's /usr/bin/python3 with
# python3-numpy and python3-sklearn (gen.py's tables and oracle), and for the peer run
# python3-pandas, python3-sqlalchemy and python3-psycopg2 (../shared/bench/peer.md; scale.ts runs the peer).
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-/tmp/sqlml-bench.jsonl}"
: > "$out"
step() {
  echo "== $*" >&2
  "$@" | grep '^{' | tee -a "$out"
}
npm run build >/dev/null
# The benches' CREATE MODEL steps run on dist/ (bench/built.ts); built once, just above.
export SQLML_BENCH_BUILT=1
step npx tsx bench/learner.ts
step npx tsx bench/train.ts --rows 1000000,5000000
step npx tsx bench/postgres.ts --rows 1000000 --rss-rows 1000000,5000000
step npx tsx bench/mysql.ts --rows 1000000,5000000
step npx tsx bench/predict-engines.ts --rows 1000000,10000000
step npx tsx bench/scale.ts --db duckdb,postgres
step npx tsx bench/quality.ts --seeds 5
step npx tsx bench/serve.ts
echo "== done: $out" >&2
