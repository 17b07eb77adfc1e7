"""The scheduler's checks before a live migration (Diablo's order).

:func:`check` raises a clear error when the move cannot work, else marks
the instance ``migrating`` and returns the source host, to which the
scheduler manager then casts ``live_migration``.
"""

import logging

from nova import db
from nova import exception
from nova import flags
from nova import rpc
from nova.compute import power_state
from nova.compute import vm_states
from nova.utils import servicegroup

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.scheduler.live_migration')


class MigrationRefused(exception.Invalid):
    """The live migration cannot be done (the message says why)."""

    message = 'Cannot live-migrate instance %(instance_id)s: %(reason)s'


def _compute_service(context, host):
    try:
        service = db.service_get_by_args(context, host, 'nova-compute')
    except exception.NotFound:
        return None
    return service


def _node(context, service):
    try:
        return db.compute_node_get_by_service(context, service['id'])
    except exception.NotFound:
        return None


def check(context, instance_id, dest, block_migration=False):
    """Run the checks; returns the source host (see the module doc)."""
    context = context.elevated()
    instance = db.instance_get(context, instance_id)

    def refuse(reason):
        raise MigrationRefused(instance_id=instance_id, reason=reason)

    if instance['power_state'] != power_state.RUNNING or \
            instance['vm_state'] != vm_states.ACTIVE:
        refuse('it is not running')
    src = instance['host']
    services = {}
    for role, host in (('source', src), ('destination', dest)):
        service = _compute_service(context, host)
        if service is None or service['disabled'] or \
                not servicegroup.service_is_up(service):
            refuse('the compute service of the %s host %s is not up'
                   % (role, host))
        services[role] = service
    if dest == src:
        refuse('it already runs on %s' % dest)
    dest_node = _node(context, services['destination'])
    src_node = _node(context, services['source'])
    if dest_node is None or src_node is None:
        refuse('a host has not reported its resources yet')
    used = sum(i['memory_mb'] or 0 for i in
               db.instance_get_all_by_host(context, dest))
    if dest_node['memory_mb'] - used <= (instance['memory_mb'] or 0):
        refuse('%s has not enough memory' % dest)
    if dest_node['hypervisor_type'] != src_node['hypervisor_type']:
        refuse('the hypervisors differ (%s, %s)' % (
            src_node['hypervisor_type'], dest_node['hypervisor_type']))
    if (dest_node['hypervisor_version'] or 0) < \
            (src_node['hypervisor_version'] or 0):
        refuse('the hypervisor of %s is older' % dest)
    _check_shared_storage(context, instance_id, src, dest, block_migration,
                          refuse)
    try:
        rpc.call(context, 'compute.%s' % dest,
                 {'method': 'compare_cpu',
                  'args': {'cpu_info': src_node['cpu_info']}})
    except Exception as exc:  # noqa: BLE001 - its message is the reason
        refuse('the CPU of %s cannot run it (%s)' % (dest, exc))
    db.instance_update_columns(context, instance_id,
                               {'vm_state': vm_states.MIGRATING,
                                'task_state': None})
    LOG.info('Live migration of instance %s from %s to %s', instance_id,
             src, dest)
    return src


def _check_shared_storage(context, instance_id, src, dest, block_migration,
                          refuse):
    filename = rpc.call(context, 'compute.%s' % dest,
                        {'method': 'create_shared_storage_test_file',
                         'args': {}})
    try:
        shared = rpc.call(context, 'compute.%s' % src,
                          {'method': 'check_shared_storage_test_file',
                           'args': {'filename': filename}})
    finally:
        rpc.call(context, 'compute.%s' % dest,
                 {'method': 'cleanup_shared_storage_test_file',
                  'args': {'filename': filename}})
    if block_migration and shared:
        refuse('block migration needs separate storage, and %s and %s '
               'share --instances_path' % (src, dest))
    if not block_migration and not shared:
        refuse('%s and %s do not share --instances_path' % (src, dest))
