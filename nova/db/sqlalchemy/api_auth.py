"""Users, projects, roles, auth tokens and auth-failure counts (SQLAlchemy).

The tables are Diablo's (``users``, ``projects``, ``user_project_association``,
``user_role_association``, ``user_project_role_association``,
``auth_tokens``) plus ``auth_failures``, the lockout counts shared by every
API worker.  Users and projects are deleted for real (their ids are their
names and must be reusable), together with their associations.
"""

import datetime

from sqlalchemy import Column, DateTime, Integer, String, and_, exc

from nova import exception
from nova import utils
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_common import require_admin_context
from nova.db.sqlalchemy.models_base import BASE
from nova.db.sqlalchemy.session import session_scope

__all__ = [
    'user_get', 'user_get_by_access_key', 'user_get_all', 'user_create',
    'user_update', 'user_delete', 'user_get_roles',
    'user_get_roles_for_project', 'user_add_role', 'user_remove_role',
    'user_add_project_role', 'user_remove_project_role',
    'project_get', 'project_get_all', 'project_get_by_user',
    'project_create', 'project_update', 'project_delete',
    'project_add_member', 'project_remove_member', 'project_get_members',
    'auth_token_get', 'auth_token_create', 'auth_token_destroy',
    'auth_failure_get', 'auth_failure_increment', 'auth_failure_set',
    'auth_failure_delete', 'auth_failure_purge',
]


class AuthFailure(BASE):
    """Failed authentications of one access key inside a window."""

    __tablename__ = 'auth_failures'
    name = Column(String(255), primary_key=True)
    count = Column(Integer, nullable=False, default=0)
    expires_at = Column(DateTime, nullable=False)


# -- users ------------------------------------------------------------------
def _user_query(session):
    return session.query(models.User)


@require_admin_context
def user_get(context, user_id):
    """The user ``user_id``; raises UserNotFound."""
    with session_scope() as session:
        user = _user_query(session).filter_by(id=user_id).first()
        if user is None:
            raise exception.UserNotFound(user_id=user_id)
        return user


@require_admin_context
def user_get_by_access_key(context, access_key):
    """The user holding ``access_key``; raises AccessKeyNotFound."""
    with session_scope() as session:
        user = _user_query(session).filter_by(access_key=access_key).first()
        if user is None:
            raise exception.AccessKeyNotFound(access_key=access_key)
        return user


@require_admin_context
def user_get_all(context):
    """Every user, by id."""
    with session_scope() as session:
        return _user_query(session).order_by(models.User.id).all()


@require_admin_context
def user_create(context, values):
    """Create a user from ``values`` (id, name, access_key, secret_key...)."""
    with session_scope() as session:
        if _user_query(session).filter_by(id=values['id']).first():
            raise exception.UserExists(user=values['id'])
        if _user_query(session).filter_by(
                access_key=values.get('access_key')).first():
            raise exception.AccessKeyExists(access_key=values['access_key'])
        user = models.User()
        user.update(values)
        session.add(user)
        session.flush()
        return user


@require_admin_context
def user_update(context, user_id, values):
    """Change fields of a user."""
    with session_scope() as session:
        user = _user_query(session).filter_by(id=user_id).first()
        if user is None:
            raise exception.UserNotFound(user_id=user_id)
        access = values.get('access_key')
        if access and access != user.access_key and _user_query(
                session).filter_by(access_key=access).first():
            raise exception.AccessKeyExists(access_key=access)
        user.update(values)
        session.flush()
        return user


@require_admin_context
def user_delete(context, user_id):
    """Delete a user, its memberships and its roles."""
    with session_scope() as session:
        user = _user_query(session).filter_by(id=user_id).first()
        if user is None:
            raise exception.UserNotFound(user_id=user_id)
        for model in (models.UserProjectAssociation,
                      models.UserRoleAssociation,
                      models.UserProjectRoleAssociation):
            session.query(model).filter_by(user_id=user_id).delete(
                synchronize_session=False)
        session.delete(user)
        session.flush()


# -- roles --------------------------------------------------------------------
@require_admin_context
def user_get_roles(context, user_id):
    """The global roles of a user."""
    with session_scope() as session:
        rows = session.query(models.UserRoleAssociation).filter_by(
            user_id=user_id).all()
        return sorted(row.role for row in rows)


@require_admin_context
def user_get_roles_for_project(context, user_id, project_id):
    """The roles a user holds in one project."""
    with session_scope() as session:
        rows = session.query(models.UserProjectRoleAssociation).filter_by(
            user_id=user_id, project_id=project_id).all()
        return sorted(row.role for row in rows)


@require_admin_context
def user_add_role(context, user_id, role):
    """Grant a global role (no-op if held)."""
    with session_scope() as session:
        if not session.query(models.UserRoleAssociation).filter_by(
                user_id=user_id, role=role).first():
            session.add(models.UserRoleAssociation(user_id=user_id,
                                                   role=role))
            session.flush()


@require_admin_context
def user_remove_role(context, user_id, role):
    """Withdraw a global role."""
    with session_scope() as session:
        session.query(models.UserRoleAssociation).filter_by(
            user_id=user_id, role=role).delete(synchronize_session=False)


@require_admin_context
def user_add_project_role(context, user_id, project_id, role):
    """Grant a role within a project (no-op if held)."""
    with session_scope() as session:
        if not session.query(models.UserProjectRoleAssociation).filter_by(
                user_id=user_id, project_id=project_id, role=role).first():
            session.add(models.UserProjectRoleAssociation(
                user_id=user_id, project_id=project_id, role=role))
            session.flush()


@require_admin_context
def user_remove_project_role(context, user_id, project_id, role):
    """Withdraw a role within a project."""
    with session_scope() as session:
        session.query(models.UserProjectRoleAssociation).filter_by(
            user_id=user_id, project_id=project_id, role=role).delete(
                synchronize_session=False)


# -- projects -------------------------------------------------------------------
def _project_query(session):
    return session.query(models.Project)


def _member_ids(session, project_id):
    rows = session.query(models.UserProjectAssociation).filter_by(
        project_id=project_id).all()
    return sorted(row.user_id for row in rows)


def _with_members(session, project):
    project.member_ids = _member_ids(session, project.id)
    return project


@require_admin_context
def project_get(context, project_id):
    """The project ``project_id`` (``member_ids`` filled); ProjectNotFound."""
    with session_scope() as session:
        project = _project_query(session).filter_by(id=project_id).first()
        if project is None:
            raise exception.ProjectNotFound(project_id=project_id)
        return _with_members(session, project)


@require_admin_context
def project_get_all(context):
    """Every project, by id."""
    with session_scope() as session:
        return [_with_members(session, p) for p in
                _project_query(session).order_by(models.Project.id).all()]


@require_admin_context
def project_get_by_user(context, user_id):
    """The projects a user is a member of."""
    with session_scope() as session:
        query = _project_query(session).join(
            models.UserProjectAssociation,
            and_(models.UserProjectAssociation.project_id ==
                 models.Project.id,
                 models.UserProjectAssociation.user_id == user_id))
        return [_with_members(session, p)
                for p in query.order_by(models.Project.id).all()]


@require_admin_context
def project_get_members(context, project_id):
    """The ids of a project's members."""
    with session_scope() as session:
        return _member_ids(session, project_id)


@require_admin_context
def project_create(context, values):
    """Create a project; ``values['members']`` may list member user ids."""
    values = dict(values)
    members = values.pop('members', None) or []
    with session_scope() as session:
        if _project_query(session).filter_by(id=values['id']).first():
            raise exception.ProjectExists(project=values['id'])
        project = models.Project()
        project.update(values)
        session.add(project)
        session.flush()
        for user_id in members:
            project_add_member(context, project.id, user_id)
        return _with_members(session, project)


@require_admin_context
def project_update(context, project_id, values):
    """Change fields of a project."""
    with session_scope() as session:
        project = _project_query(session).filter_by(id=project_id).first()
        if project is None:
            raise exception.ProjectNotFound(project_id=project_id)
        project.update(values)
        session.flush()
        return _with_members(session, project)


@require_admin_context
def project_delete(context, project_id):
    """Delete a project with its memberships and project roles."""
    with session_scope() as session:
        project = _project_query(session).filter_by(id=project_id).first()
        if project is None:
            raise exception.ProjectNotFound(project_id=project_id)
        for model in (models.UserProjectAssociation,
                      models.UserProjectRoleAssociation):
            session.query(model).filter_by(project_id=project_id).delete(
                synchronize_session=False)
        session.delete(project)
        session.flush()


@require_admin_context
def project_add_member(context, project_id, user_id):
    """Make a user a member of a project (no-op if already)."""
    with session_scope() as session:
        if not session.query(models.UserProjectAssociation).filter_by(
                user_id=user_id, project_id=project_id).first():
            session.add(models.UserProjectAssociation(
                user_id=user_id, project_id=project_id))
            session.flush()


@require_admin_context
def project_remove_member(context, project_id, user_id):
    """Remove a user from a project, with the roles held in it."""
    with session_scope() as session:
        for model in (models.UserProjectAssociation,
                      models.UserProjectRoleAssociation):
            session.query(model).filter_by(
                user_id=user_id, project_id=project_id).delete(
                    synchronize_session=False)


# -- auth tokens (OpenStack API deprecated auth) ----------------------------------------
def auth_token_get(context, token_hash):
    """The token row for ``token_hash``; raises NotFound."""
    with session_scope() as session:
        token = session.query(models.AuthToken).filter_by(
            token_hash=token_hash, deleted=False).first()
        if token is None:
            raise exception.NotFound()
        return token


def auth_token_create(context, values):
    """Store a new auth token."""
    with session_scope() as session:
        token = models.AuthToken()
        token.update(values)
        session.add(token)
        session.flush()
        return token


def auth_token_destroy(context, token_id):
    """Forget an auth token."""
    with session_scope() as session:
        session.query(models.AuthToken).filter_by(
            token_hash=token_id).delete(synchronize_session=False)


# -- auth failures (lockout) -----------------------------------------------------------
def _live_failure(session, key, now):
    return session.query(AuthFailure).filter(
        AuthFailure.name == key, AuthFailure.expires_at > now).first()


def auth_failure_get(context, key):
    """The live failure count under ``key``, or None."""
    with session_scope() as session:
        row = _live_failure(session, key, utils.utcnow())
        return row.count if row else None


def auth_failure_increment(context, key, ttl):
    """Add one failure under ``key``; a new window lasts ``ttl`` seconds."""
    for _attempt in range(3):
        try:
            with session_scope() as session:
                now = utils.utcnow()
                updated = session.query(AuthFailure).filter(
                    AuthFailure.name == key,
                    AuthFailure.expires_at > now).update(
                        {AuthFailure.count: AuthFailure.count + 1},
                        synchronize_session=False)
                if not updated:
                    session.query(AuthFailure).filter(
                        AuthFailure.name == key).delete(
                            synchronize_session=False)
                    session.add(AuthFailure(
                        name=key, count=1,
                        expires_at=now + datetime.timedelta(seconds=ttl)))
                    session.flush()
                    return 1
                return _live_failure(session, key, now).count
        except exc.IntegrityError:
            continue
    raise exception.DBError(reason='could not count auth failure')


def auth_failure_set(context, key, count, ttl):
    """Store ``count`` under ``key`` for ``ttl`` seconds from now."""
    with session_scope() as session:
        expires = utils.utcnow() + datetime.timedelta(seconds=ttl)
        row = session.query(AuthFailure).filter_by(name=key).first()
        if row is None:
            session.add(AuthFailure(name=key, count=count,
                                    expires_at=expires))
        else:
            row.count = count
            row.expires_at = expires
        session.flush()


def auth_failure_delete(context, key):
    """Forget the failures under ``key``."""
    with session_scope() as session:
        session.query(AuthFailure).filter_by(name=key).delete(
            synchronize_session=False)


def auth_failure_purge(context):
    """Delete the failure rows whose window or lockout has ended;
    returns how many went."""
    with session_scope() as session:
        return session.query(AuthFailure).filter(
            AuthFailure.expires_at <= utils.utcnow()).delete(
                synchronize_session=False)
