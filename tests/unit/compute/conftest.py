"""Fixtures of the compute tests: a database, contexts, a fake image
service, a recording RPC and a compute manager on the fake driver."""

import pytest

from nova import context
from nova import exception
from nova import rpc
from nova.compute import api as _api  # noqa: F401 - defines flags
from nova.compute import manager as _manager  # noqa: F401 - ditto


class FakeImageService(object):
    """Images kept in a dict, as the image service's ``show`` returns them."""

    def __init__(self):
        self.images = {
            1: {'id': 1, 'name': 'machine', 'status': 'active',
                'container_format': 'ami', 'disk_format': 'ami',
                'properties': {'kernel_id': '2', 'ramdisk_id': '3',
                               'image_state': 'available',
                               'architecture': 'x86_64'}},
            2: {'id': 2, 'name': 'kernel', 'status': 'active',
                'container_format': 'aki', 'properties': {}},
            3: {'id': 3, 'name': 'ramdisk', 'status': 'active',
                'container_format': 'ari', 'properties': {}},
            4: {'id': 4, 'name': 'bare', 'status': 'active',
                'container_format': 'bare', 'properties': {}},
        }

    def show(self, ctxt, image_id):
        """The image dict; ImageNotFound-like NotFound when unknown."""
        try:
            return dict(self.images[int(image_id)])
        except (KeyError, TypeError, ValueError):
            raise exception.NotFound(message='Image %s could not be found.'
                                     % image_id)


class FakeNetworkAPI(object):
    """Hands out addresses from 10.0.0.0/24 and records the calls."""

    def __init__(self):
        self.allocated = {}
        self.calls = []
        self.fail_allocate = False

    def allocate_for_instance(self, ctxt, instance, **kwargs):
        self.calls.append(('allocate', instance['id']))
        if self.fail_allocate:
            raise exception.NovaException(message='no more addresses')
        address = '10.0.0.%d' % (len(self.allocated) + 2)
        self.allocated[instance['id']] = address
        return [({'bridge': 'br100', 'id': 1},
                 {'label': 'private', 'mac': '02:16:3e:00:00:01',
                  'ips': [{'ip': address, 'netmask': '255.255.255.0',
                           'enabled': '1'}]})]

    def deallocate_for_instance(self, ctxt, instance, **kwargs):
        self.calls.append(('deallocate', instance['id']))
        self.allocated.pop(instance['id'], None)

    def get_instance_nw_info(self, ctxt, instance):
        self.calls.append(('nw_info', instance['id']))
        return []


@pytest.fixture
def db_ready(sqlite_db, set_flags):
    set_flags(connection_type='fake', stub_network=False,
              instance_build_timeout=600)
    return sqlite_db


@pytest.fixture
def admin(db_ready):
    return context.get_admin_context()


@pytest.fixture
def user(db_ready):
    return context.RequestContext('alice', 'proj1', roles=['sysadmin'])


@pytest.fixture
def images():
    return FakeImageService()


@pytest.fixture
def network():
    return FakeNetworkAPI()


@pytest.fixture
def casts(monkeypatch):
    """Record rpc.cast/call instead of sending; ``calls`` answers calls."""
    sent = []
    replies = {}

    def cast(ctxt, topic, msg):
        sent.append((topic, msg['method'], msg.get('args', {})))

    def call(ctxt, topic, msg, timeout=None):
        sent.append((topic, msg['method'], msg.get('args', {})))
        return replies.get(msg['method'])

    monkeypatch.setattr(rpc, 'cast', cast)
    monkeypatch.setattr(rpc, 'call', call)
    return _Recorder(sent, replies)


class _Recorder(object):
    """What was sent: ``sent`` is a list of (topic, method, args)."""

    def __init__(self, sent, replies):
        self.sent = sent
        self.replies = replies

    def methods(self):
        return [method for _topic, method, _args in self.sent]


@pytest.fixture
def compute_api(images, network):
    from nova.compute import api
    return api.API(image_service=images, network_api=network)


@pytest.fixture
def compute(db_ready, network):
    from nova.compute import manager
    from nova.virt import fake
    mgr = manager.ComputeManager(compute_driver=fake.FakeConnection(),
                                 host='host1', network_api=network)
    return mgr
