#!/usr/bin/env python3
"""Fault injection at full size: one JSON line per scenario.

Starts a PRIVATE RabbitMQ node and PostgreSQL cluster (never the machine's
own), nova-api, scheduler, network and two nova-compute processes (see
``tests/integration/test_faults.py``), then for each scenario launches
instances, injects the fault and prints: running, error, lost (missing),
stuck (still pending), duplicates (live instances nobody launched, or two
sharing an address), seconds to recover (from the end of the fault until
nothing is pending) and the longest API answer during the outage.

    python tools/bench/faults.py [--instances 100] [--scenarios a,b]

Scenarios: broker_restart (100 booting, broker killed 1 s in and restarted),
broker_down (API calls while the broker is down for --outage seconds),
compute_sigkill (50 booting, one compute SIGKILLed and restarted),
database_restart (50 booting, PostgreSQL down 5 s, DescribeInstances in a
loop), compute_sigterm (50 booting, each compute SIGTERMed and restarted).
"""

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, ROOT)

from tests.integration import private_services  # noqa: E402
from tests.integration.test_faults import (  # noqa: E402
    Cloud, _guest_name, _utcnow)


class Probe(object):
    """DescribeInstances in a loop: the longest answer and error codes."""

    def __init__(self, cloud):
        self.cloud = cloud
        self.longest = 0.0
        self.codes = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self):
        while not self._stop.is_set():
            start = time.monotonic()
            try:
                self.cloud.client.describe_instances()
                code = '200'
            except Exception as exc:  # noqa: BLE001 - counted
                code = getattr(exc, 'response', {}).get('Error', {}).get(
                    'Code') or type(exc).__name__
            self.longest = max(self.longest, time.monotonic() - start)
            self.codes[code] = self.codes.get(code, 0) + 1
            time.sleep(0.2)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_exc):
        self._stop.set()
        self._thread.join(120)


def _figures(cloud, name, ids, fault_end, probe=None, **extra):
    states = cloud.settle(ids, seconds=300)
    recovered = time.monotonic() - fault_end
    everything = cloud.states()
    counts = {'running': 0, 'error': 0, 'lost': 0, 'stuck': 0}
    for state, _address in states.values():
        if state == 'running':
            counts['running'] += 1
        elif state == 'error':
            counts['error'] += 1
        elif state == 'pending':
            counts['stuck'] += 1
        else:
            counts['lost'] += 1
    addresses = [s[1] for s in states.values() if s[1]]
    extra_live = [i for i, s in everything.items()
                  if i not in ids and s[0] != 'terminated']
    tracebacks = sum(1 for _status, body in cloud.answers
                     if b'Traceback' in body)
    guests = cloud.guests()
    extra['guests_twice'] = sum(
        len(guests.get(_guest_name(i), [])) > 1 for i in ids)
    line = dict(scenario=name, instances=len(ids),
                duplicates=len(extra_live) + len(addresses) -
                len(set(addresses)),
                seconds_to_recover=round(recovered, 1),
                longest_api_answer_s=round(probe.longest, 2) if probe
                else None, api_codes=probe.codes if probe else None,
                tracebacks=tracebacks, **counts)
    line.update(extra)
    print(json.dumps(line), flush=True)
    cloud.clean_up(ids)


def broker_restart(cloud, count, args):
    cloud.answers = []
    ids = cloud.launch(count)
    time.sleep(1)
    with Probe(cloud) as probe:
        cloud.broker.kill()
        time.sleep(2)
        cloud.broker.start()
        end = time.monotonic()
    _figures(cloud, 'broker_restart', ids, end, probe)


def broker_down(cloud, count, args):
    cloud.answers = []
    cloud.broker.stop()
    ids = []
    with Probe(cloud) as probe:
        start = time.monotonic()
        longest_launch = 0.0
        while time.monotonic() - start < args.outage:
            began = time.monotonic()
            ids += cloud.launch(max(1, count // 10))
            longest_launch = max(longest_launch, time.monotonic() - began)
            time.sleep(args.outage / 5.0)
        cloud.broker.start()
        end = time.monotonic()
    _figures(cloud, 'broker_down', ids, end, probe,
             outage_s=args.outage, longest_launch_s=round(longest_launch, 2))


def _restart(cloud, host, sig):
    """Stop a compute with ``sig`` and start it again; returns once it
    has finished its start-up (first heartbeat after the restart)."""
    cloud.stop('nova-compute', host, sig)
    since = _utcnow()
    cloud.start('nova-compute', host)
    cloud.restart_done('nova-compute', host, since)


def compute_sigkill(cloud, count, args):
    cloud.answers = []
    ids = cloud.launch(count)
    time.sleep(1)
    _restart(cloud, 'compute-b', signal.SIGKILL)
    end = time.monotonic()
    _figures(cloud, 'compute_sigkill', ids, end)


def compute_sigterm(cloud, count, args):
    cloud.answers = []
    ids = cloud.launch(count)
    time.sleep(1)
    for host in ('compute-a', 'compute-b'):
        _restart(cloud, host, signal.SIGTERM)
    end = time.monotonic()
    _figures(cloud, 'compute_sigterm', ids, end)


def database_restart(cloud, count, args):
    cloud.answers = []
    ids = cloud.launch(count)
    with Probe(cloud) as probe:
        time.sleep(1)
        cloud.database.stop('fast')
        time.sleep(5)
        cloud.database.start()
        end = time.monotonic()
        time.sleep(2)
    _figures(cloud, 'database_restart', ids, end, probe)


SCENARIOS = {'broker_restart': (broker_restart, 1.0),
             'broker_down': (broker_down, 1.0),
             'compute_sigkill': (compute_sigkill, 0.5),
             'database_restart': (database_restart, 0.5),
             'compute_sigterm': (compute_sigterm, 0.5)}


def main():
    """Run the scenarios and print one JSON line each."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--instances', type=int, default=100)
    parser.add_argument('--outage', type=float, default=60)
    parser.add_argument('--scenarios', default=','.join(SCENARIOS))
    args = parser.parse_args()
    for reason in (private_services.rabbitmq_missing(),
                   private_services.postgresql_missing()):
        if reason:
            raise SystemExit('faults bench: %s' % reason)
    tmp = tempfile.mkdtemp(prefix='n9-faults-')
    os.chmod(tmp, 0o755)
    broker = private_services.PrivateRabbit()
    database = private_services.PrivatePostgres()
    cloud = None
    try:
        broker.start()
        database.start()
        database.create_database()
        cloud = Cloud(tmp, broker, database)
        cloud.set_up()
        for name in args.scenarios.split(','):
            func, share = SCENARIOS[name]
            func(cloud, max(1, int(args.instances * share)), args)
    finally:
        if cloud is not None:
            cloud.stop_all()
        broker.destroy()
        database.destroy()


if __name__ == '__main__':
    main()
