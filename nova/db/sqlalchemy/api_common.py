"""Helpers every entity module of the SQLAlchemy backend shares.

``model_query`` applies the soft-delete filter from the context (or an
explicit ``read_deleted``); the ``require_*`` decorators check the caller.
``read_deleted`` may be False/'no' (live rows only, the default), True/'yes'
(live and deleted rows) or 'only' (deleted rows only).
"""

import functools

from sqlalchemy import false, true

from nova import exception
from nova import utils
from nova.db.sqlalchemy.session import (retry_on_deadlock,  # noqa: F401
                                        session_scope)


_STATEMENTS = {}


def cached_statement(key, build):
    """The statement ``build(*key[1:])``, built once per ``key`` (a tuple
    whose first item names the statement; every entity module shares this
    cache).

    For the hot paths: building a statement costs more CPU than running
    one of these.  Their parameters are bound (``bindparam('b_...')``: an
    UPDATE's may not be named as its columns).
    """
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = _STATEMENTS[key] = build(*key[1:])
    return statement


def is_admin_context(context):
    """Whether the request context carries admin rights."""
    if context is None:
        return False
    return bool(getattr(context, 'is_admin', False))


def is_user_context(context):
    """Whether the context names a user and a project (a normal request)."""
    if context is None or getattr(context, 'is_admin', False):
        return False
    return bool(getattr(context, 'user_id', None) and
                getattr(context, 'project_id', None))


def authorize_project_context(context, project_id):
    """A non-admin may only touch its own project."""
    if is_user_context(context) and context.project_id != project_id:
        raise exception.NotAuthorized()


def authorize_user_context(context, user_id):
    """A non-admin may only touch its own user."""
    if is_user_context(context) and context.user_id != user_id:
        raise exception.NotAuthorized()


def require_admin_context(func):
    """Decorator: the first argument must be an admin context."""
    @functools.wraps(func)
    def wrapper(context, *args, **kwargs):
        if not is_admin_context(context):
            raise exception.AdminRequired()
        return func(context, *args, **kwargs)
    return wrapper


def require_context(func):
    """Decorator: the first argument must be an admin or a user context."""
    @functools.wraps(func)
    def wrapper(context, *args, **kwargs):
        if not is_admin_context(context) and not is_user_context(context):
            raise exception.NotAuthorized()
        return func(context, *args, **kwargs)
    return wrapper


def read_deleted_mode(context, read_deleted=None):
    """Normalize a ``read_deleted`` value to 'no', 'yes' or 'only'."""
    if read_deleted is None:
        read_deleted = getattr(context, 'read_deleted', False)
    if read_deleted in (True, 'yes'):
        return 'yes'
    if read_deleted == 'only':
        return 'only'
    return 'no'


def filter_deleted(query, model, context, read_deleted=None):
    """Apply the soft-delete filter the context asks for to ``query``."""
    mode = read_deleted_mode(context, read_deleted)
    if mode == 'no':
        return query.filter(model.deleted == false())
    if mode == 'only':
        return query.filter(model.deleted == true())
    return query


def model_query(context, model, session, read_deleted=None,
                project_only=False):
    """A query of ``model`` honouring soft delete and project scoping."""
    query = filter_deleted(session.query(model), model, context,
                           read_deleted)
    if project_only and is_user_context(context):
        query = query.filter(model.project_id == context.project_id)
    return query


def soft_delete_query(query):
    """Soft-delete every row ``query`` selects, in one UPDATE."""
    now = utils.utcnow()
    return query.update({'deleted': True, 'deleted_at': now,
                         'updated_at': now}, synchronize_session=False)
