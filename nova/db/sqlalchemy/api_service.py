"""Services (the ``services`` table) and compute nodes."""

from sqlalchemy import false, update
from sqlalchemy.orm import joinedload

from nova import exception
from nova import flags
from nova import utils
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_common import (model_query, require_admin_context,
                                           retry_on_deadlock, session_scope)

FLAGS = flags.FLAGS

__all__ = [
    'service_get', 'service_get_by_host_and_topic', 'service_get_all',
    'service_get_all_by_topic', 'service_get_all_by_host',
    'service_get_all_compute_by_host', 'service_get_by_args',
    'service_create', 'service_update', 'service_destroy',
    'service_heartbeat',
    'compute_node_get', 'compute_node_get_all', 'compute_node_get_by_service',
    'compute_node_create', 'compute_node_update',
]


def _load(ref, *names):
    """Load relations now: callers use the object after the session."""
    for name in names:
        getattr(ref, name)


def _service_query(context, session, read_deleted=None):
    return model_query(context, models.Service, session,
                       read_deleted=read_deleted).options(
        joinedload(models.Service.compute_node))


# -- services -------------------------------------------------------------------
@require_admin_context
def service_get(context, service_id, session=None):
    """The service with this id; raises ServiceNotFound."""
    with session_scope(session) as session:
        result = _service_query(context, session).filter(
            models.Service.id == service_id).first()
        if not result:
            raise exception.ServiceNotFound(service_id=service_id)
        return result


@require_admin_context
def service_get_all(context, disabled=None):
    """All services; ``disabled`` True/False filters on that flag."""
    with session_scope() as session:
        query = _service_query(context, session)
        if disabled is not None:
            query = query.filter(models.Service.disabled == bool(disabled))
        return query.order_by(models.Service.id).all()


@require_admin_context
def service_get_all_by_topic(context, topic):
    """The enabled, live services consuming ``topic``."""
    with session_scope() as session:
        return _service_query(context, session, read_deleted='no').filter(
            models.Service.disabled == false(),
            models.Service.topic == topic).order_by(models.Service.id).all()


@require_admin_context
def service_get_by_host_and_topic(context, host, topic):
    """The enabled service of ``topic`` on ``host``, or None."""
    with session_scope() as session:
        return _service_query(context, session, read_deleted='no').filter(
            models.Service.disabled == false(),
            models.Service.host == host,
            models.Service.topic == topic).first()


@require_admin_context
def service_get_all_by_host(context, host):
    """Every live service on ``host``."""
    with session_scope() as session:
        return _service_query(context, session, read_deleted='no').filter(
            models.Service.host == host).order_by(models.Service.id).all()


@require_admin_context
def service_get_all_compute_by_host(context, host):
    """The compute services of ``host``; raises ComputeHostNotFound."""
    with session_scope() as session:
        result = _service_query(context, session, read_deleted='no').filter(
            models.Service.host == host,
            models.Service.topic == 'compute').all()
        if not result:
            raise exception.ComputeHostNotFound(host=host)
        return result


@require_admin_context
def service_get_by_args(context, host, binary):
    """The service running ``binary`` on ``host``; HostBinaryNotFound."""
    with session_scope() as session:
        result = _service_query(context, session).filter(
            models.Service.host == host,
            models.Service.binary == binary).first()
        if not result:
            raise exception.HostBinaryNotFound(host=host, binary=binary)
        return result


@require_admin_context
@retry_on_deadlock
def service_create(context, values):
    """Register a service; disabled unless ``--enable_new_services``."""
    with session_scope() as session:
        service_ref = models.Service()
        service_ref.update(values)
        if not FLAGS.enable_new_services:
            service_ref.disabled = True
        service_ref.save(session)
        _load(service_ref, 'compute_node')
        return service_ref


@require_admin_context
@retry_on_deadlock
def service_update(context, service_id, values):
    """Change columns of a service; raises ServiceNotFound."""
    with session_scope() as session:
        service_ref = service_get(context, service_id, session=session)
        service_ref.update(values)
        service_ref.save(session)
        return service_ref


@require_admin_context
@retry_on_deadlock
def service_destroy(context, service_id):
    """Soft-delete a service and, for compute, its compute nodes."""
    with session_scope() as session:
        service_ref = service_get(context, service_id, session=session)
        service_ref.delete(session)
        for node in list(service_ref.compute_node or []):
            node.delete(session)


@require_admin_context
@retry_on_deadlock
def service_heartbeat(context, service_id):
    """Add one to ``report_count`` and touch ``updated_at`` (one UPDATE).

    Raises ServiceNotFound when the row is gone or deleted.
    """
    table = models.Service.__table__
    with session_scope() as session:
        result = session.execute(
            update(table)
            .where(table.c.id == service_id, table.c.deleted == false())
            .values(report_count=table.c.report_count + 1,
                    updated_at=utils.utcnow()))
        if result.rowcount == 0:
            raise exception.ServiceNotFound(service_id=service_id)


# -- compute nodes ----------------------------------------------------------------
def _compute_query(context, session, read_deleted=None):
    return model_query(context, models.ComputeNode, session,
                       read_deleted=read_deleted).options(
        joinedload(models.ComputeNode.service))


@require_admin_context
def compute_node_get(context, compute_id, session=None):
    """The compute node with this id; raises ComputeNodeNotFound."""
    with session_scope(session) as session:
        result = _compute_query(context, session).filter(
            models.ComputeNode.id == compute_id).first()
        if not result:
            raise exception.ComputeNodeNotFound(compute_id=compute_id)
        return result


@require_admin_context
def compute_node_get_all(context):
    """Every compute node, with its service loaded."""
    with session_scope() as session:
        return _compute_query(context, session).order_by(
            models.ComputeNode.id).all()


@require_admin_context
def compute_node_get_by_service(context, service_id):
    """The live compute node of a service; raises ComputeHostNotFound."""
    with session_scope() as session:
        result = _compute_query(context, session, read_deleted='no').filter(
            models.ComputeNode.service_id == service_id).first()
        if not result:
            raise exception.ComputeHostNotFound(host=service_id)
        return result


@require_admin_context
@retry_on_deadlock
def compute_node_create(context, values):
    """Record a compute node's resources (``service_id``, ``vcpus``...)."""
    with session_scope() as session:
        compute_ref = models.ComputeNode()
        compute_ref.update(values)
        compute_ref.save(session)
        _load(compute_ref, 'service')
        return compute_ref


@require_admin_context
@retry_on_deadlock
def compute_node_update(context, compute_id, values):
    """Change a compute node's columns; raises ComputeNodeNotFound."""
    with session_scope() as session:
        compute_ref = compute_node_get(context, compute_id, session=session)
        compute_ref.update(values)
        compute_ref.save(session)
        return compute_ref
