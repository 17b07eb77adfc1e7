"""A clustered broker: the node leading a quorum queue dies mid-boot.

nova-api, nova-scheduler, nova-network and two nova-compute (the fake
driver) run as OS processes over a PRIVATE three-node RabbitMQ cluster
(:mod:`tests.integration.private_cluster`, on its own ports and epmd) and a
PRIVATE PostgreSQL cluster, with ``--rabbit_hosts`` naming the three nodes
and ``--rabbit_quorum_queues`` on.  While 100 instances boot
(``N9_CLUSTER_INSTANCES``), the node that leads the ``scheduler`` quorum
queue is killed with SIGKILL; every instance must reach ``running``, none
lost and none duplicated (one fake-hypervisor guest each), and the time to
the last one running is printed as a JSON line (``pytest -s``).
"""

import json
import os
import time

import pytest

from tests.integration import private_cluster
from tests.integration import private_services
from tests.integration import test_faults as faults

COUNT = int(os.environ.get('N9_CLUSTER_INSTANCES', '100'))

pytestmark = [pytest.mark.integration, pytest.mark.rabbitmq,
              pytest.mark.postgresql, pytest.mark.timeout(900)]

#: The shared service queues the daemons consume (quorum queues here).
SERVICE_QUEUES = ('scheduler', 'scheduler.ctl', 'network', 'network.ctl',
                  'compute', 'compute.compute-a', 'compute.compute-b')


class _FirstNode(object):
    """What :class:`test_faults.Cloud` reads of its broker: a port."""

    def __init__(self, cluster):
        self.port = cluster.nodes[0].port


@pytest.fixture(scope='module')
def clustered_cloud(tmp_path_factory):
    for reason in (private_cluster.cluster_missing(),
                   private_services.postgresql_missing()):
        if reason:
            pytest.skip(reason)
    tmp = str(tmp_path_factory.mktemp('cluster'))
    os.chmod(tmp, 0o755)
    cluster = private_cluster.PrivateCluster(3)
    database = private_services.PrivatePostgres()
    the_cloud = None
    try:
        cluster.start()
        database.start()
        database.create_database()
        the_cloud = faults.Cloud(tmp, _FirstNode(cluster), database)
        with open(the_cloud.flagfile, 'a') as conf:
            conf.write('--rabbit_hosts=%s\n--rabbit_quorum_queues\n'
                       % cluster.hosts)
        the_cloud.cluster = cluster
        the_cloud.set_up()
        yield the_cloud
    finally:
        if the_cloud is not None:
            the_cloud.stop_all()
        cluster.destroy()
        database.destroy()


def _leaders(cluster):
    """``{queue: leader}`` of the service queues; all must be quorum."""
    found = cluster.queues()
    missing = [q for q in SERVICE_QUEUES if q not in found]
    assert not missing, (missing, sorted(found))
    classic = dict((q, found[q][0]) for q in SERVICE_QUEUES
                   if found[q][0] != 'quorum')
    assert not classic, classic
    return dict((q, found[q][1]) for q in SERVICE_QUEUES)


def test_leader_node_killed_mid_boot(clustered_cloud):
    cloud = clustered_cloud
    cluster = cloud.cluster
    leaders = _leaders(cluster)
    victim = cluster.node_named(leaders['scheduler'])
    led = sorted(q for q, node in leaders.items() if node == victim.name)
    cloud.answers = []
    started = time.monotonic()
    ids = cloud.launch(COUNT)
    time.sleep(0.5)
    killed_at = round(time.monotonic() - started, 1)
    victim.kill()
    states = cloud.settle(ids, seconds=max(300, 3 * len(ids)))
    seconds = round(time.monotonic() - started, 1)
    guests = cloud.guests()
    counts = {}
    for state, _address in states.values():
        counts[state] = counts.get(state, 0) + 1
    print(json.dumps({
        'scenario': 'cluster_leader_killed', 'instances': len(ids),
        'running': counts.get('running', 0),
        'not_running': len(ids) - counts.get('running', 0),
        'duplicates': sum(len(guests.get(faults._guest_name(i), [])) > 1
                          for i in ids),
        'killed_node': victim.name, 'it_led': led,
        'killed_after_seconds': killed_at,
        'seconds_to_last_running': seconds}, sort_keys=True))
    faults._assert_no_loss(cloud, ids, states)
    survivors = cluster.running_nodes()
    assert victim.name not in survivors and len(survivors) == 2, survivors
    after = _leaders(cluster)            # still quorum queues, re-led
    assert victim.name not in after.values(), after
    cloud.clean_up(ids)
