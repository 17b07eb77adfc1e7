"""The VSA schedulers decide as Diablo 2011.3's nova/scheduler/vsa.py did,
over a table of drive QoS groups volume hosts reported."""

import pytest

from nova import db
from nova import exception
from nova.scheduler import host_states
from nova.scheduler import manager
from nova.scheduler import multi  # noqa: F401 - its flags
from nova.scheduler import vsa
from nova.vsa import drive_types

GB = 1 << 30


def _group(drive_type='SATA', drive_gb=1000, total=10, free=10,
           part_gb=0, free_parts=0, used_parts=0):
    """A QoS group as the Zadara back end reported it."""
    return {'DriveType': drive_type, 'DriveCapacity': drive_gb * GB,
            'TotalDrives': total, 'TotalCapacity': total * drive_gb * GB,
            'AvailableCapacity': (free * drive_gb + free_parts * part_gb)
            * GB,
            'FullDrive': {'NumFreeDrives': free,
                          'NumOccupiedDrives': total - free},
            'PartitionDrive': {'PartitionSize': part_gb * GB,
                               'NumFreePartitions': free_parts,
                               'NumOccupiedPartitions': used_parts}}


@pytest.fixture
def sched(ctxt, casts):
    """A least-used-host VSA scheduler with an empty host state table."""
    driver = vsa.VsaSchedulerLeastUsedHost()
    driver.set_host_states(host_states.HostStates())
    return driver


def _report(driver, make_service, table):
    """Each host of ``{host: {group: values}}`` runs nova-volume and
    reported those groups."""
    for host, groups in table.items():
        make_service(host, topic='volume')
        driver.host_states.update('volume', host,
                                  {'drive_qos_info': groups})


SATA_1T = {'name': 'SATA_1000GB_7200RPM', 'type': 'SATA', 'size': 1000,
           'rpm': '7200'}


# -- matching ------------------------------------------------------------------
@pytest.mark.parametrize('reported_type,reported_gb,matches', [
    ('SATA', 1000, True),
    ('sata', 1000, True),          # names compared in any case
    ('SAS', 1000, False),
    ('SATA', 900, True),           # within 10 %
    ('SATA', 1100, True),
    ('SATA', 899, False),
    ('SATA', 1101, False),
])
def test_qos_group_match(reported_type, reported_gb, matches):
    group = _group(reported_type, reported_gb)
    assert vsa.qosgrp_match(SATA_1T, group) is matches


def test_qos_group_missing_key_does_not_match():
    group = _group()
    del group['DriveCapacity']
    assert not vsa.qosgrp_match(SATA_1T, group)


def test_approximation_percent_flag(set_flags):
    set_flags(drive_type_approx_capacity_percent=20)
    assert vsa.qosgrp_match(SATA_1T, _group(drive_gb=800))
    assert not vsa.qosgrp_match(SATA_1T, _group(drive_gb=799))


# -- the choices ---------------------------------------------------------------
# host -> groups; used capacity (TotalCapacity - AvailableCapacity) summed:
#   h1: 8 drives of 1000 GB used, 2 free;  h2: 3 used, 7 free (least used)
#   h3: no SATA group (SSD only);          h4: SATA full, none free
TABLE = {
    'h1': {'sata': _group(free=2)},
    'h2': {'sata': _group(free=7)},
    'h3': {'ssd': _group('SSD', 200, total=4, free=4)},
    'h4': {'sata': _group(free=0)},
}


def _choose(driver, size, hosts, selected=None, unique=True):
    spec = {'size': size, 'drive_type': SATA_1T}
    return driver.host_selection_algorithm(spec, hosts, selected or [],
                                           unique)


def test_filter_keeps_up_hosts_with_the_drive_type_and_capacity(
        ctxt, sched, make_service):
    _report(sched, make_service, TABLE)
    make_service('h5', topic='volume', up=False)
    sched.host_states.update('volume', 'h5',
                             {'drive_qos_info': {'sata': _group()}})
    hosts = sched._filter_hosts(ctxt, 'volume',
                                {'size': 0, 'drive_type': SATA_1T})
    assert [host for host, _caps in hosts] == ['h1', 'h2']


def test_least_used_host_full_drive(ctxt, sched, make_service):
    _report(sched, make_service, TABLE)
    hosts = sched._filter_hosts(ctxt, 'volume',
                                {'size': 0, 'drive_type': SATA_1T})
    host, group = _choose(sched, 0, hosts)
    assert host == 'h2'
    assert group is TABLE['h2']['sata']


def test_least_used_counts_every_group_of_the_host():
    driver = vsa.VsaSchedulerLeastUsedHost.__new__(
        vsa.VsaSchedulerLeastUsedHost)
    # h1 has more free SATA drives but its SAS group is all used.
    hosts = [('h1', {'sata': _group(free=9),
                     'sas': _group('SAS', 1000, total=10, free=0)}),
             ('h2', {'sata': _group(free=5)})]
    assert _choose(driver, 0, hosts)[0] == 'h2'


def test_most_available_capacity_full_drive_counts_free_drives():
    driver = vsa.VsaSchedulerMostAvailCapacity.__new__(
        vsa.VsaSchedulerMostAvailCapacity)
    hosts = [('h1', {'sata': _group(free=2)}),
             ('h2', {'sata': _group(free=7)}),
             ('h3', {'sata': _group(free=3)})]
    assert _choose(driver, 0, hosts)[0] == 'h2'


def test_most_available_capacity_partition_counts_bytes():
    driver = vsa.VsaSchedulerMostAvailCapacity.__new__(
        vsa.VsaSchedulerMostAvailCapacity)
    # h1: 1 free drive + 9 free 100 GB partitions = 1900 GB; h2: 1000 GB.
    hosts = [('h1', {'sata': _group(free=1, part_gb=100, free_parts=9)}),
             ('h2', {'sata': _group(free=1)})]
    assert _choose(driver, 100, hosts)[0] == 'h1'


def test_unique_hosts_skip_the_selected_ones():
    driver = vsa.VsaSchedulerMostAvailCapacity.__new__(
        vsa.VsaSchedulerMostAvailCapacity)
    hosts = [('h1', {'sata': _group(free=2)}),
             ('h2', {'sata': _group(free=7)})]
    selected = [('h2', hosts[1][1])]
    assert _choose(driver, 0, hosts, selected)[0] == 'h1'
    assert _choose(driver, 0, hosts, selected, unique=False)[0] == 'h2'


def test_no_matching_host_is_none():
    driver = vsa.VsaSchedulerLeastUsedHost.__new__(
        vsa.VsaSchedulerLeastUsedHost)
    hosts = [('h4', TABLE['h4'])]
    assert _choose(driver, 0, hosts) == (None, None)


# -- consuming capacity ----------------------------------------------------------
def test_full_drive_consumed_and_given_back():
    driver = vsa.VsaSchedulerLeastUsedHost.__new__(
        vsa.VsaSchedulerLeastUsedHost)
    group = _group(free=2)
    driver._consume_resource(group, 0, -1)
    assert group['FullDrive'] == {'NumFreeDrives': 1,
                                  'NumOccupiedDrives': 9}
    assert group['AvailableCapacity'] == 1000 * GB
    driver._consume_resource(group, 0, 1)
    assert group == _group(free=2)


def test_partition_splits_a_free_drive_when_none_is_left():
    driver = vsa.VsaSchedulerLeastUsedHost.__new__(
        vsa.VsaSchedulerLeastUsedHost)
    group = _group(free=2, part_gb=100)
    driver._consume_resource(group, 100, -1)
    # One drive split into 10 partitions, one of them taken.
    assert group['FullDrive']['NumFreeDrives'] == 1
    assert group['PartitionDrive']['NumFreePartitions'] == 9
    assert group['PartitionDrive']['NumOccupiedPartitions'] == 1
    assert group['AvailableCapacity'] == 1900 * GB
    driver._consume_resource(group, 100, 1)
    # All ten partitions free again: the drive is whole again.
    assert group['FullDrive']['NumFreeDrives'] == 2
    assert group['PartitionDrive']['NumFreePartitions'] == 0
    assert group['AvailableCapacity'] == 2000 * GB


def test_partition_size_zero_uses_the_volume_size():
    driver = vsa.VsaSchedulerLeastUsedHost.__new__(
        vsa.VsaSchedulerLeastUsedHost)
    group = _group(free=1)          # PartitionSize 0
    driver._consume_resource(group, 250, -1)
    assert group['PartitionDrive']['NumFreePartitions'] == 3   # 1000 // 250 - 1
    assert group['FullDrive']['NumFreeDrives'] == 0


# -- whole requests ----------------------------------------------------------------
@pytest.fixture
def drive_type(ctxt):
    return drive_types.create(ctxt, 'SATA', 1000, 7200)


def _vsa(ctxt):
    return db.vsa_create(ctxt, {'display_name': 'v', 'project_id': 'p1',
                                'status': 'creating', 'vc_count': 1})


def _drives(drive_type, count, size=0):
    return [{'name': 'drive-%03d' % i, 'description': 'BE volume',
             'size': size, 'volume_type_id': drive_type['id']}
            for i in range(count)]


def test_create_volumes_spreads_over_unique_hosts(ctxt, sched, make_service,
                                                  casts, drive_type):
    table = {'h1': {'sata': _group(free=2)}, 'h2': {'sata': _group(free=7)},
             'h3': {'sata': _group(free=5)}}
    _report(sched, make_service, table)
    vsa_row = _vsa(ctxt)
    spec = {'num_volumes': 3, 'vsa_id': vsa_row['id'],
            'volumes': _drives(drive_type, 3)}
    assert sched.schedule_create_volumes(ctxt, spec) is None
    # least used first, each host once.
    assert [vol['host'] for vol in spec['volumes']] == ['h2', 'h3', 'h1']
    sent = [(topic, msg['method']) for kind, topic, msg in casts
            if kind == 'cast']
    assert sent == [('volume.h2', 'create_volume'),
                    ('volume.h3', 'create_volume'),
                    ('volume.h1', 'create_volume')]
    # The reported capabilities lost one free drive each.
    states = sched.host_states.service_states
    assert [states[h]['volume']['drive_qos_info']['sata']['FullDrive']
            ['NumFreeDrives'] for h in ('h1', 'h2', 'h3')] == [1, 6, 4]
    created = db.volume_get_all_by_host(ctxt, 'h2')
    assert [(v['size'], v['volume_type_id'], v['status'])
            for v in created] == [(0, drive_type['id'], 'creating')]


def test_create_volumes_reuses_hosts_past_the_unique_limit(
        ctxt, sched, make_service, casts, drive_type, set_flags):
    set_flags(vsa_unique_hosts_per_alloc=2)
    table = {'h1': {'sata': _group(free=2)}, 'h2': {'sata': _group(free=7)},
             'h3': {'sata': _group(free=5)}}
    _report(sched, make_service, table)
    spec = {'vsa_id': None, 'volumes': _drives(drive_type, 4)}
    sched.schedule_create_volumes(ctxt, spec)
    hosts = [vol['host'] for vol in spec['volumes']]
    assert hosts[:2] == ['h2', 'h3']
    assert set(hosts[2:]) <= {'h2', 'h3'}


def test_create_volumes_without_room_fails_the_vsa_and_gives_back(
        ctxt, sched, make_service, casts, drive_type):
    table = {'h1': {'sata': _group(free=1)}}
    _report(sched, make_service, table)
    vsa_row = _vsa(ctxt)
    spec = {'vsa_id': vsa_row['id'], 'volumes': _drives(drive_type, 2)}
    with pytest.raises(exception.NoValidHost):
        sched.schedule_create_volumes(ctxt, spec)
    assert db.vsa_get(ctxt, vsa_row['id'])['status'] == 'failed'
    group = sched.host_states.service_states['h1']['volume'][
        'drive_qos_info']['sata']
    assert group['FullDrive']['NumFreeDrives'] == 1
    assert [c for c in casts if c[0] == 'cast'] == []


def test_create_volume_of_a_drive_type(ctxt, make_service, casts,
                                       drive_type, set_flags):
    set_flags(scheduler_driver='nova.scheduler.vsa.'
                               'VsaSchedulerMostAvailCapacity')
    mgr = manager.SchedulerManager(host='sched1')
    # The scheduler asked the volume hosts to report at start.
    assert ('fanout_cast', 'volume', {'method': 'notification',
                                      'args': {'event': 'startup'}}) in casts
    make_service('h1', topic='volume')
    make_service('h2', topic='volume')
    mgr.update_service_capabilities(
        ctxt, service_name='volume', host='h1',
        capabilities={'drive_qos_info': {'sata': _group(free=3)}})
    mgr.update_service_capabilities(
        ctxt, service_name='volume', host='h2',
        capabilities={'drive_qos_info': {'sata': _group(free=4)}})
    volume = db.volume_create(ctxt, {
        'size': 0, 'status': 'creating', 'availability_zone': 'nova',
        'attach_status': 'detached', 'volume_type_id': drive_type['id']})
    mgr.create_volume(ctxt, topic='volume', volume_id=volume['id'])
    assert db.volume_get(ctxt, volume['id'])['host'] == 'h2'
    assert ('cast', 'volume.h2', {
        'method': 'create_volume',
        'args': {'volume_id': volume['id'], 'snapshot_id': None}}) in casts
    group = mgr.host_states.get('h2', 'volume')['drive_qos_info']['sata']
    assert group['FullDrive']['NumFreeDrives'] == 3


def test_other_volumes_go_to_the_simple_scheduler(ctxt, sched, make_service,
                                                  casts):
    make_service('vh1', topic='volume')
    volume = db.volume_create(ctxt, {
        'size': 1, 'status': 'creating', 'availability_zone': 'nova',
        'attach_status': 'detached'})
    assert sched.schedule_create_volume(ctxt, volume['id']) == 'vh1'


def test_multi_scheduler_hands_vsa_volumes_to_the_volume_driver(
        ctxt, make_service, casts, drive_type, set_flags):
    set_flags(scheduler_driver='nova.scheduler.multi.MultiScheduler',
              volume_scheduler_driver='nova.scheduler.vsa.'
                                      'VsaSchedulerLeastUsedHost')
    mgr = manager.SchedulerManager(host='sched1')
    make_service('h1', topic='volume')
    mgr.update_service_capabilities(
        ctxt, service_name='volume', host='h1',
        capabilities={'drive_qos_info': {'sata': _group(free=3)}})
    spec = {'vsa_id': None, 'volumes': _drives(drive_type, 1)}
    mgr.create_volumes(ctxt, topic='volume', request_spec=spec)
    assert [vol['host'] for vol in spec['volumes']] == ['h1']


def test_multi_scheduler_without_a_vsa_driver_refuses(ctxt, set_flags,
                                                      casts):
    set_flags(scheduler_driver='nova.scheduler.multi.MultiScheduler',
              volume_scheduler_driver='nova.scheduler.simple.'
                                      'SimpleScheduler')
    mgr = manager.SchedulerManager(host='sched1')
    with pytest.raises(exception.NoValidHost):
        mgr.driver.schedule_create_volumes(ctxt, {'volumes': []})
