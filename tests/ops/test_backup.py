"""scripts/backup.sh and scripts/restore.sh: back up a throwaway database and its files, restore
them elsewhere, and compare row counts and a file."""

import os
import subprocess
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

ROOT = Path(__file__).resolve().parents[2]


def server_url(dbname: str) -> str:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/creditdesk")
    parts = urlparse(base)
    if parts.scheme not in {"postgres", "postgresql"}:
        pytest.skip("backup needs PostgreSQL")
    return urlunparse(parts._replace(path=f"/{dbname}"))


def psql(url: str, sql: str) -> str:
    result = subprocess.run(
        ["psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


@pytest.fixture
def databases(worker_id):
    names = [f"cd_backup_src_{worker_id}", f"cd_backup_dst_{worker_id}"]
    admin = server_url("postgres")
    for name in names:
        psql(admin, f'DROP DATABASE IF EXISTS "{name}"')
        psql(admin, f'CREATE DATABASE "{name}"')
    yield [server_url(name) for name in names]
    for name in names:
        psql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


COUNTS = "SELECT (SELECT count(*) FROM customer) || '/' || (SELECT count(*) FROM event)"


def test_backup_then_restore_gives_the_same_rows_and_files(databases, tmp_path):
    source, target = databases
    psql(
        source,
        "CREATE TABLE customer (id serial PRIMARY KEY, name text, credit_limit numeric(18,2));"
        "CREATE TABLE event (id bigserial PRIMARY KEY, customer_id int REFERENCES customer(id),"
        " kind text);"
        "INSERT INTO customer (name, credit_limit) SELECT '客户' || n, n * 1000 "
        " FROM generate_series(1, 37) n;"
        "INSERT INTO event (customer_id, kind) SELECT 1 + n % 37, 'credit.granted' "
        " FROM generate_series(1, 120) n;",
    )
    media = tmp_path / "media"
    (media / "documents" / "2026").mkdir(parents=True)
    licence = media / "documents" / "2026" / "营业执照.pdf"
    licence.write_bytes(b"%PDF-1.4 business licence " + os.urandom(512))

    env = os.environ | {"DATABASE_URL": source, "MEDIA_ROOT": str(media)}
    backup = subprocess.run(
        ["bash", "scripts/backup.sh", str(tmp_path / "backups")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert backup.returncode == 0, backup.stderr
    backup_dir = Path(backup.stdout.strip().splitlines()[-1])
    assert (backup_dir / "database.dump").stat().st_size > 0

    restored_media = tmp_path / "restored-media"
    restored_media.mkdir()
    (restored_media / "stale.txt").write_text("left over")
    restore = subprocess.run(
        ["bash", "scripts/restore.sh", str(backup_dir)],
        cwd=ROOT,
        env=os.environ | {"DATABASE_URL": target, "MEDIA_ROOT": str(restored_media)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert restore.returncode == 0, restore.stderr

    assert psql(target, COUNTS) == psql(source, COUNTS) == "37/120"
    assert psql(target, "SELECT sum(credit_limit) FROM customer") == "703000.00"
    copy = restored_media / "documents" / "2026" / "营业执照.pdf"
    assert copy.read_bytes() == licence.read_bytes()
    assert not (restored_media / "stale.txt").exists()


def test_restore_refuses_a_damaged_backup(databases, tmp_path):
    source, target = databases
    psql(source, "CREATE TABLE t (id int); INSERT INTO t VALUES (1);")
    env = os.environ | {"DATABASE_URL": source, "MEDIA_ROOT": str(tmp_path / "none")}
    out = subprocess.run(
        ["bash", "scripts/backup.sh", str(tmp_path / "b")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    backup_dir = Path(out.stdout.strip().splitlines()[-1])
    with (backup_dir / "database.dump").open("ab") as dump:
        dump.write(b"garbage")
    restore = subprocess.run(
        ["bash", "scripts/restore.sh", str(backup_dir)],
        cwd=ROOT,
        env=os.environ | {"DATABASE_URL": target, "MEDIA_ROOT": str(tmp_path / "m")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert restore.returncode != 0
    assert psql(target, "SELECT count(*) FROM pg_tables WHERE tablename = 't'") == "0"
