"""Queries of the scheduler: hosts sorted by load, usage per host.

Each ``service_get_all_*_sorted`` answers in ONE query (services outer-joined
to an aggregate of what they carry), so that placing an instance costs the
same whatever the number of hosts or instances; the services come back as
dicts of their columns.
"""

from sqlalchemy import and_, false, func, or_, select, update

from nova import utils

from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.session import connection_scope
from nova.db.sqlalchemy.api_common import (cached_statement,
                                           require_admin_context,
                                           retry_on_deadlock, session_scope)

__all__ = [
    'service_get_all_compute_sorted', 'service_get_all_volume_sorted',
    'service_get_all_network_sorted', 'instance_get_usage_by_host',
    'instance_get_all_stuck_scheduling', 'instance_set_scheduled_host',
]


def _services_sorted_by(topic, make_load):
    """[(service, load)] of the enabled live ``topic`` services, least first.

    ``make_load()`` is a select of (host, used) grouped by host; services
    with nothing on them come with a load of 0.  A service is a dict of
    its columns.  The statement is built once per topic (building it is
    most of what a scheduling decision cost), and runs alone, without
    BEGIN and COMMIT round trips where autocommit is fine.
    """
    def build(topic):
        load = make_load().subquery()
        services = models.Service.__table__
        used = func.coalesce(load.c.used, 0)
        return select(services, used.label('nova_used')).select_from(
            services.outerjoin(load, services.c.host == load.c.host)).where(
            services.c.topic == topic, services.c.disabled == false(),
            services.c.deleted == false()).order_by(used, services.c.id)
    statement = cached_statement(('services_sorted', topic), build)
    with connection_scope(single_statement=True) as conn:
        rows = conn.execute(statement).all()
    result = []
    for row in rows:
        service = dict(row._mapping)
        result.append((service, int(service.pop('nova_used'))))
    return result


def _load_of(table, amount):
    def make():
        return select(table.c.host, amount.label('used')).where(
            table.c.deleted == false()).group_by(table.c.host)
    return make


@require_admin_context
def service_get_all_compute_sorted(context):
    """[(service, cores used)] of enabled compute services, least first.

    Cores are the ``vcpus`` of the live (not deleted) instances whose
    ``host`` is the service's host.
    """
    table = models.Instance.__table__
    return _services_sorted_by('compute',
                               _load_of(table, func.sum(table.c.vcpus)))


@require_admin_context
def service_get_all_volume_sorted(context):
    """[(service, gigabytes)] of enabled volume services, least first."""
    table = models.Volume.__table__
    return _services_sorted_by('volume',
                               _load_of(table, func.sum(table.c.size)))


@require_admin_context
def service_get_all_network_sorted(context):
    """[(service, networks)] of enabled network services, least first."""
    table = models.Network.__table__
    return _services_sorted_by('network',
                               _load_of(table, func.count(table.c.id)))


@require_admin_context
def instance_get_usage_by_host(context, host):
    """What the live instances of ``host`` take, per project.

    ``{project_id: {'vcpus', 'memory_mb', 'local_gb', 'instances'}}``, in
    one grouped query.
    """
    inst = models.Instance
    with session_scope() as session:
        rows = session.query(
            inst.project_id,
            func.count(inst.id),
            func.coalesce(func.sum(inst.vcpus), 0),
            func.coalesce(func.sum(inst.memory_mb), 0),
            func.coalesce(func.sum(inst.local_gb), 0)).filter(
            inst.host == host, inst.deleted == false()).group_by(
            inst.project_id).all()
    return dict((project, {'instances': int(count), 'vcpus': int(vcpus),
                           'memory_mb': int(memory),
                           'local_gb': int(disk)})
                for project, count, vcpus, memory, disk in rows)


@require_admin_context
def instance_get_all_stuck_scheduling(context, created_before,
                                      task_state='scheduling'):
    """Live instances still in ``task_state`` with no host, created before
    ``created_before`` (a naive UTC datetime): their scheduling message was
    lost.  Returns plain dicts (id, uuid, project_id, created_at...)."""
    inst = models.Instance
    with session_scope() as session:
        rows = session.query(inst).filter(and_(
            inst.deleted == false(),
            inst.task_state == task_state,
            inst.host.is_(None),
            inst.created_at < created_before)).order_by(inst.id).all()
        return [{'id': row.id, 'uuid': row.uuid,
                 'project_id': row.project_id, 'user_id': row.user_id,
                 'vm_state': row.vm_state, 'task_state': row.task_state,
                 'created_at': row.created_at} for row in rows]


@require_admin_context
@retry_on_deadlock
def instance_set_scheduled_host(context, instance_id, host):
    """Record the host chosen for a live instance: ``host`` and
    ``scheduled_at``, in one UPDATE (no reload).

    Returns False, changing nothing, when the instance is gone (deleted
    while it was being scheduled) or already in ``error`` (e.g. given up on
    by the scheduling timeout); True otherwise.
    """
    table = models.Instance.__table__
    now = utils.utcnow()
    with session_scope() as session:
        result = session.execute(
            update(table)
            .where(table.c.id == instance_id, table.c.deleted == false(),
                   or_(table.c.vm_state.is_(None),
                       table.c.vm_state != 'error'))
            .values(host=host, scheduled_at=now, updated_at=now))
        return result.rowcount > 0
