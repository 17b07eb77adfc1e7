"""Security group actions: Create/Describe/Delete and Authorize/Revoke ingress.

Rules come in Diablo's flat form (``IpProtocol``, ``FromPort``, ``ToPort``,
``CidrIp``, ``SourceSecurityGroupName``, ``SourceSecurityGroupOwnerId``) or
as ``IpPermissions.N.{IpProtocol, FromPort, ToPort, IpRanges.M.CidrIp,
Groups.M.{GroupName, GroupId, UserId}}``.  Every project has a ``default``
group, created on demand.
"""

import ipaddress
import logging
import re
import urllib.parse

from nova import db
from nova import exception
from nova import flags
from nova.api.ec2 import ec2utils
from nova.api.ec2 import paging
from nova.api.ec2.cloud import tags

LOG = logging.getLogger('nova.api.ec2.cloud')
FLAGS = flags.FLAGS

flags.DEFINE_bool('allow_delete_security_group_in_use', False,
                  "Diablo's behaviour: DeleteSecurityGroup also deletes a "
                  'group that running instances still use instead of '
                  'answering InvalidGroup.InUse as AWS does (the instances '
                  'keep the firewall rules already applied to them: the '
                  'deletion refreshes no firewall)')

_GROUP_NAME_RE = re.compile(r'^[a-zA-Z0-9_\-. :/()#,@\[\]+=&;{}!$*]+$')
_PROTOCOLS = {'tcp': 'tcp', 'udp': 'udp', 'icmp': 'icmp',
              '6': 'tcp', '17': 'udp', '1': 'icmp'}


def _group_error(name_or_id):
    return exception.SecurityGroupNotFound(security_group_id=name_or_id)


def _port(value, name, low, high):
    if value is None or value == '':
        return None
    return ec2utils.to_int(value, name, low, high)


def _normalise_rule(perm):
    """``(protocol, from, to, [cidrs], [(name, group_id, owner)])``."""
    protocol = perm.get('ip_protocol')
    if protocol is None or str(protocol) == '':
        protocol = None
    else:
        protocol = _PROTOCOLS.get(str(protocol).lower())
        if protocol is None:
            raise ec2utils.invalid_value('IpProtocol', perm.get('ip_protocol'),
                                         'Supported protocols are tcp, udp '
                                         'and icmp')
    low, high = (-1, 255) if protocol == 'icmp' else (-1, 65535)
    from_port = _port(perm.get('from_port'), 'FromPort', low, high)
    to_port = _port(perm.get('to_port'), 'ToPort', low, high)
    cidrs = []
    for rng in ec2utils.as_list(perm.get('ip_ranges')):
        cidr = rng.get('cidr_ip') if isinstance(rng, dict) else rng
        if cidr:
            cidrs.append(str(cidr))
    groups = []
    for grp in ec2utils.as_list(perm.get('groups')):
        if not isinstance(grp, dict):
            continue
        groups.append((grp.get('group_name'), grp.get('group_id'),
                       grp.get('user_id')))
    if protocol in ('tcp', 'udp'):
        if from_port is None or to_port is None:
            raise exception.InvalidParameterValue(
                err='FromPort and ToPort are required for %s' % protocol)
        if from_port == -1 and to_port == -1:
            from_port, to_port = 1, 65535
        elif from_port < 0 or to_port < 0 or from_port > to_port:
            raise exception.InvalidParameterValue(
                err='Invalid port range %s:%s' % (from_port, to_port))
    elif protocol == 'icmp':
        from_port = -1 if from_port is None else from_port
        to_port = -1 if to_port is None else to_port
    elif cidrs:
        raise ec2utils.missing('IpProtocol')
    checked = []
    for cidr in cidrs:
        text = urllib.parse.unquote(cidr)
        try:
            checked.append(str(ipaddress.ip_network(text, strict=False)))
        except ValueError:
            raise ec2utils.invalid_value('CidrIp', cidr)
    if not checked and not groups and protocol:
        checked = ['0.0.0.0/0']
    return protocol, from_port, to_port, checked, groups


def _permissions(kwargs):
    perms = ec2utils.as_list(kwargs.get('ip_permissions'))
    flat = {k: kwargs.get(k) for k in ('ip_protocol', 'from_port', 'to_port')
            if kwargs.get(k) not in (None, '')}
    if kwargs.get('cidr_ip'):
        flat['ip_ranges'] = [{'cidr_ip': kwargs['cidr_ip']}]
    if kwargs.get('source_security_group_name'):
        flat['groups'] = [{
            'group_name': kwargs['source_security_group_name'],
            'user_id': kwargs.get('source_security_group_owner_id')}]
    if flat:
        perms.append(flat)
    if not perms:
        raise ec2utils.missing('IpPermissions')
    return [p for p in perms if isinstance(p, dict)]


def _loaded_grantee(rule):
    try:
        return rule['grantee_group']
    except Exception:  # noqa: BLE001 - not loaded
        return None


class SecurityGroupActions(object):
    """EC2 security group actions."""

    # -- lookups -------------------------------------------------------------
    def _group_by_name(self, context, name, project_id=None):
        project_id = project_id or context.project_id
        if name == 'default' and project_id == context.project_id:
            db.security_group_ensure_default(context)
        try:
            return db.security_group_get_by_name(context, project_id, name)
        except exception.NotFound:
            raise exception.SecurityGroupNotFound(security_group_id=name)

    def _group_by_id(self, context, group_id):
        number = ec2utils.ec2_group_id_to_id(group_id)
        try:
            group = db.security_group_get(context, number)
        except exception.NotFound:
            raise _group_error(group_id)
        if not context.is_admin and group['project_id'] != context.project_id:
            raise _group_error(group_id)
        return group

    def _target_group(self, context, group_name, group_id):
        if group_name:
            return self._group_by_name(context, str(group_name))
        if group_id:
            return self._group_by_id(context, group_id)
        raise ec2utils.missing('GroupName or GroupId')

    def _source_group(self, context, name, group_id, owner):
        if group_id:
            return self._group_by_id(context, group_id)
        project = context.project_id
        if owner:
            project = str(owner).rpartition(':')[2] or project
        return self._group_by_name(context, str(name), project)

    # -- rendering -------------------------------------------------------------
    def _format_group(self, context, group, names):
        perms = []
        try:
            rules = list(group['rules'])
        except Exception:  # noqa: BLE001 - not loaded: ask for them
            rules = db.security_group_rule_get_by_security_group(
                context, group['id'])
        for rule in rules:
            protocols = [rule['protocol']]
            item_groups = []
            ranges = []
            if rule['group_id']:
                source = names.get(rule['group_id'])
                if source is None:
                    source = _loaded_grantee(rule)
                if source is None:
                    try:
                        source = db.security_group_get(context.elevated(),
                                                       rule['group_id'])
                    except exception.NotFound:
                        continue
                    names[rule['group_id']] = source
                item_groups = [{'userId': source['project_id'],
                                'groupId': ec2utils.group_ec2_id(source['id']),
                                'groupName': source['name']}]
                if not rule['protocol']:
                    protocols = ['icmp', 'tcp', 'udp']
            elif rule['cidr']:
                ranges = [{'cidrIp': rule['cidr']}]
            for protocol in protocols:
                from_port, to_port = rule['from_port'], rule['to_port']
                if not rule['protocol']:
                    from_port, to_port = ((-1, -1) if protocol == 'icmp'
                                          else (1, 65535))
                perms.append({'ipProtocol': protocol,
                              'fromPort': from_port,
                              'toPort': to_port,
                              'groups': item_groups,
                              'ipRanges': ranges})
        return {'ownerId': group['project_id'],
                'groupId': ec2utils.group_ec2_id(group['id']),
                'groupName': group['name'],
                'groupDescription': group['description'] or '',
                'ipPermissions': perms,
                'ipPermissionsEgress': []}

    # -- actions ---------------------------------------------------------------
    def describe_security_groups(self, context, group_name=None,
                                 group_id=None, filter=None,
                                 max_results=None, next_token=None,
                                 **kwargs):
        """DescribeSecurityGroups: the project's groups (GroupName.N,
        GroupId.N, filters, tags, ``MaxResults``/``NextToken`` by id)."""
        db.security_group_ensure_default(context)
        wanted_names = [str(n) for n in ec2utils.as_list(group_name)]
        wanted_ids = ec2utils.as_list(group_id)
        page = paging.page_of(context, 'DescribeSecurityGroups', max_results,
                              next_token, ids=wanted_names + wanted_ids)
        token = None
        if wanted_names or wanted_ids:
            selected = []
            for name in wanted_names:
                selected.append(self._group_by_name(context, name))
            for gid in wanted_ids:
                selected.append(self._group_by_id(context, gid))
            seen = set()
            groups = [g for g in selected
                      if not (g['id'] in seen or seen.add(g['id']))]
        elif page.paged:
            groups = db.security_group_get_page(
                context, context.project_id, page.marker, page.fetch)
            groups, token = page.split(groups, lambda g: g['id'])
        else:
            groups = list(db.security_group_get_by_project(
                context, context.project_id))
        filters, tag_filters = tags.split_filters(
            ec2utils.filters_from(filter))
        groups = ec2utils.apply_filters(
            groups, filters,
            {'group-name': lambda g: g['name'],
             'group-id': lambda g: ec2utils.group_ec2_id(g['id']),
             'description': lambda g: g['description'],
             'owner-id': lambda g: g['project_id']})
        names = {g['id']: g for g in groups}
        infos = [self._format_group(context, g, names) for g in groups]
        infos = tags.filter_by_tags(context, 'security-group', infos,
                                    'groupId', tag_filters)
        tags.attach_tag_sets(context, infos, 'groupId')
        for info in infos:
            info['tagSet'] = info['tagSet'] or None
        if not page.paged:
            infos.sort(key=lambda g: (g['ownerId'], g['groupName']))
        return paging.answer('securityGroupInfo', infos, token)

    def create_security_group(self, context, group_name=None,
                              group_description=None, **kwargs):
        """CreateSecurityGroup: a new, empty group of the project."""
        if not group_name:
            raise ec2utils.missing('GroupName')
        if group_description is None:
            raise ec2utils.missing('GroupDescription')
        group_name = str(group_name)
        if len(group_name) > 255 or not _GROUP_NAME_RE.match(group_name):
            raise ec2utils.invalid_value('GroupName', group_name)
        if len(str(group_description)) > 255:
            raise ec2utils.invalid_value('GroupDescription',
                                         group_description)
        db.security_group_ensure_default(context)
        if db.security_group_exists(context, context.project_id, group_name):
            raise exception.SecurityGroupExists(
                security_group_name=group_name,
                project_id=context.project_id)
        group = db.security_group_create(context, {
            'user_id': context.user_id,
            'project_id': context.project_id,
            'name': group_name,
            'description': str(group_description)})
        return {'return': True, 'groupId': ec2utils.group_ec2_id(group['id'])}

    def delete_security_group(self, context, group_name=None, group_id=None,
                              **kwargs):
        """DeleteSecurityGroup: by name (preferred) or id."""
        group = self._target_group(context, group_name, group_id)
        if group['name'] == 'default':
            raise ec2utils.EC2APIError(
                "The 'default' security group cannot be deleted",
                ec2_code='CannotDelete')
        if db.security_group_in_use(context, group['id']):
            if not FLAGS.allow_delete_security_group_in_use:
                raise exception.SecurityGroupInUse(
                    security_group_id=group['name'])
            LOG.warning('Deleting security group %s while instances use it '
                        '(--allow_delete_security_group_in_use): they keep '
                        'the firewall rules already applied to them',
                        group['name'])
        db.security_group_destroy(context, group['id'])
        return True

    def _rules_to_values(self, context, group, kwargs):
        values = []
        for perm in _permissions(kwargs):
            protocol, from_port, to_port, cidrs, groups = \
                _normalise_rule(perm)
            for cidr in cidrs:
                values.append({'parent_group_id': group['id'],
                               'protocol': protocol, 'from_port': from_port,
                               'to_port': to_port, 'cidr': cidr,
                               'group_id': None})
            for name, gid, owner in groups:
                if not name and not gid:
                    raise ec2utils.missing('Groups.N.GroupName')
                source = self._source_group(context, name, gid, owner)
                values.append({'parent_group_id': group['id'],
                               'protocol': protocol, 'from_port': from_port,
                               'to_port': to_port, 'cidr': None,
                               'group_id': source['id']})
        if not values:
            raise ec2utils.missing('IpPermissions')
        return values

    @staticmethod
    def _same_rule(rule, values):
        keys = ('protocol', 'from_port', 'to_port', 'cidr', 'group_id')
        return all((rule[k] or None) == (values[k] or None) for k in keys)

    def _refresh(self, context, group_id):
        trigger = getattr(self.compute_api,
                          'trigger_security_group_rules_refresh', None)
        if trigger is None:
            return
        try:
            trigger(context, security_group_id=group_id)
        except Exception:  # noqa: BLE001 - the rule is stored either way
            LOG.exception('could not refresh the rules of group %s', group_id)

    def authorize_security_group_ingress(self, context, group_name=None,
                                         group_id=None, **kwargs):
        """AuthorizeSecurityGroupIngress: add rules (flat or IpPermissions)."""
        group = self._target_group(context, group_name, group_id)
        values = self._rules_to_values(context, group, kwargs)
        existing = db.security_group_rule_get_by_security_group(context,
                                                                group['id'])
        pending = []
        for value in values:
            if any(self._same_rule(rule, value) for rule in existing) or \
                    any(self._same_rule(other, value) for other in pending):
                raise ec2utils.EC2APIError(
                    'the specified rule "peer: %s, %s, ALLOW" already exists'
                    % (value['cidr'] or 'group %s' % value['group_id'],
                       value['protocol']),
                    ec2_code='InvalidPermission.Duplicate')
            pending.append(value)
        for value in pending:
            db.security_group_rule_create(context, value)
        self._refresh(context, group['id'])
        return True

    def revoke_security_group_ingress(self, context, group_name=None,
                                      group_id=None, **kwargs):
        """RevokeSecurityGroupIngress: remove rules that match exactly."""
        group = self._target_group(context, group_name, group_id)
        values = self._rules_to_values(context, group, kwargs)
        existing = db.security_group_rule_get_by_security_group(context,
                                                                group['id'])
        # EC2-classic answers success for rules that do not exist (the
        # conformance suite relies on it); the rules that do are removed.
        doomed = []
        for value in values:
            doomed.extend(r for r in existing if self._same_rule(r, value)
                          and r not in doomed)
        for rule in doomed:
            db.security_group_rule_destroy(context, rule['id'])
        if doomed:
            self._refresh(context, group['id'])
        return True

    def _egress(self, context, group_id, kwargs):
        if not group_id:
            raise ec2utils.missing('GroupId')
        self._group_by_id(context, group_id)
        raise exception.InvalidParameterValue(
            err='Egress rules are only supported for VPC security groups; '
            'this cloud is EC2-classic')

    def authorize_security_group_egress(self, context, group_id=None,
                                        **kwargs):
        """AuthorizeSecurityGroupEgress: VPC only (InvalidParameterValue)."""
        return self._egress(context, group_id, kwargs)

    def revoke_security_group_egress(self, context, group_id=None,
                                     **kwargs):
        """RevokeSecurityGroupEgress: VPC only (InvalidParameterValue)."""
        return self._egress(context, group_id, kwargs)
