"""Client side of nova-scheduler: the RPC messages other parts send it.

Managers report their host's capabilities with
:func:`update_service_capabilities` (a fanout cast, so every scheduler
hears it); the APIs and nova-manage ask with :func:`get_host_list`,
:func:`get_service_capabilities` and :func:`show_host_resources`;
:func:`run_instance` casts a placement request.
"""

from nova import flags
from nova import rpc
from nova.rpc import outbox

FLAGS = flags.FLAGS
flags.DEFINE_bool('enable_zone_routing', False,
                  'route requests to child zones', unsupported='zones')


def _call_scheduler(context, method, **args):
    """rpc.call a scheduler; returns its answer."""
    return rpc.call(context, FLAGS.scheduler_topic,
                    {'method': method, 'args': args})


def run_instance(context, instance_id, request_spec=None,
                 availability_zone=None, topic=None, **kwargs):
    """Ask a scheduler to place instance ``instance_id`` (a cast).

    ``kwargs`` (``admin_password``, ``injected_files``...) are passed on to
    nova-compute's ``run_instance``.  The request goes through the outbox
    (with the caller's transaction, if any): a broker outage delays it,
    never loses it.
    """
    args = dict(kwargs, topic=topic or FLAGS.compute_topic,
                instance_id=instance_id, request_spec=request_spec,
                availability_zone=availability_zone)
    outbox.cast(context, FLAGS.scheduler_topic,
                {'method': 'run_instance', 'args': args})


def update_service_capabilities(context, service_name, host, capabilities):
    """Tell every scheduler what ``service_name`` on ``host`` can do."""
    rpc.fanout_cast(context, FLAGS.scheduler_topic,
                    {'method': 'update_service_capabilities',
                     'args': {'service_name': service_name, 'host': host,
                              'capabilities': capabilities}})


def get_host_list(context):
    """``[{'host_name', 'service'}]`` of the hosts that reported."""
    return _call_scheduler(context, 'get_host_list')


def get_service_capabilities(context):
    """``{'<service>_<capability>': [min, max]}`` over the hosts."""
    return _call_scheduler(context, 'get_service_capabilities')


def show_host_resources(context, host):
    """A compute host's resources and its use per project."""
    return _call_scheduler(context, 'show_host_resources', host=host)
