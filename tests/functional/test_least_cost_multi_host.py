"""The least-cost scheduler places instances of a 3-host cloud by the
capabilities the compute hosts report (issue 23).

One in-process cloud, three fake compute hosts, boto3 over real HTTP.
The periodic tasks are run by the test (``--periodic_interval=0``) so that
every placement is decided on reports the test knows: after each boot the
hosts report again.  With ``compute_fill_first_cost_fn_weight=-1`` the
emptiest host wins, so three boots land on three hosts; with weight 1
(Diablo's default, fill first) the fullest host takes the next ones.
"""

import pytest

from tests.functional.conftest import InProcessCloud

pytestmark = [pytest.mark.functional, pytest.mark.timeout(300)]

FILL_FIRST = 'nova.scheduler.least_cost.compute_fill_first_cost_fn'


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    cloud = InProcessCloud(
        tmp_path_factory.mktemp('least-cost'), compute_hosts=3,
        extra_flags={
            'scheduler_driver':
                'nova.scheduler.least_cost.LeastCostScheduler',
            'least_cost_scheduler_cost_functions': [FILL_FIRST],
            'compute_fill_first_cost_fn_weight': -1,
            'default_host_filter': 'InstanceTypeFilter',
            'host_state_interval': 0,
            'periodic_interval': 0,
        })
    cloud.start()
    access, secret = cloud.create_user('lc', 'lcproj')
    cloud.ec2 = cloud.boto3_client(access, secret)
    cloud.ami = cloud.register_image('lc-image')
    yield cloud
    cloud.stop()


def _services(cloud, binary):
    return [svc for svc in cloud.services
            if getattr(svc, 'binary', None) == binary]


def _report(cloud):
    """Every compute host reports; returns once the scheduler has each
    host's current free memory."""
    from nova import context
    ctxt = context.get_admin_context()

    def run():
        expected = {}
        for svc in _services(cloud, 'nova-compute'):
            svc.manager.periodic_tasks(ctxt)
            expected[svc.host] = \
                svc.manager.last_capabilities['host_memory_free']
        return expected

    expected = cloud.call_in_cloud(run)
    scheduler = _services(cloud, 'nova-scheduler')[0].manager

    def heard():
        states = scheduler.host_states
        return all(states.get(host, 'compute').get('host_memory_free') == free
                   for host, free in expected.items())

    assert cloud.wait_for(heard), 'the scheduler never heard the reports'
    return expected


def _boot(cloud):
    """Run one instance, wait until running; its host."""
    from nova import context
    from nova import db
    reservation = cloud.ec2.run_instances(ImageId=cloud.ami, MinCount=1,
                                          MaxCount=1)
    ec2_id = reservation['Instances'][0]['InstanceId']

    def state():
        desc = cloud.ec2.describe_instances(InstanceIds=[ec2_id])
        return desc['Reservations'][0]['Instances'][0]['State']['Name']

    assert cloud.wait_for(lambda: state() == 'running', timeout=60), state()
    instance_id = int(ec2_id.split('-', 1)[1], 16)
    return cloud.call_in_cloud(lambda: db.instance_get(
        context.get_admin_context(), instance_id)['host'])


def test_spread_then_fill_first(cloud):
    free = _report(cloud)
    assert sorted(free) == ['compute0', 'compute1', 'compute2']
    assert len(set(free.values())) == 1
    spread = []
    for _ in range(3):
        spread.append(_boot(cloud))
        _report(cloud)
    # Weight -1: each boot goes to a host with the most free memory.
    assert sorted(spread) == ['compute0', 'compute1', 'compute2']

    # Weight 1 (fill first): the fullest host takes the next two.
    def fill_first():
        from nova import flags
        flags.FLAGS.set('compute_fill_first_cost_fn_weight', 1)
        _services(cloud, 'nova-scheduler')[0].manager.driver \
            .cost_fns_cache.clear()
    cloud.call_in_cloud(fill_first)
    first = _boot(cloud)
    free = _report(cloud)
    assert free[first] == min(free.values())
    assert _boot(cloud) == first
