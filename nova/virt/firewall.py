"""Firewall drivers: the security groups of the guests on one compute host.

A hypervisor driver (libvirt) owns one firewall driver, loaded from
``--firewall_driver``, and calls it around a guest's life:

* before the domain starts: :meth:`FirewallDriver.setup_basic_filtering`,
  then :meth:`FirewallDriver.prepare_instance_filter`;
* once the domain exists: :meth:`FirewallDriver.apply_instance_filter`;
* after the domain is destroyed: :meth:`FirewallDriver.unfilter_instance`;
* when nova-compute starts: :meth:`FirewallDriver.restore_filters`, every
  guest of the host at once (the previous process's rules stay in the
  kernel until this one replaces them in the same write).

Drivers never read the database: the compute manager resolves what they
need and passes it in.  ``rules`` is a list of dicts, one per allowed
ingress flow, with source-group rules already expanded into the members'
addresses::

    {'protocol': 'tcp' | 'udp' | 'icmp' | None,   # None: any protocol
     'from_port': int | None, 'to_port': int | None,  # ICMP: type, code
     'cidr': '10.0.0.0/24'}

:class:`NoopFirewallDriver` enforces nothing; it is for the fake driver and
for tests that do not look at packets.  :class:`IptablesFirewallDriver`
enforces the rules with iptables (see its docstring).
"""

import ipaddress
import logging

from nova import flags

LOG = logging.getLogger('nova.virt.firewall')
FLAGS = flags.FLAGS

flags.DEFINE_bool('allow_same_net_traffic', True,
                  'allow traffic between instances of the same network')


class FirewallDriver(object):
    """The interface of the firewall drivers (see the module docstring)."""

    def setup_basic_filtering(self, instance, network_info):
        """Install what every guest gets (anti-spoofing, DHCP) before boot."""
        raise NotImplementedError()

    def prepare_instance_filter(self, instance, network_info, rules=None):
        """Build the guest's filter from its security-group ``rules``."""
        raise NotImplementedError()

    def apply_instance_filter(self, instance, network_info):
        """Make the prepared filter of the guest take effect on the host."""
        raise NotImplementedError()

    def refresh_instance_filter(self, instance, network_info, rules):
        """Replace the guest's rules after its groups or their members changed."""
        raise NotImplementedError()

    def refresh_provider_fw_rules(self, rules):
        """Replace the provider-wide rules (``provider_fw_rules``)."""
        raise NotImplementedError()

    def unfilter_instance(self, instance, network_info):
        """Remove every rule of the guest (after its domain is gone)."""
        raise NotImplementedError()

    def instance_filter_exists(self, instance, network_info):
        """Whether the guest's filter is in place (for live migration)."""
        raise NotImplementedError()

    def restore_filters(self, filters, provider_rules, keep=()):
        """Rebuild the filters of every guest of a (re)started host at once.

        ``filters`` holds one ``(instance, network_info, rules)`` per guest
        whose filter is rebuilt, ``keep`` the instances whose filter stays
        as the host has it now (nothing is known to rebuild it from), and
        ``provider_rules`` the provider-wide rules.
        """
        raise NotImplementedError()


class NoopFirewallDriver(FirewallDriver):
    """Enforces nothing: every call succeeds and changes nothing."""

    def setup_basic_filtering(self, instance, network_info):
        """Nothing to set up."""

    def prepare_instance_filter(self, instance, network_info, rules=None):
        """Nothing to prepare."""

    def apply_instance_filter(self, instance, network_info):
        """Nothing to apply."""

    def refresh_instance_filter(self, instance, network_info, rules):
        """Nothing to refresh."""

    def refresh_provider_fw_rules(self, rules):
        """Nothing to refresh."""

    def unfilter_instance(self, instance, network_info):
        """Nothing to remove."""

    def instance_filter_exists(self, instance, network_info):
        """Always true: there is nothing to wait for."""
        return True

    def restore_filters(self, filters, provider_rules, keep=()):
        """Nothing to restore."""


class IptablesFirewallDriver(FirewallDriver):
    """Security groups as iptables chains (Diablo's layout).

    The driver shares the process's iptables manager
    (:data:`nova.network.linux_net.iptables_manager`, wrap prefix
    ``nova-compute`` inside nova-compute).  Each instance gets the chain
    ``<bin>-inst-<id>``, reached from ``<bin>-local`` (at the top of FORWARD
    and OUTPUT) for packets to its fixed IPs:

    1. drop INVALID, accept ESTABLISHED,RELATED;
    2. jump to ``<bin>-provider`` (the provider's DROP rules);
    3. accept DHCP replies from the network's DHCP server;
    4. with ``--allow_same_net_traffic``, accept the instance's networks;
    5. one ACCEPT per security-group rule (source groups already expanded
       by the compute manager into their members' addresses);
    6. jump to ``<bin>-sg-fallback``, which drops everything else.

    Only traffic *to* an instance is filtered, as in Diablo.
    """

    def __init__(self, iptables_manager=None):
        if iptables_manager is None:
            from nova.network.linux_net import iptables_manager
        self.iptables = iptables_manager
        self.instances = {}
        for table in self._filter_tables():
            table.add_chain('sg-fallback')
            table.add_rule('sg-fallback', '-j DROP')
            table.add_chain('provider')

    def _filter_tables(self):
        tables = [self.iptables.ipv4['filter']]
        if FLAGS.use_ipv6:
            tables.append(self.iptables.ipv6['filter'])
        return tables

    @staticmethod
    def _id(instance):
        return instance['id']

    def setup_basic_filtering(self, instance, network_info):
        """Make sure the shared chains exist in the kernel."""
        self.iptables.apply()

    def prepare_instance_filter(self, instance, network_info, rules=None):
        """Build and apply the instance's chain from its ``rules``.

        Given no network info for an instance whose chain was built with
        some (its caller could not reach nova-network), the chain keeps the
        network info it was built with: a chain rebuilt without the
        instance's addresses would let its traffic bypass every rule.
        """
        known = self.instances.get(self._id(instance))
        if not network_info and known is not None and known[1]:
            LOG.warning('No network info for instance %s: its firewall '
                        'keeps the addresses it was built with',
                        self._id(instance))
            network_info = known[1]
        self.instances[self._id(instance)] = (instance, network_info,
                                              list(rules or []))
        self._build(instance, network_info, rules or [])
        self.iptables.apply()

    def apply_instance_filter(self, instance, network_info):
        """Nothing more to do: the chain is live once prepared."""

    def refresh_instance_filter(self, instance, network_info, rules):
        """Rebuild the instance's chain with new ``rules``; applies."""
        self.prepare_instance_filter(instance, network_info, rules)

    def refresh_provider_fw_rules(self, rules):
        """Replace the provider chain's DROP rules; applies."""
        self._set_provider_rules(rules)
        self.iptables.apply()

    def restore_filters(self, filters, provider_rules, keep=()):
        """Rebuild every guest's chain, then write them in one apply.

        The process that ran before kept its chains in the kernel, and an
        apply replaces every chain of this binary with the ones held in
        memory: so the chains of all guests are built first and reach the
        kernel in the same ``iptables-restore`` (atomic per table) that
        drops the old ones.  No guest is unfiltered in between.  The
        chain of an instance in ``keep`` is read back from the kernel and
        held as it is (with its jump), so the apply writes it unchanged.
        """
        for instance in keep:
            self._adopt(instance)
        for instance, network_info, rules in filters:
            self.instances[self._id(instance)] = (instance, network_info,
                                                  list(rules or []))
            self._build(instance, network_info, rules or [])
        self._set_provider_rules(provider_rules)
        self.iptables.apply()

    def _adopt(self, instance):
        """Hold the instance's chain and jumps as the kernel has them."""
        chain = 'inst-%s' % self._id(instance)
        prefix = '%s-' % self.iptables.binary_name
        families = [('iptables-save', self.iptables.ipv4['filter'])]
        if FLAGS.use_ipv6:
            families.append(('ip6tables-save', self.iptables.ipv6['filter']))
        found = False
        for command, table in families:
            saved, _err = self.iptables.execute(command, '-t', 'filter')
            rules = [line.split()[1:] for line in saved.splitlines()
                     if line.startswith('-A ')]
            own = [words[1:] for words in rules if words[0] == prefix + chain]
            jumps = [words[1:] for words in rules
                     if words[0] == prefix + 'local' and
                     prefix + chain in words[1:]]
            if not own:
                continue
            found = True
            table.remove_chain(chain)
            table.add_chain(chain)
            for words in jumps:
                table.add_rule('local', _wrap_words(words, prefix))
            for words in own:
                table.add_rule(chain, _wrap_words(words, prefix))
        if not found:
            LOG.warning('Instance %s has no firewall chain on this host to '
                        'keep', self._id(instance))
        return found

    def _set_provider_rules(self, rules):
        for table in self._filter_tables():
            table.empty_chain('provider')
        for rule in rules:
            version = _ip_version(rule.get('cidr'))
            table = self.iptables.ipv4['filter'] if version == 4 else \
                self.iptables.ipv6['filter']
            words = _rule_words(rule, version)
            table.add_rule('provider', ' '.join(words + ['-j', 'DROP']))

    def unfilter_instance(self, instance, network_info):
        """Remove the instance's chain and the jumps to it; applies."""
        chain = 'inst-%s' % self._id(instance)
        self.instances.pop(self._id(instance), None)
        for table in (self.iptables.ipv4['filter'],
                      self.iptables.ipv6['filter']):
            table.remove_chain(chain)
        self.iptables.apply()

    def instance_filter_exists(self, instance, network_info):
        """Whether the instance's chain is declared."""
        return self.iptables.ipv4['filter'].has_chain(
            'inst-%s' % self._id(instance))

    def _build(self, instance, network_info, rules):
        chain = 'inst-%s' % self._id(instance)
        v4 = self.iptables.ipv4['filter']
        v6 = self.iptables.ipv6['filter']
        tables = [(v4, 4)] + ([(v6, 6)] if FLAGS.use_ipv6 else [])
        for table, _unused in tables:
            table.remove_chain(chain)
            table.add_chain(chain)
        for _network, info in network_info or []:
            for ip in info.get('ips', []):
                v4.add_rule('local', '-d %s -j $%s' % (ip['ip'], chain))
            if FLAGS.use_ipv6:
                for ip in info.get('ip6s', []):
                    v6.add_rule('local', '-d %s -j $%s' % (ip['ip'], chain))
        for table, _unused in tables:
            table.add_rule(chain, '-m state --state INVALID -j DROP')
            table.add_rule(chain, '-m state --state ESTABLISHED,RELATED '
                           '-j ACCEPT')
            table.add_rule(chain, '-j $provider')
        for network, info in network_info or []:
            if info.get('dhcp_server'):
                v4.add_rule(chain, '-s %s -p udp --sport 67 --dport 68 '
                            '-j ACCEPT' % info['dhcp_server'])
            if FLAGS.allow_same_net_traffic and network.get('cidr'):
                v4.add_rule(chain, '-s %s -j ACCEPT' % network['cidr'])
            if FLAGS.use_ipv6:
                if info.get('gateway6'):
                    v6.add_rule(chain, '-s %s/128 -p icmpv6 -j ACCEPT'
                                % info['gateway6'])
                if FLAGS.allow_same_net_traffic and network.get('cidr_v6'):
                    v6.add_rule(chain, '-s %s -j ACCEPT' % network['cidr_v6'])
        for rule in rules:
            version = _ip_version(rule.get('cidr'))
            if version == 6 and not FLAGS.use_ipv6:
                continue
            table = v4 if version == 4 else v6
            table.add_rule(chain, ' '.join(['-j', 'ACCEPT'] +
                                           _rule_words(rule, version)))
        for table, _unused in tables:
            table.add_rule(chain, '-j $sg-fallback')


def _wrap_words(words, prefix):
    """Rule text with this binary's chain names as ``$name`` again."""
    return ' '.join('$' + word[len(prefix):] if word.startswith(prefix)
                    else word for word in words)


def _ip_version(cidr):
    if not cidr:
        return 4
    return ipaddress.ip_network(cidr, strict=False).version


def _rule_words(rule, version):
    """``-p``/port/ICMP/``-s`` words of one rule (Diablo's translation)."""
    words = []
    protocol = rule.get('protocol')
    if protocol:
        protocol = protocol.lower()
        if protocol == 'icmp' and version == 6:
            protocol = 'icmpv6'
        words += ['-p', protocol]
    from_port, to_port = rule.get('from_port'), rule.get('to_port')
    if protocol in ('tcp', 'udp') and from_port is not None:
        if from_port == to_port or to_port is None:
            words += ['--dport', str(from_port)]
        else:
            words += ['-m', 'multiport', '--dports',
                      '%s:%s' % (from_port, to_port)]
    elif protocol == 'icmp' and from_port is not None and from_port != -1:
        icmp_type = str(from_port)
        if to_port is not None and to_port != -1:
            icmp_type += '/%s' % to_port
        words += ['-m', 'icmp', '--icmp-type', icmp_type]
    if rule.get('cidr'):
        words += ['-s', rule['cidr']]
    return words
