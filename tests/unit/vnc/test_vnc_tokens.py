"""VNC console tokens: minted by compute, authorized and checked by
nova-vncproxy's manager, valid --vnc_token_ttl seconds for one instance."""

import pytest

from nova import exception
from nova import vnc
from nova.compute import manager_consoles
from nova.vnc import auth


class Clock(object):
    """A monotonic clock the test moves."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def ports(monkeypatch):
    """What compute says: instance id -> its current VNC port."""
    current = {}
    calls = []

    def fake_call(context, topic, msg, timeout=None):
        calls.append((topic, msg))
        assert msg['method'] == 'validate_vnc_console_port'
        args = msg['args']
        return current.get(args['instance_id']) == args['port']
    monkeypatch.setattr(auth.rpc, 'call', fake_call)
    return current, calls


@pytest.fixture
def mgr(clock):
    return auth.VNCProxyAuthManager(
        host='proxy1', tokens=auth.TokenStore(ttl=300, clock=clock))


def _authorize(mgr, token='tok-1', instance_id=1, port=5901):
    mgr.authorize_vnc_console(None, token=token, host='10.0.0.5', port=port,
                              instance_id=instance_id, compute_host='cn1')


def test_a_valid_token_unlocks_its_instance_only(mgr, ports):
    current, calls = ports
    current[1] = 5901
    _authorize(mgr)
    assert mgr.check_token(None, token='tok-1') == {
        'host': '10.0.0.5', 'port': 5901, 'instance_id': 1}
    assert calls[-1] == ('compute.cn1', {
        'method': 'validate_vnc_console_port',
        'args': {'instance_id': 1, 'port': 5901}})


def test_expired_token_is_refused_and_forgotten(mgr, ports, clock):
    ports[0][1] = 5901
    _authorize(mgr)
    clock.now += 299.9
    assert mgr.check_token(None, token='tok-1') is not None
    clock.now += 0.1
    assert mgr.check_token(None, token='tok-1') is None
    assert len(mgr.tokens) == 0
    # Reused later still: refused.
    clock.now += 3600
    assert mgr.check_token(None, token='tok-1') is None


def test_ttl_comes_from_the_flag(set_flags, clock):
    set_flags(vnc_token_ttl=5)
    store = auth.TokenStore(clock=clock)
    store.add('t', {'port': 1})
    clock.now += 5
    assert store.get('t') is None


def test_forged_and_malformed_tokens_are_refused(mgr, ports):
    ports[0][1] = 5901
    _authorize(mgr)
    for forged in ('tok-2', 'TOK-1', 'tok-1 ', '', None, 42, 'x' * 5000,
                   'tok-1\n', ['tok-1']):
        assert mgr.check_token(None, token=forged) is None, forged
    assert ports[1] == []


def test_token_of_an_instance_whose_port_went_to_another_is_refused(
        mgr, ports):
    current, _calls = ports
    current[1] = 5901
    _authorize(mgr, token='for-1', instance_id=1, port=5901)
    # Instance 1 is deleted; instance 2's guest now has port 5901.
    del current[1]
    current[2] = 5901
    assert mgr.check_token(None, token='for-1') is None


def test_compute_unreachable_means_refused(mgr, monkeypatch):
    def timeout(*_args, **_kwargs):
        raise exception.RpcTimeout(topic='compute.cn1', method='x')
    monkeypatch.setattr(auth.rpc, 'call', timeout)
    _authorize(mgr)
    assert mgr.check_token(None, token='tok-1') is None


def test_authorize_refuses_nonsense(mgr):
    for port in ('x', 0, 70000, None):
        with pytest.raises(exception.InvalidInput):
            _authorize(mgr, port=port)
    with pytest.raises(exception.InvalidInput):
        _authorize(mgr, token='x' * 500)


def test_purge_forgets_expired_tokens(mgr, clock, ports):
    _authorize(mgr, token='a')
    clock.now += 200
    _authorize(mgr, token='b')
    clock.now += 150
    mgr._purge_expired_tokens(None)
    assert len(mgr.tokens) == 1


def test_console_url_opens_novnc_with_the_token_path(set_flags):
    set_flags(vnc_console_proxy_url='http://proxy.example:6080/')
    url = vnc.console_url('abc-123')
    assert url == ('http://proxy.example:6080/vnc.html?autoconnect=1&'
                   'reconnect=0&path=websockify%3Ftoken%3Dabc-123')


class FakeDriver(object):
    def __init__(self, port):
        self.port = port

    def get_vnc_console(self, instance):
        if self.port is None:
            raise exception.ConsoleNotAvailable(instance_id=instance['id'],
                                                reason='none')
        return {'host': '192.0.2.9', 'port': self.port}


class FakeContext(object):
    def elevated(self):
        return self


class Consoles(manager_consoles.ConsoleMixin):
    host = 'cn1'

    def __init__(self, port):
        self.driver = FakeDriver(port)


@pytest.fixture
def instances(monkeypatch):
    rows = {1: {'id': 1, 'host': 'cn1'}, 2: {'id': 2, 'host': 'cn2'}}

    def instance_get(context, instance_id):
        if instance_id not in rows:
            raise exception.InstanceNotFound(instance_id=instance_id)
        return rows[instance_id]
    monkeypatch.setattr(manager_consoles.db, 'instance_get', instance_get)
    return rows


def test_compute_mints_a_fresh_token_per_request(instances):
    consoles = Consoles(5905)
    first = consoles.get_vnc_console(FakeContext(), instance_id=1)
    second = consoles.get_vnc_console(FakeContext(), instance_id=1)
    assert first['token'] != second['token'] and len(first['token']) == 36
    assert {k: v for k, v in first.items() if k != 'token'} == {
        'host': '192.0.2.9', 'port': 5905, 'instance_id': 1,
        'compute_host': 'cn1'}


def test_compute_validates_port_host_and_existence(instances):
    ctx = FakeContext()
    assert Consoles(5905).validate_vnc_console_port(ctx, 1, 5905)
    assert not Consoles(5906).validate_vnc_console_port(ctx, 1, 5905)
    assert not Consoles(5905).validate_vnc_console_port(ctx, 2, 5905)
    assert not Consoles(5905).validate_vnc_console_port(ctx, 3, 5905)
    assert not Consoles(None).validate_vnc_console_port(ctx, 1, 5905)
