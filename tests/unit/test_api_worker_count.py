"""nova.cmd._workers: when nova-api forks API workers, and what it refuses."""

import pytest

from nova import exception
from tests.cmd_import import import_cmd

_workers = import_cmd('_workers')


class _Api(object):
    def __init__(self, name, workers):
        self.name = name
        self.workers = workers


def test_one_process_unless_an_api_asks_for_more():
    assert not _workers.wanted([_Api('ec2', 1), _Api('osapi', 1)])
    assert _workers.wanted([_Api('ec2', 2), _Api('osapi', 1)])
    assert _workers.wanted([_Api('ec2', 1), _Api('osapi', 3)])


def test_fewer_than_one_worker_is_refused_by_name():
    with pytest.raises(exception.NovaException) as info:
        _workers.wanted([_Api('ec2', 1), _Api('osapi', 0)])
    assert str(info.value) == \
        'invalid --osapi_workers=0: at least 1 process is needed'
