#!/bin/sh
# Back up a Hangtime PostgreSQL database with pg_dump, restore it into a scratch database, and check that every
# table holds the same number of rows and that the audit chain still verifies. Exit 0 only when all of that holds.
#
#   scripts/backup-restore-check.sh postgresql://user@host:5432/hangtime [backup-file]
set -eu
SOURCE="${1:?usage: $0 postgresql://user@host:port/database [backup-file]}"
BACKUP="${2:-hangtime-$(date +%Y%m%d-%H%M%S).dump}"
SCRATCH_DB="hangtime_restore_check_$$"
ADMIN="$(printf '%s' "$SOURCE" | sed 's#/[^/]*$#/postgres#')"
RESTORED="$(printf '%s' "$SOURCE" | sed "s#/[^/]*\$#/$SCRATCH_DB#")"
HANGTIME="${HANGTIME:-hangtime}"

pg_dump --format=custom --file="$BACKUP" "$SOURCE"
echo "backup written: $BACKUP ($(wc -c < "$BACKUP") bytes)"
psql -q "$ADMIN" -c "CREATE DATABASE $SCRATCH_DB"
trap 'psql -q "$ADMIN" -c "DROP DATABASE IF EXISTS $SCRATCH_DB" >/dev/null' EXIT
pg_restore --no-owner --dbname="$RESTORED" "$BACKUP"

counts() {
  psql -At "$1" -c "SELECT string_agg(t || '=' || n, ' ' ORDER BY t) FROM (
    SELECT table_name AS t, (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I', table_name),
      false, true, '')))[1]::text::bigint AS n
    FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE') AS x"
}
BEFORE="$(counts "$SOURCE")"
AFTER="$(counts "$RESTORED")"
if [ "$BEFORE" != "$AFTER" ]; then
  echo "restore differs from the source:"; echo " source:   $BEFORE"; echo " restored: $AFTER"; exit 1
fi
echo "every table restored with the same number of rows"
HANGTIME_DATABASE_URL="$(printf '%s' "$RESTORED" | sed 's#^postgresql://#postgresql+psycopg://#')" "$HANGTIME" audit verify
echo "backup and restore checked"
