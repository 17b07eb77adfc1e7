"""Extra specs rows (``key``/``value`` of an owner row, soft-deleted), the
same for flavors and volume types: the owner is named by its model's
foreign-key column (``instance_type_id``, ``volume_type_id``)."""

from nova.db.sqlalchemy.api_common import (model_query, session_scope,
                                           soft_delete_query)


def specs_get(context, model, owner_column, owner_id):
    """``{key: value}`` of the owner's live extra specs."""
    owner = getattr(model, owner_column)
    with session_scope() as session:
        rows = model_query(context, model, session, read_deleted='no') \
            .filter(owner == owner_id).all()
        return dict((row.key, row.value) for row in rows)


def specs_delete(context, model, owner_column, owner_id, key):
    """Soft-delete the owner's live spec *key*; how many rows it took."""
    owner = getattr(model, owner_column)
    with session_scope() as session:
        query = model_query(context, model, session, read_deleted='no')
        return soft_delete_query(query.filter(owner == owner_id,
                                              model.key == key))


def specs_update_or_create(context, model, owner_column, owner_id, specs):
    """Set the owner's extra specs from a ``{key: value}`` dict (a deleted
    row of the same key comes back to life); returns *specs*."""
    owner = getattr(model, owner_column)
    with session_scope() as session:
        for key, value in specs.items():
            row = model_query(context, model, session, read_deleted='yes') \
                .filter(owner == owner_id, model.key == key).first()
            if row is None:
                row = model(**{owner_column: owner_id, 'key': key})
            row.update({'value': value, 'deleted': False,
                        'deleted_at': None})
            row.save(session)
        return specs
