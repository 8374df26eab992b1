#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into DATABASE_URL and MEDIA_ROOT.
# Usage: scripts/restore.sh BACKUP_DIR
# The database must exist (it may be empty); objects in it that the backup holds are replaced.
# MEDIA_ROOT (default var/media) is replaced by the backup's files. Stop web, worker and beat first.
set -euo pipefail
cd "$(dirname "$0")/.."

BACKUP_DIR="${1:?usage: scripts/restore.sh BACKUP_DIR}"
: "${DATABASE_URL:?set DATABASE_URL to the PostgreSQL database to restore into}"
MEDIA_ROOT="${MEDIA_ROOT:-var/media}"

(cd "$BACKUP_DIR" && sha256sum --check --quiet SHA256SUMS)

pg_restore --clean --if-exists --no-owner --no-privileges --exit-on-error \
  --dbname="$DATABASE_URL" "$BACKUP_DIR/database.dump"

mkdir -p "$MEDIA_ROOT"
find "$MEDIA_ROOT" -mindepth 1 -delete
tar -xzf "$BACKUP_DIR/media.tar.gz" -C "$MEDIA_ROOT"
echo "restored $BACKUP_DIR"
