"""A boot right after the cloud starts is placed by the least-cost
scheduler: each compute host sends its capabilities once its service is
registered, not only after the first periodic run (issue 23).

The periodic tasks are kept from running during the test
(``--periodic_interval=600``): the only reports the scheduler has are the
ones sent at start.
"""

import pytest

from tests.functional.conftest import InProcessCloud

pytestmark = [pytest.mark.functional, pytest.mark.timeout(300)]


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    cloud = InProcessCloud(
        tmp_path_factory.mktemp('least-cost-start'), compute_hosts=2,
        extra_flags={
            'scheduler_driver':
                'nova.scheduler.least_cost.LeastCostScheduler',
            'least_cost_scheduler_cost_functions':
                ['nova.scheduler.least_cost.compute_fill_first_cost_fn'],
            'default_host_filter': 'InstanceTypeFilter',
            'periodic_interval': 600,
        })
    cloud.start()
    access, secret = cloud.create_user('lcs', 'lcsproj')
    cloud.ec2 = cloud.boto3_client(access, secret)
    cloud.ami = cloud.register_image('lcs-image')
    yield cloud
    cloud.stop()


def test_boot_right_after_start(cloud):
    scheduler = [svc for svc in cloud.services
                 if getattr(svc, 'binary', None) == 'nova-scheduler'][0]

    def heard():
        return sorted(scheduler.manager.host_states.service_states)

    # The start-up reports arrive without any periodic run.
    assert cloud.wait_for(lambda: heard() == ['compute0', 'compute1'],
                          timeout=30), heard()
    reservation = cloud.ec2.run_instances(ImageId=cloud.ami, MinCount=1,
                                          MaxCount=1)
    ec2_id = reservation['Instances'][0]['InstanceId']

    def state():
        desc = cloud.ec2.describe_instances(InstanceIds=[ec2_id])
        return desc['Reservations'][0]['Instances'][0]['State']['Name']

    assert cloud.wait_for(lambda: state() == 'running', timeout=60), state()
