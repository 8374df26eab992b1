#!/usr/bin/env bash
# Back up CreditDesk: the PostgreSQL database (pg_dump, custom format) and the uploaded files
# (a tar of MEDIA_ROOT). Usage: scripts/backup.sh [DEST_DIR]   (default: var/backups)
# Reads DATABASE_URL (postgres://…) and MEDIA_ROOT (default var/media) from the environment.
# Writes DEST_DIR/creditdesk-YYYYmmdd-HHMMSS/{database.dump,media.tar.gz,SHA256SUMS} and prints
# that directory's path.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${DATABASE_URL:?set DATABASE_URL to the PostgreSQL database to back up}"
case "$DATABASE_URL" in
  postgres://*|postgresql://*) ;;
  *) echo "backup.sh: DATABASE_URL must be a PostgreSQL URL" >&2; exit 2 ;;
esac
MEDIA_ROOT="${MEDIA_ROOT:-var/media}"
DEST_DIR="${1:-var/backups}"
STAMP="$(date -u +%Y%m%d-%H%M%S)"
TARGET="$DEST_DIR/creditdesk-$STAMP"
mkdir -p "$TARGET"

# libpq takes the URL as the database name; postgres:// and postgresql:// both work.
pg_dump --format=custom --no-owner --no-privileges --file="$TARGET/database.dump" "$DATABASE_URL"

if [ -d "$MEDIA_ROOT" ]; then
  tar -czf "$TARGET/media.tar.gz" -C "$MEDIA_ROOT" .
else
  tar -czf "$TARGET/media.tar.gz" --files-from=/dev/null
fi

(cd "$TARGET" && sha256sum database.dump media.tar.gz > SHA256SUMS)
echo "$TARGET"
