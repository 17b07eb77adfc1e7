"""Queries of the scheduler: hosts sorted by load, usage per host.

Each ``service_get_all_*_sorted`` answers in ONE query (services outer-joined
to an aggregate of what they carry), so that placing an instance costs the
same whatever the number of hosts or instances.
"""

from sqlalchemy import and_, false, func, or_, update

from nova import utils

from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.session import read_scope
from nova.db.sqlalchemy.api_common import (require_admin_context,
                                           retry_on_deadlock, session_scope)

__all__ = [
    'service_get_all_compute_sorted', 'service_get_all_volume_sorted',
    'service_get_all_network_sorted', 'instance_get_usage_by_host',
    'instance_get_all_stuck_scheduling', 'instance_set_scheduled_host',
]


def _services_sorted_by(context, topic, load_query, label):
    """[(service, load)] of the enabled live ``topic`` services, least first.

    ``load_query`` is a query of (host, load) grouped by host; services with
    nothing on them come with a load of 0.
    """
    with read_scope() as session:
        subq = load_query(session).subquery()
        load = func.coalesce(getattr(subq.c, label), 0)
        query = session.query(models.Service, load).outerjoin(
            subq, models.Service.host == subq.c.host).filter(
            models.Service.topic == topic,
            models.Service.disabled == false(),
            models.Service.deleted == false()).order_by(
            load, models.Service.id)
        return [(service, int(used)) for service, used in query.all()]


@require_admin_context
def service_get_all_compute_sorted(context):
    """[(service, cores used)] of enabled compute services, least first.

    Cores are the ``vcpus`` of the live (not deleted) instances whose
    ``host`` is the service's host.
    """
    def cores(session):
        return session.query(
            models.Instance.host,
            func.sum(models.Instance.vcpus).label('instance_cores')).filter(
            models.Instance.deleted == false()).group_by(
            models.Instance.host)
    return _services_sorted_by(context, 'compute', cores, 'instance_cores')


@require_admin_context
def service_get_all_volume_sorted(context):
    """[(service, gigabytes)] of enabled volume services, least first."""
    def gigabytes(session):
        return session.query(
            models.Volume.host,
            func.sum(models.Volume.size).label('volume_gigabytes')).filter(
            models.Volume.deleted == false()).group_by(models.Volume.host)
    return _services_sorted_by(context, 'volume', gigabytes,
                               'volume_gigabytes')


@require_admin_context
def service_get_all_network_sorted(context):
    """[(service, networks)] of enabled network services, least first."""
    def networks(session):
        return session.query(
            models.Network.host,
            func.count(models.Network.id).label('network_count')).filter(
            models.Network.deleted == false()).group_by(models.Network.host)
    return _services_sorted_by(context, 'network', networks,
                               'network_count')


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
