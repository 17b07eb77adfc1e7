"""Diablo's server status mapping and the address views."""

import pytest

from nova.api.openstack.views import servers as views


@pytest.mark.parametrize('vm_state,task_state,status', [
    ('active', None, 'ACTIVE'), ('active', 'rebooting', 'REBOOT'),
    ('active', 'updating_password', 'PASSWORD'),
    ('active', 'resize_verify', 'VERIFY_RESIZE'),
    ('building', 'scheduling', 'BUILD'), ('rebuilding', None, 'REBUILD'),
    ('stopped', None, 'STOPPED'), ('migrating', None, 'MIGRATING'),
    ('resizing', 'resize_prep', 'RESIZE'), ('paused', None, 'PAUSED'),
    ('suspended', None, 'SUSPENDED'), ('rescued', None, 'RESCUE'),
    ('error', None, 'ERROR'), ('deleted', None, 'DELETED'),
    ('bogus', None, 'UNKNOWN_STATE'),
])
def test_status_from_state(vm_state, task_state, status):
    assert views.status_from_state(vm_state, task_state) == status


def test_states_from_status():
    assert views.states_from_status('reboot') == {
        'vm_state': 'active', 'task_state': 'rebooting'}
    assert views.states_from_status('BUILD') == {'vm_state': 'building'}
    assert views.states_from_status('nonsense') is None


def test_addresses():
    instance = {'fixed_ips': [{
        'address': '10.0.0.3', 'network': {'label': 'private'},
        'floating_ips': [{'address': '172.24.4.9'}]}]}
    assert views.addresses_v11(instance) == {'private': [
        {'addr': '10.0.0.3', 'version': 4},
        {'addr': '172.24.4.9', 'version': 4}]}
    assert views.addresses_v10(instance) == {
        'public': ['172.24.4.9'], 'private': ['10.0.0.3']}


def test_server_name_of_an_unnamed_instance():
    # An instance run through EC2 has no display name: Diablo's default.
    assert views.server_name({'id': 7, 'display_name': ''}) == 'Server 7'
    assert views.server_name({'id': 7, 'display_name': None}) == 'Server 7'
    assert views.server_name({'id': 7, 'display_name': 'web'}) == 'web'
