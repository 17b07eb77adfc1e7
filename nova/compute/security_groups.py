"""Security groups on a compute host: rules resolved for the firewall.

The firewall drivers (nova.virt.firewall) never read the database, so
:class:`SecurityGroupsMixin` (part of the compute manager) turns an
instance's groups into the flat rule list they take: one dict per CIDR
rule, and for a source-group rule one per fixed IP of every member of the
granted group.  ``refresh_security_group_rules`` and
``refresh_security_group_members`` (cast by :class:`TriggerMixin` of the
compute API to every host holding a concerned instance) re-resolve and
re-apply the rules of this host's instances.

A refresh needs the instance's network info from nova-network.  When
nova-network does not answer, the refresh uses the last network info this
host got for the instance (:mod:`nova.compute.network_cache`); with none
known it is refused and the instance keeps its current rules: a chain is
never rebuilt from an empty network info, which would leave the guest
outside its rules until the next refresh.

Provider-wide rules (``provider_fw_rules``, written by the EC2 admin
action ``BlockExternalAddresses``) go the same way: the compute API casts
``refresh_provider_fw_rules`` to every compute host, whose manager reads
the table and hands the rules to its hypervisor driver's firewall; the
manager also applies them once at start-up (``init_host``).
"""

import logging

from nova import db
from nova import exception
from nova import flags
from nova.compute import network_cache
from nova.rpc import outbox

LOG = logging.getLogger('nova.compute.security_groups')
FLAGS = flags.FLAGS


def _rule(protocol, from_port, to_port, cidr):
    return {'protocol': protocol, 'from_port': from_port,
            'to_port': to_port, 'cidr': cidr}


def _fixed_addresses(context, instance_id):
    try:
        return [ip['address'] for ip in
                db.fixed_ip_get_by_instance(context, instance_id)]
    except exception.NotFound:
        return []


def resolve_rules(context, instance_id):
    """The firewall rules (nova.virt.firewall format) of an instance."""
    admin = context.elevated()
    rules = []
    for rule in db.security_group_rules_of_instance(admin, instance_id):
        if rule['cidr']:
            rules.append(_rule(rule['protocol'], rule['from_port'],
                               rule['to_port'], rule['cidr']))
        elif rule['group_id'] is not None:
            try:
                grantee = db.security_group_get(admin, rule['group_id'])
            except exception.NotFound:
                continue
            for member in grantee['instances']:
                for address in _fixed_addresses(admin, member['id']):
                    rules.append(_rule(rule['protocol'], rule['from_port'],
                                       rule['to_port'], '%s/32' % address))
    return rules


def provider_rules(context):
    """The provider-wide DROP rules (nova.virt.firewall format)."""
    return [_rule(rule['protocol'], rule['from_port'], rule['to_port'],
                  rule['cidr'])
            for rule in db.provider_fw_rule_get_all(context.elevated())]


def _hosts_of_groups(context, group_ids):
    hosts = set()
    for group_id in group_ids:
        try:
            group = db.security_group_get(context, group_id)
        except exception.NotFound:
            continue
        for instance in group['instances']:
            if instance['host'] and not instance['deleted']:
                hosts.add(instance['host'])
    return hosts


class RefreshRefused(exception.NovaException):
    """No network info for a refresh: the current rules stay."""

    message = ('nova-network did not answer (%(error)s) and no network info '
               'of instance %(instance_id)s is known on this host: its '
               'firewall keeps its current rules until the next refresh')


class SecurityGroupsMixin(object):
    """Compute-manager RPC methods that keep guests' firewalls current."""

    @property
    def network_info_cache(self):
        """The last known network info of this host's instances."""
        cache = getattr(self, '_network_info_cache', None)
        if cache is None:
            cache = self._network_info_cache = \
                network_cache.NetworkInfoCache()
        return cache

    def _last_known_network_info(self, instance_id):
        """The network info last got for an instance ([] if none)."""
        return self.network_info_cache.get(instance_id) or []

    def _forget_network_info(self, instance_id):
        """Drop the cached network info of a terminated instance."""
        self.network_info_cache.forget(instance_id)

    def _refresh_network_info(self, context, instance):
        """The instance's network info from nova-network, else the last
        known one; raises :class:`RefreshRefused` when neither is had."""
        if FLAGS.get('stub_network', False):
            return []
        try:
            network_info = self.network_api.get_instance_nw_info(context,
                                                                 instance)
        except Exception as error:  # noqa: BLE001 - any failure: fall back
            cached = self.network_info_cache.get(instance['id'])
            if not cached:
                raise RefreshRefused(error=type(error).__name__,
                                     instance_id=instance['id'])
            LOG.warning('nova-network did not answer (%s): refreshing the '
                        'firewall of instance %s from its last known '
                        'network info', type(error).__name__,
                        instance['id'])
            return cached
        self.network_info_cache.put(instance['id'], network_info)
        return network_info

    def _filter_instances(self, context, group_ids=None):
        admin = context.elevated()
        for instance in db.instance_get_all_by_host(admin, self.host):
            if group_ids is not None:
                mine = set(g['id'] for g in db.security_group_get_by_instance(
                    admin, instance['id']))
                if not mine & set(group_ids):
                    continue
            yield instance

    def apply_security_groups(self, context, instance, network_info):
        """Resolve and hand the instance's rules to the hypervisor."""
        rules = resolve_rules(context, instance['id'])
        if network_info:
            self.network_info_cache.put(instance['id'], network_info)
        self.driver.refresh_instance_security_rules(instance, network_info,
                                                    rules)
        return rules

    def _refresh_members_of(self, context, group_ids):
        """Tell hosts whose rules name an instance's groups, ``group_ids``
        (read with the instance; best effort)."""
        try:
            TriggerMixin().trigger_security_group_members_refresh(context,
                                                                  group_ids)
        except Exception:  # noqa: BLE001 - the instance itself is fine
            LOG.exception('could not refresh the members of groups %s',
                          group_ids)

    def _refresh(self, context, instances):
        for instance in instances:
            try:
                network_info = self._refresh_network_info(context, instance)
                self.apply_security_groups(context, instance, network_info)
            except RefreshRefused as refused:
                LOG.error('%s', refused)
            except Exception:  # noqa: BLE001 - the next instance still counts
                LOG.exception('refreshing the firewall of instance %s failed',
                              instance['id'])

    def refresh_security_group_rules(self, context, security_group_id,
                                     **_kwargs):
        """A group's rules changed: refresh this host's members."""
        self._refresh(context, list(self._filter_instances(
            context, [security_group_id])))

    def refresh_security_group_members(self, context, security_group_id,
                                       **_kwargs):
        """A group's members changed: refresh instances it is granted to."""
        admin = context.elevated()
        granting = [rule['parent_group_id'] for rule in
                    db.security_group_rule_get_by_security_group_grantee(
                        admin, security_group_id)]
        if granting:
            self._refresh(context, list(self._filter_instances(context,
                                                               granting)))

    def refresh_provider_fw_rules(self, context, **_kwargs):
        """The provider rules changed: re-read them and re-apply."""
        rules = provider_rules(context)
        self.driver.refresh_provider_fw_rules(rules)
        return len(rules)


class TriggerMixin(object):
    """Compute-API side: cast refreshes to the hosts that need them."""

    def trigger_security_group_rules_refresh(self, context,
                                             security_group_id):
        """Cast ``refresh_security_group_rules`` to the group's hosts.

        The casts go through the outbox (one transaction): a broker
        outage delays the refresh, it never loses it.
        """
        with db.session_scope():
            for host in _hosts_of_groups(context.elevated(),
                                         [security_group_id]):
                outbox.cast(context, '%s.%s' % (FLAGS.compute_topic, host),
                            {'method': 'refresh_security_group_rules',
                             'args': {'security_group_id':
                                      security_group_id}})

    def trigger_security_group_members_refresh(self, context, group_ids):
        """Cast ``refresh_security_group_members`` to the hosts of groups
        that grant access to any of ``group_ids`` (through the outbox)."""
        admin = context.elevated()
        granting = db.security_group_granting(admin, group_ids)
        if not granting:
            return
        with db.session_scope():
            for group_id in group_ids:
                for host in _hosts_of_groups(admin,
                                             granting.get(group_id, ())):
                    outbox.cast(context,
                                '%s.%s' % (FLAGS.compute_topic, host),
                                {'method': 'refresh_security_group_members',
                                 'args': {'security_group_id': group_id}})

    def trigger_provider_fw_rules_refresh(self, context):
        """Cast ``refresh_provider_fw_rules`` to every compute host.

        Disabled hosts count too: their instances still run there.  The
        casts go through the outbox, as the group refreshes do.
        """
        hosts = sorted(set(service['host'] for service in
                           db.service_get_all(context.elevated())
                           if service['topic'] == FLAGS.compute_topic))
        with db.session_scope():
            for host in hosts:
                outbox.cast(context, '%s.%s' % (FLAGS.compute_topic, host),
                            {'method': 'refresh_provider_fw_rules',
                             'args': {}})
        return hosts
