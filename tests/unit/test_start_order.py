"""Consumers start before listeners: no API port accepts a request before
the service queues of its process are declared and consumed."""

from nova import service
from tests.cmd_import import import_cmd

nova_all = import_cmd('all')


class _Listener(object):
    """Stands for an API or the S3 server: something with a port."""

    def __init__(self, name, log):
        self.name = name
        self.log = log

    def start(self):
        self.log.append(self.name)


class _Consumer(service.Service):
    """A Service whose start only records that it ran (no manager)."""

    def __init__(self, name, log):
        self.__dict__['manager'] = None
        self.name = name
        self.log = log

    def start(self):
        self.log.append(self.name)


def test_serve_starts_services_before_listeners(monkeypatch):
    monkeypatch.setattr(service, '_launched', [])
    log = []
    given = (_Listener('ec2', log), _Consumer('scheduler', log),
             _Listener('s3', log), _Consumer('compute', log))
    assert service.serve(*given) == given      # returned as given
    assert log == ['scheduler', 'compute', 'ec2', 's3']
    assert [s.name for s in service._launched] == log


def test_nova_all_builds_managers_first(monkeypatch, set_flags, tmp_path):
    made = []

    def create(binary=None, **_kwargs):
        made.append(binary)
        return _Consumer(binary, [])

    class FakeWsgi(object):
        def __init__(self, name):
            self.name = name

    class FakeS3(object):
        name = 's3'

    monkeypatch.setattr(service.Service, 'create', staticmethod(create))
    monkeypatch.setattr(service, 'WSGIService', FakeWsgi)
    monkeypatch.setattr(nova_all, '_OptionalS3', FakeS3)
    set_flags(enabled_apis=['ec2', 'osapi'], vnc_enabled=False)
    built = nova_all.build_services()
    names = [svc.name for svc in built]
    assert names[:4] == list(nova_all.SERVICE_BINARIES)
    assert names[4:] == ['ec2', 'osapi', 's3']
    assert service.start_order(built) == built

    # With --vnc_enabled and noVNC in --vncproxy_wwwroot: nova-vncproxy's
    # token manager among the consumers, its web side after the APIs.
    made[:] = []
    set_flags(vnc_enabled=True, vncproxy_wwwroot=str(tmp_path))
    assert [svc.name for svc in nova_all.build_services()][4:] == \
        ['ec2', 'osapi', 's3']
    (tmp_path / 'vnc.html').write_text('noVNC')
    built = nova_all.build_services()
    names = [svc.name for svc in built]
    assert names[4:] == ['nova-vncproxy', 'ec2', 'osapi', 's3',
                         'nova-vncproxy']
    assert isinstance(built[-1], nova_all._OptionalVNCProxy)
    assert service.start_order(built) == built
