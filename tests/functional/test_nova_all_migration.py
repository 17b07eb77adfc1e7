"""nova-all migrates its SQLite database in a short-lived child process.

The child's failure reaches the operator as nova-all's one line (exit
status 1, no traceback); a good database is migrated and nova-all keeps
no alembic resident.
"""

import os
import sqlite3
import subprocess
import sys

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))

pytestmark = [pytest.mark.functional, pytest.mark.timeout(120)]


def test_a_failed_migration_is_one_line(tmp_path):
    conn = sqlite3.connect(str(tmp_path / 'nova.sqlite'))
    conn.execute('CREATE TABLE alembic_version '
                 '(version_num VARCHAR(32) NOT NULL PRIMARY KEY)')
    conn.execute("INSERT INTO alembic_version VALUES ('999_unknown')")
    conn.commit()
    conn.close()
    proc = subprocess.run(
        [sys.executable, os.path.join(REPO, 'bin', 'nova-all'),
         '--state_path=%s' % tmp_path, '--logdir=%s' % tmp_path,
         '--ec2_listen=127.0.0.1', '--ec2_listen_port=0',
         '--osapi_listen=127.0.0.1', '--osapi_listen_port=0',
         '--s3_listen=127.0.0.1', '--s3_port=0', '--enabled_apis=ec2'],
        capture_output=True, text=True, cwd=REPO, timeout=90)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "nova-all: Database migration failed: Can't locate revision "
        "identified by '999_unknown'"]
    assert 'Traceback' not in proc.stdout


SYNC_ONLY = """
import sys
sys.path.insert(0, %r)
from nova.utils import concurrency
concurrency.monkey_patch()
from nova.utils import cmdline
cmdline.parse_args(['nova-all', '--state_path=%s', '--logdir=%s'])
from nova.cmd import all as nova_all
nova_all.sync_embedded_database()
print('alembic' in sys.modules)
"""


def test_the_migration_leaves_no_alembic_behind(tmp_path):
    proc = subprocess.run(
        [sys.executable, '-c', SYNC_ONLY % (REPO, tmp_path, tmp_path)],
        capture_output=True, text=True, cwd=REPO, timeout=90)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == 'False'
    conn = sqlite3.connect(str(tmp_path / 'nova.sqlite'))
    try:
        tables = {row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()
    assert {'instances', 'services', 'alembic_version'} <= tables
