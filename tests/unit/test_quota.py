"""nova.quota: defaults, per-project overrides, allowed_* arithmetic."""

from unittest import mock

import pytest

from nova import context
from nova import flags
from nova import quota

FLAGS = flags.FLAGS


@pytest.fixture
def fake_db():
    fake = mock.MagicMock()
    fake.quota_get_all_by_project.return_value = {}
    with mock.patch.object(quota, 'db', fake):
        yield fake
    for name in ('quota_instances', 'quota_cores'):
        FLAGS.reset(name)


def _ctx():
    return context.RequestContext('user', 'proj')


def test_diablo_defaults():
    assert quota.get_default_quotas() == {
        'instances': 10, 'cores': 20, 'ram': 51200, 'volumes': 10,
        'gigabytes': 1000, 'floating_ips': 10, 'metadata_items': 128,
        'injected_files': 5, 'injected_file_content_bytes': 10240}
    assert quota.allowed_injected_file_path_bytes(_ctx()) == 255


def test_overrides_and_unlimited(fake_db):
    FLAGS.set('quota_cores', -1)
    fake_db.quota_get_all_by_project.return_value = [
        {'resource': 'instances', 'hard_limit': 3},
        {'resource': 'ram', 'hard_limit': None}]
    quotas = quota.get_project_quotas(_ctx(), 'proj')
    assert quotas['instances'] == 3
    assert quotas['ram'] is None and quotas['cores'] is None
    fake_db.quota_get_all_by_project.return_value = {
        'project_id': 'proj', 'volumes': 1}
    assert quota.get_project_quotas(_ctx(), 'proj')['volumes'] == 1


def test_allowed_instances_takes_the_tightest_limit(fake_db):
    fake_db.instance_data_get_for_project.return_value = (8, 10, 2048)
    flavor = {'vcpus': 4, 'memory_mb': 2048}
    assert quota.allowed_instances(_ctx(), 5, flavor) == 2
    fake_db.instance_data_get_for_project.return_value = (0, 18, 0)
    assert quota.allowed_instances(_ctx(), 5, flavor) == 0
    fake_db.instance_data_get_for_project.return_value = (0, 0, 50000)
    assert quota.allowed_instances(_ctx(), 5, flavor) == 0


def test_allowed_volumes_and_ips(fake_db):
    fake_db.volume_data_get_for_project.return_value = (2, 990)
    assert quota.allowed_volumes(_ctx(), 1, 10) == 1
    assert quota.allowed_volumes(_ctx(), 1, 11) == 0
    fake_db.floating_ip_count_by_project.return_value = 9
    assert quota.allowed_floating_ips(_ctx(), 3) == 1


def test_metadata_and_injected_files(fake_db):
    quota.check_metadata(_ctx(), {'a': 'b'})
    with pytest.raises(quota.QuotaError) as info:
        quota.check_metadata(_ctx(), {str(i): 'x' for i in range(129)})
    assert info.value.ec2_code == 'MetadataLimitExceeded'
    with pytest.raises(quota.QuotaError):
        quota.check_metadata(_ctx(), {'k': 'v' * 256})
    quota.check_metadata(_ctx(), {'k': 'v' * 256}, check_lengths=False)
    quota.check_injected_files(_ctx(), [('/etc/motd', 'hi')])
    with pytest.raises(quota.QuotaError) as info:
        quota.check_injected_files(_ctx(), [('/f', 'x')] * 6)
    assert info.value.ec2_code == 'OnsetFileLimitExceeded'
    with pytest.raises(quota.QuotaError) as info:
        quota.check_injected_files(_ctx(), [('/' + 'p' * 255, 'x')])
    assert info.value.ec2_code == 'OnsetFilePathLimitExceeded'
    with pytest.raises(quota.QuotaError) as info:
        quota.check_injected_files(_ctx(), [('/f', 'x' * 10241)])
    assert info.value.ec2_code == 'OnsetFileContentLimitExceeded'
