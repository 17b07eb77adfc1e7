"""Security groups, their ingress rules and their instances.

Groups belong to a project; non-admin contexts only see their own project's
groups.  Every project has a ``default`` group, created on first need by
:func:`security_group_ensure_default`.  Groups come back with ``rules``
(and each rule's ``grantee_group``) loaded; ``instances`` is loaded by the
functions that say so.
"""

from sqlalchemy import bindparam, delete, false, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from nova import exception
from nova import utils
from nova.db.sqlalchemy import batched
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy.session import connection_scope
from nova.db.sqlalchemy.api_common import (authorize_project_context,
                                           cached_statement,
                                           is_admin_context,
                                           model_query, require_admin_context,
                                           require_context, retry_on_deadlock,
                                           session_scope)

__all__ = [
    'security_group_get_all', 'security_group_get',
    'security_group_get_by_name', 'security_group_get_by_project',
    'security_group_get_by_instance', 'security_group_exists',
    'security_group_create', 'security_group_ensure_default',
    'security_group_destroy', 'security_group_in_use',
    'security_group_rule_create', 'security_group_rule_get',
    'security_group_rule_destroy', 'security_group_rule_get_by_security_group',
    'security_group_rule_get_by_security_group_grantee',
    'security_group_rules_of_instance', 'security_group_granting',
    'instance_add_security_group', 'instance_remove_security_group',
]

_Group = models.SecurityGroup
_Rule = models.SecurityGroupIngressRule
_Assoc = models.SecurityGroupInstanceAssociation

DEFAULT_GROUP = 'default'


def _query(context, session, instances=False):
    query = model_query(context, _Group, session, project_only=True).options(
        selectinload(_Group.rules).joinedload(_Rule.grantee_group))
    if instances:
        query = query.options(selectinload(_Group.instances))
    return query


def _gone():
    now = utils.utcnow()
    return {'deleted': True, 'deleted_at': now, 'updated_at': now}


@require_admin_context
def security_group_get_all(context):
    """Every live security group (admins), by project and name."""
    with session_scope() as session:
        return _query(context, session).order_by(
            _Group.project_id, _Group.name).all()


@require_context
def security_group_get(context, security_group_id, session=None):
    """A group by id, with rules and instances; SecurityGroupNotFound."""
    with session_scope(session) as session:
        result = _query(context, session, instances=True).filter(
            _Group.id == security_group_id).first()
        if result is None:
            raise exception.SecurityGroupNotFound(
                security_group_id=security_group_id)
        return result


@require_context
def security_group_get_by_name(context, project_id, group_name):
    """A project's group by name; SecurityGroupNotFoundForProject."""
    authorize_project_context(context, project_id)
    with session_scope() as session:
        result = _query(context, session, instances=True).filter(
            _Group.project_id == project_id,
            _Group.name == group_name).first()
        if result is None:
            raise exception.SecurityGroupNotFoundForProject(
                project_id=project_id, security_group_id=group_name)
        return result


@require_context
def security_group_get_by_project(context, project_id):
    """The live groups of a project, by name."""
    authorize_project_context(context, project_id)
    with session_scope() as session:
        return _query(context, session).filter(
            _Group.project_id == project_id).order_by(_Group.name).all()


@require_context
def security_group_get_by_instance(context, instance_id):
    """The live groups an instance belongs to."""
    with session_scope() as session:
        return _query(context, session).join(
            _Assoc, _Assoc.security_group_id == _Group.id).filter(
            _Assoc.instance_id == instance_id,
            _Assoc.deleted == false()).order_by(_Group.name).all()


@require_context
def security_group_exists(context, project_id, group_name):
    """Whether the project has a live group of this name."""
    with session_scope() as session:
        return model_query(context, _Group, session).filter(
            _Group.project_id == project_id,
            _Group.name == group_name).first() is not None


@require_context
def security_group_in_use(context, security_group_id):
    """Whether a live instance still belongs to the group."""
    with session_scope() as session:
        row = session.query(_Assoc.id).join(
            models.Instance, models.Instance.id == _Assoc.instance_id).filter(
            _Assoc.security_group_id == security_group_id,
            _Assoc.deleted == false(),
            models.Instance.deleted == false()).first()
        return row is not None


@require_context
@retry_on_deadlock
def security_group_create(context, values):
    """Create a group; SecurityGroupExists if the project has the name."""
    authorize_project_context(context, values.get('project_id'))
    with session_scope() as session:
        taken = model_query(context, _Group, session).filter(
            _Group.project_id == values.get('project_id'),
            _Group.name == values.get('name')).first()
        if taken is not None:
            raise exception.SecurityGroupExists(
                project_id=values.get('project_id'),
                security_group_name=values.get('name'))
        group = _Group()
        group.update(values)
        group.save(session)
        group.rules  # noqa: B018 - load (empty) before the session closes
        return group


@require_context
@retry_on_deadlock
def security_group_ensure_default(context):
    """The ``default`` group of the context's project, made if missing."""
    with session_scope() as session:
        group = _query(context, session).filter(
            _Group.project_id == context.project_id,
            _Group.name == DEFAULT_GROUP).first()
        if group is not None:
            return group
        group = _Group(name=DEFAULT_GROUP, description='default',
                       user_id=context.user_id,
                       project_id=context.project_id)
        group.save(session)
        group.rules  # noqa: B018 - load (empty) before the session closes
        return group


@require_context
@retry_on_deadlock
def security_group_destroy(context, security_group_id):
    """Soft-delete a group, its memberships and the rules naming it."""
    with session_scope() as session:
        group = model_query(context, _Group, session,
                            project_only=True).filter(
            _Group.id == security_group_id).first()
        if group is None:
            raise exception.SecurityGroupNotFound(
                security_group_id=security_group_id)
        gone = _gone()
        session.execute(update(_Group).where(
            _Group.id == group.id).values(**gone))
        session.execute(update(_Assoc).where(
            _Assoc.security_group_id == group.id,
            _Assoc.deleted == false()).values(**gone))
        session.execute(update(_Rule).where(
            or_(_Rule.parent_group_id == group.id,
                _Rule.group_id == group.id),
            _Rule.deleted == false()).values(**gone))
        # EC2 tags go with their group (revision 005).
        session.execute(delete(models.Tag).where(
            models.Tag.resource_id == 'sg-%08x' % group.id))


# -- rules ----------------------------------------------------------------------
@require_context
@retry_on_deadlock
def security_group_rule_create(context, values):
    """Add an ingress rule (``parent_group_id``, protocol, ports, cidr or
    ``group_id``) and return it."""
    with session_scope() as session:
        rule = _Rule()
        rule.update(values)
        rule.save(session)
        return rule


def _rule_query(context, session):
    return model_query(context, _Rule, session).options(
        joinedload(_Rule.grantee_group), joinedload(_Rule.parent_group))


@require_context
def security_group_rule_get(context, security_group_rule_id):
    """A rule by id; raises SecurityGroupRuleNotFound."""
    with session_scope() as session:
        result = _rule_query(context, session).filter(
            _Rule.id == security_group_rule_id).first()
        if result is None or (
                result.parent_group is not None and
                not context.is_admin and
                result.parent_group.project_id != context.project_id):
            raise exception.SecurityGroupRuleNotFound(
                rule_id=security_group_rule_id)
        return result


@require_context
def security_group_rule_get_by_security_group(context, security_group_id):
    """The live rules of a group."""
    with session_scope() as session:
        return _rule_query(context, session).filter(
            _Rule.parent_group_id == security_group_id).order_by(
            _Rule.id).all()


@require_context
def security_group_rule_get_by_security_group_grantee(context,
                                                      security_group_id):
    """The live rules that let members of this group in."""
    with session_scope() as session:
        return _rule_query(context, session).filter(
            _Rule.group_id == security_group_id).order_by(_Rule.id).all()


def _build_rules_of_instances(scoped):
    """The live rules of the live groups of the instances ``ids`` (with
    the group's project ``project`` when ``scoped``), in one query."""
    assoc, group, rule = (_Assoc.__table__, _Group.__table__,
                          _Rule.__table__)
    conditions = [assoc.c.instance_id.in_(bindparam('ids', expanding=True)),
                  assoc.c.deleted == false()]
    if scoped:
        conditions.append(group.c.project_id == bindparam('project'))
    return select(assoc.c.instance_id, rule.c.protocol, rule.c.from_port,
                  rule.c.to_port, rule.c.cidr, rule.c.group_id).select_from(
        assoc.join(group, (group.c.id == assoc.c.security_group_id) &
                   (group.c.deleted == false()))
        .join(rule, (rule.c.parent_group_id == group.c.id) &
              (rule.c.deleted == false()))).where(*conditions).order_by(
        assoc.c.instance_id, group.c.name, rule.c.id)


def _rules_of_instances(context, ids):
    scoped = not is_admin_context(context)
    params = {'ids': sorted(set(ids))}
    if scoped:
        params['project'] = context.project_id
    found = {}
    with connection_scope(single_statement=True) as conn:
        for row in conn.execute(cached_statement(
                ('security_group_rules_of_instances', scoped),
                _build_rules_of_instances), params):
            values = dict(row._mapping)
            found.setdefault(values.pop('instance_id'), []).append(values)
    return [(True, found.get(i, [])) for i in ids]


_RULES_OF_INSTANCES = batched.batcher(_rules_of_instances)


@require_context
def security_group_rules_of_instance(context, instance_id):
    """The live rules of the live groups an instance belongs to, as dicts
    of ``protocol``, ``from_port``, ``to_port``, ``cidr`` and ``group_id``
    (by group name, then rule id): what its firewall is built from, read
    in one query of only those columns.  Admin calls made together (a host
    building many instances) share that query."""
    return batched.submit(_RULES_OF_INSTANCES, context, int(instance_id),
                          _rules_of_instances)


@require_context
def security_group_granting(context, group_ids):
    """``{group id: [ids of the groups whose live rules let its members
    in]}`` for each of ``group_ids`` that some rule names, in one query."""
    ids = sorted(set(int(group_id) for group_id in group_ids))
    if not ids:
        return {}
    rule = _Rule.__table__
    query = select(rule.c.group_id, rule.c.parent_group_id).where(
        rule.c.group_id.in_(ids), rule.c.deleted == false()).order_by(
        rule.c.id)
    granting = {}
    with connection_scope(single_statement=True) as conn:
        for grantee, parent in conn.execute(query):
            parents = granting.setdefault(grantee, [])
            if parent not in parents:
                parents.append(parent)
    return granting


@require_context
@retry_on_deadlock
def security_group_rule_destroy(context, security_group_rule_id):
    """Soft-delete a rule; raises SecurityGroupRuleNotFound."""
    security_group_rule_get(context, security_group_rule_id)
    with session_scope() as session:
        session.execute(update(_Rule).where(
            _Rule.id == security_group_rule_id).values(**_gone()))


# -- membership -----------------------------------------------------------------
@require_context
@retry_on_deadlock
def instance_add_security_group(context, instance_id, security_group_id):
    """Put an instance into a group (no-op if it already is)."""
    with session_scope() as session:
        exists = session.query(_Assoc.id).filter(
            _Assoc.instance_id == instance_id,
            _Assoc.security_group_id == security_group_id,
            _Assoc.deleted == false()).first()
        if exists is None:
            session.add(_Assoc(instance_id=instance_id,
                               security_group_id=security_group_id))


@require_context
@retry_on_deadlock
def instance_remove_security_group(context, instance_id, security_group_id):
    """Take an instance out of a group."""
    with session_scope() as session:
        session.execute(update(_Assoc).where(
            _Assoc.instance_id == instance_id,
            _Assoc.security_group_id == security_group_id,
            _Assoc.deleted == false()).values(**_gone()))
