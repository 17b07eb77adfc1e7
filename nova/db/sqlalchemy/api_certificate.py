"""Certificates signed for users (the ``certificates`` table)."""

from nova import exception
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_common import (model_query, require_admin_context,
                                           retry_on_deadlock, session_scope)

__all__ = [
    'certificate_create', 'certificate_get', 'certificate_update',
    'certificate_destroy', 'certificate_get_all_by_project',
    'certificate_get_all_by_user', 'certificate_get_all_by_user_and_project',
]

_Cert = models.Certificate


@require_admin_context
@retry_on_deadlock
def certificate_create(context, values):
    """Record a certificate (``user_id``, ``project_id``, ``file_name``)."""
    with session_scope() as session:
        cert_ref = _Cert()
        cert_ref.update(values)
        cert_ref.save(session)
        return cert_ref


@require_admin_context
def certificate_get(context, certificate_id, session=None):
    """The certificate with this id; raises CertificateNotFound."""
    with session_scope(session) as session:
        result = model_query(context, _Cert, session).filter(
            _Cert.id == certificate_id).first()
        if not result:
            raise exception.CertificateNotFound(
                certificate_id=certificate_id)
        return result


@require_admin_context
@retry_on_deadlock
def certificate_update(context, certificate_id, values):
    """Change columns of a certificate."""
    with session_scope() as session:
        cert_ref = certificate_get(context, certificate_id, session=session)
        cert_ref.update(values)
        cert_ref.save(session)
        return cert_ref


@require_admin_context
@retry_on_deadlock
def certificate_destroy(context, certificate_id):
    """Soft-delete a certificate; raises CertificateNotFound."""
    with session_scope() as session:
        cert_ref = certificate_get(context, certificate_id, session=session)
        cert_ref.delete(session)


def _certificates(context, **filters):
    with session_scope() as session:
        query = model_query(context, _Cert, session, read_deleted='no')
        for column, value in filters.items():
            query = query.filter(getattr(_Cert, column) == value)
        return query.order_by(_Cert.id).all()


@require_admin_context
def certificate_get_all_by_project(context, project_id):
    """Live certificates of a project."""
    return _certificates(context, project_id=project_id)


@require_admin_context
def certificate_get_all_by_user(context, user_id):
    """Live certificates of a user."""
    return _certificates(context, user_id=user_id)


@require_admin_context
def certificate_get_all_by_user_and_project(context, user_id, project_id):
    """Live certificates of a user in a project."""
    return _certificates(context, user_id=user_id, project_id=project_id)
