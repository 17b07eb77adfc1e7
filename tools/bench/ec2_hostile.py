#!/usr/bin/env python3
"""DescribeRegions latency with and without hostile unauthenticated traffic.

The cloud runs in a child process as nova-all runs it (see ``boot.py``).  This
process measures a loop of signed DescribeRegions calls (SigV4, raw HTTP)
alone, then again while a second thread keeps sending hostile unsigned
requests: a 316 KB body of 40,000 parameters (quadratic to parse before the
fix), a name of 1,000 ``.1`` parts (RecursionError before the fix) and bodies
over ``--max_request_body_size``.  Prints JSON: p50/p99 of both loops, their
ratio (target: p99 under load <= 3 x p99 alone, and <= 250 ms), and the
status codes and latencies of the hostile requests.

    python tools/bench/ec2_hostile.py [--calls 300]
"""

import argparse
import http.client
import json
import os
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import boot  # noqa: E402 - the cloud child process of the boot bench


def _signed_describe_regions(endpoint, access, secret):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    body = 'Action=DescribeRegions&Version=2016-11-15'
    request = AWSRequest(method='POST', url=endpoint, data=body, headers={
        'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'})
    SigV4Auth(Credentials(access, secret), 'ec2', 'nova').add_auth(request)
    prepared = request.prepare()
    return body.encode(), dict(prepared.headers)


def _post(port, body, headers, timeout=120):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=timeout)
    try:
        conn.request('POST', '/services/Cloud', body=body, headers=headers)
        reply = conn.getresponse()
        reply.read()
        return reply.status
    finally:
        conn.close()


def _percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def _loop(cloud, port, calls):
    times = []
    for _ in range(calls):
        body, headers = _signed_describe_regions(cloud.endpoint,
                                                 *cloud.credentials)
        start = time.perf_counter()
        status = _post(port, body, headers)
        times.append(time.perf_counter() - start)
        if status != 200:
            raise RuntimeError('DescribeRegions answered %s' % status)
    return {'p50_ms': round(statistics.median(times) * 1000, 2),
            'p99_ms': round(_percentile(times, 0.99) * 1000, 2),
            'max_ms': round(max(times) * 1000, 2)}


HOSTILE = {
    'forty_thousand_params': ('Action=DescribeRegions&' + '&'.join(
        'Filter.%d.Value.1=x' % i for i in range(40000))).encode(),
    'thousand_dot_one_name': ('Action=DescribeRegions&Filter' + '.1' * 1000 +
                              '=x').encode(),
    'two_mib_body': b'Action=DescribeRegions&X=' + b'a' * (2 * 1024 * 1024),
}


def _hostile(port, stop, record):
    form = {'Content-Type': 'application/x-www-form-urlencoded'}
    while not stop.is_set():
        for name, body in HOSTILE.items():
            start = time.perf_counter()
            try:
                status = _post(port, body, form)
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
            record.setdefault(name, []).append(
                (status, time.perf_counter() - start))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--calls', type=int, default=300)
    args = parser.parse_args()
    cloud = boot.Cloud(1)
    try:
        port = int(cloud.endpoint.split(':')[2].split('/')[0])
        _loop(cloud, port, 20)  # warm up
        alone = _loop(cloud, port, args.calls)
        stop = threading.Event()
        record = {}
        thread = threading.Thread(target=_hostile, args=(port, stop, record))
        thread.start()
        time.sleep(0.2)
        loaded = _loop(cloud, port, args.calls)
        stop.set()
        thread.join(120)
    finally:
        cloud.close()
    hostile = {}
    for name, samples in record.items():
        statuses = {}
        for status, _seconds in samples:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        hostile[name] = {
            'count': len(samples), 'statuses': statuses,
            'p50_ms': round(statistics.median(s for _st, s in samples) *
                            1000, 2),
            'max_ms': round(max(s for _st, s in samples) * 1000, 2)}
    ratio = loaded['p99_ms'] / alone['p99_ms'] if alone['p99_ms'] else None
    report = {
        'benchmark': 'DescribeRegions p99 beside hostile unsigned requests',
        'calls': args.calls, 'alone': alone, 'under_hostile_load': loaded,
        'p99_ratio': round(ratio, 2) if ratio else None,
        'hostile': hostile,
        'target': 'p99 ratio <= 3 and p99 under load <= 250 ms; hostile '
                  'requests answered 400/413',
        'ok': bool(ratio is not None and ratio <= 3 and
                   loaded['p99_ms'] <= 250 and all(
                       set(h['statuses']) <= {'400', '413'}
                       for h in hostile.values())),
    }
    print(json.dumps(report, indent=2))
    return 0 if report['ok'] else 1


if __name__ == '__main__':
    sys.exit(main())
