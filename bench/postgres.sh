#!/usr/bin/env bash
# The PostgreSQL store benchmark (bench/e2e/postgres.mjs): the cost of mirroring per turn (the same turns with the
# SQLite store and with PostgreSQL, live sessions on and off), a first resume on another machine (materialized from
# the store), and listings of 2,000 sessions from PostgreSQL against the same listings from SQLite over local
# transcripts. Real CLI, fake Messages API on 127.0.0.1, and a throw-away PostgreSQL 15 cluster (initdb in a temp
# folder, trust auth, 127.0.0.1 on a free port, fsync=off; run as the postgres user when started as root), stopped and
# deleted at the end, also on failure; pg_stat_statements counts what a turn asks of it. RESUMES (default 20), MACHINES (first resumes on machine B, default 8), COUNT
# (sessions listed, default 2000) and WARM (warm listings, default 5) tune it; PGBIN names the PostgreSQL binaries.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
claude="$repo/.tools/claude/node_modules/@anthropic-ai/claude-code/bin/claude.exe"
[ -x "$claude" ] || npm install --silent --prefix "$repo/.tools/claude" "@anthropic-ai/claude-code@$(cat "$repo/.claude-cli-version")"
pgbin="${PGBIN:-/usr/lib/postgresql/15/bin}"
[ -x "$pgbin/initdb" ] || { echo "no PostgreSQL binaries in $pgbin (apt-get install postgresql-15, or set PGBIN)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is needed to seed the SQLite store (apt-get install sqlite3)" >&2; exit 1; }
dotnet build src/ClaudeSessionSidecar -c Release -nologo -v quiet >/dev/null

source bench/scratch-and-api.sh css-pg-bench
mkdir -p "$scratch/work"

# The cluster: its own temp folder (the postgres user must own it; /tmp lets it through), gone at exit.
pgdir="$(mktemp -d /tmp/css-pg-bench-db-XXXXXX)"
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres: "$pgdir"
stop_postgres() {
  if [ -f "$pgdir/data/postmaster.pid" ]; then
    as_postgres "$pgbin/pg_ctl" stop -D "$pgdir/data" -m immediate -w >/dev/null 2>&1 \
      || kill -9 "$(head -n 1 "$pgdir/data/postmaster.pid")" 2>/dev/null || true
  fi
  rm -rf "$pgdir"
}
trap 'stop_postgres; cleanup' EXIT
trap 'exit 130' INT TERM
as_postgres "$pgbin/initdb" -D "$pgdir/data" -U postgres --auth=trust -E UTF8 --no-locale --no-sync --no-instructions >/dev/null
cat >> "$pgdir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$pgdir'
fsync = off
shared_preload_libraries = 'pg_stat_statements'
EOF
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
for attempt in 1 2 3; do
  pgport="$(free_port)"
  # A port taken between choosing and binding it: another one.
  as_postgres "$pgbin/pg_ctl" start -D "$pgdir/data" -l "$pgdir/postgres.log" -w -t 30 -o "-p $pgport" >/dev/null && break
  grep -q "could not bind" "$pgdir/postgres.log" && [ "$attempt" -lt 3 ] || { cat "$pgdir/postgres.log" >&2; exit 1; }
done
psql() { "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pgport" -U postgres "$@"; }
psql -d postgres -c 'CREATE DATABASE bench'
# What each turn asks of the database (statements, and their time inside PostgreSQL), for part 1.
psql -d bench -c 'CREATE EXTENSION pg_stat_statements'
echo "PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pgport (fsync=off, trust), data in $pgdir"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ), .NET $(dotnet --version), Node $(node --version), CLI $("$claude" --version | head -n 1)"

SIDECAR="[\"dotnet\",\"$repo/src/ClaudeSessionSidecar/bin/Release/net10.0/ClaudeSessionSidecar.dll\"]" \
CLAUDE="$claude" API="http://127.0.0.1:$port" WORK="$scratch/work" SCRATCH="$scratch" \
PG_URL="postgres://postgres@127.0.0.1:$pgport/bench" PSQL="[\"$pgbin/psql\",\"-X\",\"-q\",\"-v\",\"ON_ERROR_STOP=1\",\"-h\",\"127.0.0.1\",\"-p\",\"$pgport\",\"-U\",\"postgres\",\"-d\",\"bench\"]" \
node bench/e2e/postgres.mjs
