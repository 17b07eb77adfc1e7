"""Guest agent builds (the ``agent_builds`` table), admins only.

Diablo's XenAPI driver looked up the build of its guest agent for an
instance's hypervisor, OS and architecture (the "triple") to upgrade the
agent inside the guest; ``nova-manage agent`` manages the records.  This
cloud runs no XenAPI, but the records are kept as Diablo kept them.
"""

from nova import exception
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_common import (model_query,
                                           require_admin_context,
                                           session_scope)

__all__ = [
    'agent_build_create', 'agent_build_get_by_triple', 'agent_build_get_all',
    'agent_build_destroy', 'agent_build_update',
]

_AgentBuild = models.AgentBuild


def _by_triple(context, session, hypervisor, os, architecture):
    return model_query(context, _AgentBuild, session).filter(
        _AgentBuild.hypervisor == hypervisor, _AgentBuild.os == os,
        _AgentBuild.architecture == architecture).order_by(_AgentBuild.id)


@require_admin_context
def agent_build_create(context, values):
    """Record an agent build; returns it."""
    with session_scope() as session:
        build = _AgentBuild()
        build.update(values)
        build.save(session)
        return build


@require_admin_context
def agent_build_get_by_triple(context, hypervisor, os, architecture):
    """The (first) live build for a triple, or None, as Diablo's."""
    with session_scope() as session:
        return _by_triple(context, session, hypervisor, os,
                          architecture).first()


@require_admin_context
def agent_build_get_all(context):
    """Every live agent build, oldest first."""
    with session_scope() as session:
        return model_query(context, _AgentBuild, session).order_by(
            _AgentBuild.id).all()


def _get(context, session, agent_build_id):
    build = model_query(context, _AgentBuild, session).filter(
        _AgentBuild.id == agent_build_id).first()
    if build is None:
        raise exception.NotFound()
    return build


@require_admin_context
def agent_build_destroy(context, agent_build_id):
    """Soft-delete an agent build."""
    with session_scope() as session:
        _get(context, session, agent_build_id).delete(session)


@require_admin_context
def agent_build_update(context, agent_build_id, values):
    """Change an agent build's columns; returns it."""
    with session_scope() as session:
        build = _get(context, session, agent_build_id)
        build.update(values)
        build.save(session)
        return build
