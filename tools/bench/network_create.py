#!/usr/bin/env python3
"""``network create`` of a big range against a raw SQLite executemany.

Creates one network of ``--cidr`` (default a /12: 1,048,576 fixed IPs)
with nova's FlatDHCPManager.create_networks (what ``nova-manage network
create`` runs, progress callback included) in a fresh SQLite database, then
inserts the same rows (same columns and values) into the fixed_ips table of
a second fresh database with one raw ``sqlite3`` executemany, in the same
run.  Deleting is measured the same way (``delete_network`` against a raw
``DELETE``).  Prints JSON; ``create_ratio`` and ``delete_ratio`` are
nova / raw (target <= 2).

    python tools/bench/network_create.py [--cidr 10.0.0.0/12]
"""

import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, ROOT)

import argparse  # noqa: E402
import datetime  # noqa: E402
import ipaddress  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from nova import context  # noqa: E402
from nova import flags  # noqa: E402

FLAGS = flags.FLAGS


def _fresh_db(path):
    from nova.db import migration
    from nova.db.sqlalchemy import session
    FLAGS.set('sql_connection', 'sqlite:///%s' % path)
    session.reset()
    migration.db_sync()


def bench_nova(directory, cidr):
    """Seconds to create and to delete the network through nova."""
    import nova.db.api  # noqa: F401
    from nova.network import manager
    _fresh_db(os.path.join(directory, 'nova.sqlite'))
    FLAGS.set('fake_network', True)
    net_manager = manager.FlatDHCPManager(host='bench')
    ctxt = context.get_admin_context()
    size = ipaddress.ip_network(cidr).num_addresses
    updates = []
    start = time.perf_counter()
    [network] = net_manager.create_networks(
        ctxt, 'bench', cidr, num_networks=1, network_size=size,
        progress=lambda done, total: updates.append(done))
    created = time.perf_counter() - start
    start = time.perf_counter()
    net_manager.delete_network(ctxt, cidr)
    deleted = time.perf_counter() - start
    return created, deleted, network['id'], len(updates)


def bench_raw(directory, cidr, network_id):
    """Seconds of a raw executemany and DELETE of the same rows."""
    from nova.db.sqlalchemy import session
    path = os.path.join(directory, 'raw.sqlite')
    _fresh_db(path)
    session.reset()
    net = ipaddress.ip_network(cidr)
    first, size = int(net.network_address), net.num_addresses
    now = datetime.datetime.utcnow().isoformat(' ')
    start = time.perf_counter()
    rows = [(now, False, False, False, index < 2 or index >= size - 1,
             network_id, str(ipaddress.IPv4Address(first + index)))
            for index in range(size)]
    conn = sqlite3.connect(path)
    conn.executemany(
        'INSERT INTO fixed_ips (created_at, deleted, allocated, leased, '
        'reserved, network_id, address) VALUES (?, ?, ?, ?, ?, ?, ?)', rows)
    conn.commit()
    created = time.perf_counter() - start
    start = time.perf_counter()
    conn.execute('DELETE FROM fixed_ips WHERE network_id = ?', (network_id,))
    conn.commit()
    deleted = time.perf_counter() - start
    conn.close()
    return created, deleted


def main():
    """Run both and print the JSON figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--cidr', default='10.0.0.0/12')
    options = parser.parse_args()
    directory = tempfile.mkdtemp(prefix='bench-netcreate-')
    try:
        FLAGS.set('state_path', directory)
        nova_create, nova_delete, network_id, updates = bench_nova(
            directory, options.cidr)
        raw_create, raw_delete = bench_raw(directory, options.cidr,
                                           network_id)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    size = ipaddress.ip_network(options.cidr).num_addresses
    print(json.dumps({
        'cidr': options.cidr, 'fixed_ips': size,
        'nova_create_s': round(nova_create, 3),
        'raw_executemany_s': round(raw_create, 3),
        'create_ratio': round(nova_create / raw_create, 2),
        'nova_delete_s': round(nova_delete, 3),
        'raw_delete_s': round(raw_delete, 3),
        'delete_ratio': round(nova_delete / raw_delete, 2),
        'progress_updates': updates,
        'target_ratio': 2.0}, indent=2))


if __name__ == '__main__':
    main()
