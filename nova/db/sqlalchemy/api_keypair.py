"""SSH key pairs of users (the ``key_pairs`` table).

Names are unique per user among live rows; a non-admin context may only
touch its own user's keys.
"""

from sqlalchemy import false

from nova import exception
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.api_common import (authorize_user_context,
                                           model_query, require_context,
                                           retry_on_deadlock, session_scope,
                                           soft_delete_query)

__all__ = [
    'key_pair_create', 'key_pair_get', 'key_pair_get_all_by_user',
    'key_pair_destroy', 'key_pair_destroy_all_by_user',
    'key_pair_count_by_user',
]

_KeyPair = models.KeyPair


def _by_user(context, session, user_id):
    return model_query(context, _KeyPair, session).filter(
        _KeyPair.user_id == user_id)


@require_context
@retry_on_deadlock
def key_pair_create(context, values):
    """Record a key pair; raises KeyPairExists if the user has the name."""
    authorize_user_context(context, values.get('user_id'))
    with session_scope() as session:
        taken = _by_user(context, session, values.get('user_id')).filter(
            _KeyPair.name == values.get('name')).first()
        if taken is not None:
            raise exception.KeyPairExists(key_name=values.get('name'))
        key_pair = _KeyPair()
        key_pair.update(values)
        key_pair.save(session)
        return key_pair


@require_context
def key_pair_get(context, user_id, name):
    """A user's key pair by name; raises KeypairNotFound."""
    authorize_user_context(context, user_id)
    with session_scope() as session:
        result = _by_user(context, session, user_id).filter(
            _KeyPair.name == name).first()
        if result is None:
            raise exception.KeypairNotFound(user_id=user_id,
                                            keypair_name=name)
        return result


@require_context
def key_pair_get_all_by_user(context, user_id):
    """Every live key pair of a user, by name."""
    authorize_user_context(context, user_id)
    with session_scope() as session:
        return _by_user(context, session, user_id).order_by(
            _KeyPair.name).all()


@require_context
def key_pair_count_by_user(context, user_id):
    """How many live key pairs a user has."""
    authorize_user_context(context, user_id)
    with session_scope() as session:
        return _by_user(context, session, user_id).count()


@require_context
@retry_on_deadlock
def key_pair_destroy(context, user_id, name):
    """Soft-delete a user's key pair; raises KeypairNotFound."""
    authorize_user_context(context, user_id)
    with session_scope() as session:
        query = session.query(_KeyPair).filter(
            _KeyPair.user_id == user_id, _KeyPair.name == name,
            _KeyPair.deleted == false())
        if not soft_delete_query(query):
            raise exception.KeypairNotFound(user_id=user_id,
                                            keypair_name=name)


@require_context
@retry_on_deadlock
def key_pair_destroy_all_by_user(context, user_id):
    """Soft-delete every key pair of a user (when the user is deleted)."""
    authorize_user_context(context, user_id)
    with session_scope() as session:
        soft_delete_query(session.query(_KeyPair).filter(
            _KeyPair.user_id == user_id, _KeyPair.deleted == false()))
