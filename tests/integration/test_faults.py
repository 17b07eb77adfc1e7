"""No lost work: faults injected into a multi-process cloud.

nova-api, nova-scheduler, nova-network and two nova-compute run as OS
processes over a PRIVATE RabbitMQ node and a PRIVATE PostgreSQL cluster
that this module starts on its own ports and kills freely (the machine's
own services are never touched).  Each scenario launches instances through
boto3, injects one fault and asserts that every instance ends running,
none is lost, stuck or duplicated, and no answer carried a traceback.

Instance counts are scaled down for CI: 16 per scenario unless the
environment says otherwise.  ``N9_FAULT_INSTANCES`` sets them all; one
scenario's own variable wins over it: ``N9_FAULT_BROKER_INSTANCES`` (the
broker restart; the issue's size is 100), ``N9_FAULT_DATABASE_INSTANCES``,
``N9_FAULT_SIGKILL_INSTANCES`` and ``N9_FAULT_SIGTERM_INSTANCES`` (50
each), ``N9_FAULT_DAEMONS_INSTANCES`` (the SIGTERM of each other daemon).
Each scenario prints its figures as one JSON line (``pytest -s``) and
appends it to the file named by ``N9_FAULT_REPORT`` if set;
``tools/bench/faults.py`` runs the same faults with more figures.
"""

import datetime
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest

from tests.integration import private_services

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BIN = os.path.join(REPO, 'bin')
COUNT = int(os.environ.get('N9_FAULT_INSTANCES', '16'))


def scenario_size(name):
    """Instances a scenario boots: ``N9_FAULT_<NAME>_INSTANCES``, else
    ``N9_FAULT_INSTANCES``, else 16."""
    value = os.environ.get('N9_FAULT_%s_INSTANCES' % name.upper(), '')
    return int(value) if value.strip() else COUNT

pytestmark = [pytest.mark.integration, pytest.mark.rabbitmq,
              pytest.mark.postgresql, pytest.mark.timeout(600)]


class Cloud(object):
    """The daemons, started from one flagfile, and an EC2 client."""

    def __init__(self, tmp, broker, database):
        self.tmp = tmp
        self.broker = broker
        self.database = database
        self.port = private_services.free_port()
        self.flagfile = os.path.join(tmp, 'nova.conf')
        with open(self.flagfile, 'w') as conf:
            conf.write('\n'.join([
                '--state_path=%s' % os.path.join(tmp, 'state'),
                '--sql_connection=%s' % database.url,
                '--sql_max_retries=60',
                '--sql_retry_interval=1',
                '--rabbit_host=127.0.0.1',
                '--rabbit_port=%d' % broker.port,
                '--rabbit_retry_interval=1',
                '--rabbit_max_retry_interval=2',
                '--control_exchange=nova_n9_%s' % uuid.uuid4().hex[:8],
                '--connection_type=fake',
                '--network_manager=nova.network.manager.FlatManager',
                '--scheduler_driver=nova.scheduler.simple.SimpleScheduler',
                '--max_cores=1000',
                '--enabled_apis=ec2',
                '--ec2_listen=127.0.0.1',
                '--ec2_listen_port=%d' % self.port,
                '--api_paste_config=%s' % os.path.join(
                    REPO, 'etc', 'nova', 'api-paste.ini'),
                '--report_interval=1',
                '--outbox_poll_interval=1',
                '--logdir=%s' % tmp,
                '',
            ]))
        self.procs = {}
        self.client = None

    def manage(self, *words):
        proc = subprocess.run(
            [sys.executable, os.path.join(BIN, 'nova-manage'),
             '--flagfile=%s' % self.flagfile] + list(words),
            capture_output=True, text=True, timeout=120, cwd=REPO)
        assert proc.returncode == 0, (words, proc.stdout, proc.stderr)
        return proc.stdout

    def start(self, binary, host):
        proc = subprocess.Popen(
            [sys.executable, os.path.join(BIN, binary),
             '--flagfile=%s' % self.flagfile, '--host=%s' % host],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
        self.procs[(binary, host)] = proc
        return proc

    def restart_done(self, binary, host, since, seconds=120):
        """Wait until the service restarted at ``since`` (UTC) is running:
        its first heartbeat, which comes after its start-up
        (``init_host``: the guests found again and the database made to
        match) is later than ``since``."""
        def beat_after():
            out = self.manage('service', 'list', '--host=%s' % host,
                              '--service=%s' % binary)
            found = re.search(r':-\)\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)',
                              out)
            return bool(found) and datetime.datetime.strptime(
                found.group(1), '%Y-%m-%d %H:%M:%S') > since
        _wait(beat_after, seconds, '%s on %s to start again' % (binary,
                                                               host))

    def stop(self, binary, host, sig=signal.SIGTERM):
        proc = self.procs.pop((binary, host))
        proc.send_signal(sig)
        try:
            return proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait(10)

    def stop_all(self):
        for key in list(self.procs):
            self.stop(*key)

    def set_up(self):
        self.manage('db', 'sync')
        exports = self.manage('user', 'admin', 'alice')
        access = re.search(r'EC2_ACCESS_KEY=(\S+)', exports).group(1)
        secret = re.search(r'EC2_SECRET_KEY=(\S+)', exports).group(1)
        self.manage('project', 'create', 'wonderland', 'alice')
        self.manage('project', 'quota', 'wonderland', 'instances', '1000')
        self.manage('project', 'quota', 'wonderland', 'cores', '1000')
        self.manage('project', 'quota', 'wonderland', 'ram', '1000000')
        self.manage('network', 'create', 'private', '10.30.0.0/22', '1',
                    '1024')
        image = os.path.join(self.tmp, 'disk.img')
        with open(image, 'wb') as out:
            out.write(b'\0' * 4096)
        registered = self.manage('image', 'image_register', image,
                                 'wonderland')
        self.ami = 'ami-%s' % re.search(r'\((\w{8})\)',
                                        registered).group(1)
        for binary, host in (('nova-scheduler', 'ctl'),
                             ('nova-network', 'ctl'),
                             ('nova-compute', 'compute-a'),
                             ('nova-compute', 'compute-b'),
                             ('nova-api', 'ctl')):
            self.start(binary, host)
        _wait(self._all_up, 120, 'four services and the API')
        import boto3
        import botocore.config
        self.client = boto3.client(
            'ec2', endpoint_url='http://127.0.0.1:%d/services/Cloud'
            % self.port, region_name='nova',
            aws_access_key_id='%s:wonderland' % access,
            aws_secret_access_key=secret,
            config=botocore.config.Config(
                retries={'max_attempts': 1}, connect_timeout=5,
                read_timeout=30))
        self.answers = []
        self.client.meta.events.register('after-call.ec2', self._record)

    def _record(self, http_response, **_kwargs):
        self.answers.append((http_response.status_code,
                             http_response.content))

    def _all_up(self):
        rows = self.manage('service', 'list').splitlines()  # no header
        alive = [r for r in rows if ':-)' in r]
        return len(alive) >= 4 and private_services.reachable(self.port)

    # -- instances --------------------------------------------------------
    def launch(self, count, host=None):
        """Launch ``count`` instances (all on ``host`` if given: alice is
        an admin, who may force a host as ``nova:<host>``)."""
        extra = {}
        if host:
            extra['Placement'] = {'AvailabilityZone': 'nova:%s' % host}
        reply = self.client.run_instances(ImageId=self.ami,
                                          InstanceType='m1.tiny',
                                          MinCount=count, MaxCount=count,
                                          **extra)
        return [i['InstanceId'] for i in reply['Instances']]

    def states(self):
        found = {}
        for res in self.client.describe_instances()['Reservations']:
            for inst in res['Instances']:
                found[inst['InstanceId']] = (inst['State']['Name'],
                                             inst.get('PrivateIpAddress'))
        return found

    def settle(self, ids, seconds=None):
        """Wait until none of ``ids`` is pending; return their states.

        By default 150 s, or 3 s an instance for large boots.
        """
        if seconds is None:
            seconds = max(150, 3 * len(ids))
        deadline = time.time() + seconds
        states = {}
        while time.time() < deadline:
            try:
                states = self.states()
            except Exception:  # noqa: BLE001 - a fault may still be on
                time.sleep(1)
                continue
            mine = dict((i, states.get(i, ('missing', None))) for i in ids)
            if all(s[0] != 'pending' for s in mine.values()):
                return mine
            time.sleep(1)
        return dict((i, states.get(i, ('missing', None))) for i in ids)

    def clean_up(self, ids):
        if ids:
            self.client.terminate_instances(InstanceIds=ids)
        _wait(lambda: not [i for i, s in self.states().items()
                           if s[0] != 'terminated'], max(120, 2 * len(ids)),
              'instances to go')

    def guests(self):
        """``{guest name: [(host, power state)]}`` over both fake
        hypervisors (a file a guest under --state_path)."""
        found = {}
        folder = os.path.join(self.tmp, 'state', 'fake-hypervisor')
        for host in ('compute-a', 'compute-b'):
            try:
                names = sorted(os.listdir(os.path.join(folder, host)))
            except FileNotFoundError:
                continue
            for name in names:
                if name.startswith('.') or not name.endswith('.json'):
                    continue
                try:
                    with open(os.path.join(folder, host, name)) as handle:
                        guest = json.load(handle)
                except FileNotFoundError:   # destroyed meanwhile
                    continue
                found.setdefault(guest['name'], []).append(
                    (host, guest['state']))
        return found


def _wait(predicate, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if predicate():
                return True
        except Exception:  # noqa: BLE001 - not yet
            pass
        time.sleep(0.5)
    raise AssertionError('timed out waiting for %s' % what)


#: nova.virt.power_state.RUNNING, as the fake hypervisor's files hold it.
_RUNNING = 1


def _guest_name(ec2_id):
    """``i-0000002a`` -> ``instance-0000002a`` (--instance_name_template)."""
    return 'instance-%08x' % int(ec2_id.split('-', 1)[1], 16)


def _report(scenario, ids, states, started, guests=None):
    """Print the scenario's figures as a JSON line (and append it to
    $N9_FAULT_REPORT)."""
    counts = {}
    for state, _address in states.values():
        counts[state] = counts.get(state, 0) + 1
    duplicates = 0
    if guests is not None:
        duplicates = sum(len(guests.get(_guest_name(i), [])) > 1
                         for i in ids)
    line = json.dumps({
        'scenario': scenario, 'instances': len(ids),
        'running': counts.get('running', 0),
        'error': sum(n for s, n in counts.items()
                     if s not in ('running', 'pending', 'missing')),
        'pending': counts.get('pending', 0),
        'missing': counts.get('missing', 0),
        'duplicates': duplicates,
        'seconds': round(time.monotonic() - started, 1)}, sort_keys=True)
    print(line)
    target = os.environ.get('N9_FAULT_REPORT')
    if target:
        with open(target, 'a') as out:
            out.write(line + '\n')


def _assert_no_loss(cloud, ids, states):
    """All running, one address each, nothing extra, no traceback, and
    each instance a guest of exactly one hypervisor."""
    bad = dict((i, s) for i, s in states.items() if s[0] != 'running')
    assert not bad, bad
    guests = cloud.guests()
    twice = dict((i, guests.get(_guest_name(i))) for i in ids
                 if len(guests.get(_guest_name(i), [])) != 1)
    assert not twice, twice              # no guest lost or duplicated
    off = dict((i, guests[_guest_name(i)]) for i in ids
               if guests[_guest_name(i)][0][1] != _RUNNING)
    assert not off, off
    addresses = [s[1] for s in states.values()]
    assert len(set(addresses)) == len(ids), addresses
    everything = cloud.states()
    extra = [i for i, s in everything.items()
             if i not in ids and s[0] != 'terminated']
    assert extra == [], extra            # no duplicate instance
    for status, body in cloud.answers:
        assert b'Traceback' not in body, body[:500]
        assert status in (200, 503), (status, body[:500])


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    for reason in (private_services.rabbitmq_missing(),
                   private_services.postgresql_missing()):
        if reason:
            pytest.skip(reason)
    tmp = str(tmp_path_factory.mktemp('faults'))
    os.chmod(tmp, 0o755)
    broker = private_services.PrivateRabbit()
    database = private_services.PrivatePostgres()
    the_cloud = None
    try:
        broker.start()
        database.start()
        database.create_database()
        the_cloud = Cloud(tmp, broker, database)
        the_cloud.set_up()
        yield the_cloud
    finally:
        if the_cloud is not None:
            the_cloud.stop_all()
        broker.destroy()
        database.destroy()


def test_broker_killed_and_restarted_mid_boot(cloud):
    cloud.answers = []
    started = time.monotonic()
    ids = cloud.launch(scenario_size('broker'))
    time.sleep(1)
    cloud.broker.kill()
    time.sleep(2)
    cloud.broker.start()
    states = cloud.settle(ids)
    _report('broker_restart', ids, states, started, cloud.guests())
    _assert_no_loss(cloud, ids, states)
    cloud.clean_up(ids)


def test_api_answers_fast_while_the_broker_is_down(cloud):
    """The broker down for N9_FAULT_OUTAGE seconds (60, as the issue): a
    launch and a DescribeInstances every 10 s of it each answer within
    5 s; once the broker is back every instance runs, none twice."""
    outage = float(os.environ.get('N9_FAULT_OUTAGE', '60'))
    cloud.answers = []
    started = time.monotonic()
    ids, slowest = [], 0.0
    cloud.broker.stop()
    try:
        while True:
            start = time.monotonic()
            ids += cloud.launch(2)
            slowest = max(slowest, time.monotonic() - start)
            start = time.monotonic()
            listed = cloud.states()
            slowest = max(slowest, time.monotonic() - start)
            assert set(ids) <= set(listed)
            if time.monotonic() - started + 10 > outage:
                break
            time.sleep(10 - (time.monotonic() - started) % 10)
        time.sleep(max(0.0, outage - (time.monotonic() - started)))
    finally:
        cloud.broker.start()
    assert slowest < 5, slowest
    states = cloud.settle(ids)
    _report('broker_down', ids, states, started, cloud.guests())
    _assert_no_loss(cloud, ids, states)
    cloud.clean_up(ids)


def test_database_restarted_mid_boot(cloud):
    cloud.answers = []
    started = time.monotonic()
    ids = cloud.launch(scenario_size('database'))
    codes = []
    stop = threading.Event()

    def describe_in_a_loop():
        import botocore.exceptions
        while not stop.is_set():
            try:
                cloud.client.describe_instances()
                codes.append(200)
            except botocore.exceptions.ClientError as exc:
                codes.append(exc.response['Error']['Code'])
            except Exception as exc:  # noqa: BLE001 - recorded
                codes.append(type(exc).__name__)
            time.sleep(0.2)

    poller = threading.Thread(target=describe_in_a_loop)
    poller.start()
    try:
        time.sleep(1)
        cloud.database.stop('fast')
        time.sleep(5)
        cloud.database.start()
        time.sleep(2)
    finally:
        stop.set()
        poller.join(60)
    assert set(codes) <= {200, 'ServiceUnavailable'}, codes
    assert 'ServiceUnavailable' in codes, codes
    for status, body in cloud.answers:
        if status == 503:
            assert b'<RequestID>req-' in body, body
    states = cloud.settle(ids)
    _report('database_restart', ids, states, started, cloud.guests())
    _assert_no_loss(cloud, ids, states)
    cloud.clean_up(ids)


def test_compute_sigkilled_mid_boot_and_restarted(cloud):
    """The builds a SIGKILLed compute held (unacknowledged, or half-done in
    the database) are taken up again when it comes back; the guests it had
    finished are still there (the fake hypervisor keeps them, as a real
    one keeps its domains while nova-compute is away)."""
    cloud.answers = []
    started = time.monotonic()
    ids = cloud.launch(scenario_size('sigkill'))
    cloud.stop('nova-compute', 'compute-b', signal.SIGKILL)
    time.sleep(1)
    since = _utcnow()
    cloud.start('nova-compute', 'compute-b')
    cloud.restart_done('nova-compute', 'compute-b', since)
    states = cloud.settle(ids)
    _report('compute_sigkill', ids, states, started, cloud.guests())
    _assert_no_loss(cloud, ids, states)
    cloud.clean_up(ids)


def _utcnow():
    """Now in UTC, to the second below (as the services table keeps it)."""
    return datetime.datetime.now(datetime.timezone.utc).replace(
        tzinfo=None, microsecond=0)


def _busy(cloud, host, ids, seconds=60):
    """Wait until ``host`` (any compute host if None) has made a guest of
    one of ``ids`` (it is busy building them); returns how many of ``ids``
    no hypervisor had yet."""
    names = set(_guest_name(i) for i in ids)
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            guests = cloud.guests()
        except ValueError:          # never half-written, but be safe
            guests = {}
        if any(host in (None, h) for name in names
               for h, _state in guests.get(name, [])):
            return len(names - set(guests))
        time.sleep(0.02)
    raise AssertionError('%s built none of %s' % (host, ids))


def test_compute_sigtermed_while_busy_and_restarted(cloud):
    """Each nova-compute in turn is SIGTERMed while it builds (half of the
    instances are launched before each), then started again: every
    instance ends running, none in error, none twice.

    The guests it finished survive the restart (a restart of nova-compute
    is not a boot of the host); builds it had taken but not finished are
    taken up again (redelivered, or resumed from the database).
    """
    cloud.answers = []
    started = time.monotonic()
    size = scenario_size('sigterm')
    ids = []
    pending_at_stop = []
    try:
        for n, host in enumerate(('compute-b', 'compute-a')):
            # Each batch goes to the compute about to be stopped.
            batch = cloud.launch(size // 2 if n == 0 else size - size // 2,
                                 host=host)
            ids.extend(batch)
            pending_at_stop.append(_busy(cloud, host, batch))
            code = cloud.stop('nova-compute', host, signal.SIGTERM)
            assert code == 0, (host, code)          # a clean stop
            since = _utcnow()
            cloud.start('nova-compute', host)
            # Judged once the restarted compute has found its guests again.
            cloud.restart_done('nova-compute', host, since)
        states = cloud.settle(ids)
        _report('compute_sigterm', ids, states, started, cloud.guests())
        print('instances not yet built when each compute was stopped: %s'
              % pending_at_stop)
        _assert_no_loss(cloud, ids, states)
    finally:
        cloud.clean_up(ids)


@pytest.mark.parametrize('binary', ['nova-scheduler', 'nova-network',
                                    'nova-api'])
def test_other_daemon_sigtermed_while_busy_and_restarted(cloud, binary):
    """nova-scheduler, nova-network or nova-api SIGTERMed while a boot is
    under way (the first guest made), then started again: a clean exit,
    and every instance ends running, none in error, none twice."""
    cloud.answers = []
    started = time.monotonic()
    ids = cloud.launch(scenario_size('daemons'))
    try:
        not_built = _busy(cloud, None, ids)
        code = cloud.stop(binary, 'ctl', signal.SIGTERM)
        assert code == 0, (binary, code)            # a clean stop
        since = _utcnow()
        cloud.start(binary, 'ctl')
        if binary == 'nova-api':
            _wait(lambda: private_services.reachable(cloud.port), 60,
                  'nova-api to listen again')
        else:
            cloud.restart_done(binary, 'ctl', since)
        states = cloud.settle(ids)
        _report('%s_sigterm' % binary.split('-')[1], ids, states, started,
                cloud.guests())
        print('instances not yet built when %s was stopped: %d'
              % (binary, not_built))
        _assert_no_loss(cloud, ids, states)
    finally:
        cloud.clean_up(ids)
