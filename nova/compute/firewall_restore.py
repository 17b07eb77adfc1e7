"""The guests' firewalls when nova-compute (re)starts.

The kernel keeps the previous nova-compute's iptables chains after it
stopped, but the first apply of the new process replaces every chain of
its binary with the ones it holds in memory.  Diablo's ``init_host``
re-applied each running guest's filter (``ensure_filtering_rules_for_
instance``); here :func:`restore` builds the filters of every guest of the
host first and hands them to the hypervisor driver at once, so the first
apply already holds them: each table goes from the old chains to the new
ones in one ``iptables-restore`` and no guest is unfiltered in between.

A guest's filter needs its network info: nova-network's answer when it
gives one (kept in :mod:`nova.compute.network_cache`), else the last one
this host knew.  Once nova-network did not answer, the other guests use
their last known info without asking again (each call would wait for the
RPC timeout).  A guest with neither keeps its chain exactly as the kernel
has it, and the refusal is logged; the next refresh with nova-network
answering rebuilds it.
"""

import logging

from nova import db
from nova import exception
from nova import flags
from nova.compute import security_groups

LOG = logging.getLogger('nova.compute.firewall_restore')
FLAGS = flags.FLAGS


def _unreachable(error):
    """Whether nova-network could not be reached (vs answered an error)."""
    if isinstance(error, (exception.RpcTimeout, exception.RpcUnavailable)):
        return True
    return getattr(error, 'exc_type', None) in ('RpcTimeout',
                                                 'RpcUnavailable')


class _NetworkInfoSource(object):
    """nova-network's answers while it gives them, else the cache."""

    def __init__(self, manager, context):
        self.manager = manager
        self.context = context
        self.network_down = None

    def get(self, instance):
        """The instance's network info, or None when nothing is known."""
        if FLAGS.get('stub_network', False):
            return []
        cache = self.manager.network_info_cache
        if self.network_down is None:
            try:
                network_info = self.manager.network_api.get_instance_nw_info(
                    self.context, instance)
            except Exception as error:  # noqa: BLE001 - fall back
                if _unreachable(error):
                    self.network_down = type(error).__name__
                    LOG.warning('nova-network did not answer (%s): the '
                                'firewalls of this host are rebuilt from '
                                'their last known network info',
                                self.network_down)
                else:
                    LOG.warning('nova-network could not give the network '
                                'info of instance %s (%s); using its last '
                                'known one', instance['id'],
                                type(error).__name__)
            else:
                cache.put(instance['id'], network_info)
                return network_info
        return cache.get(instance['id']) or None


def _guests(manager, instances):
    """The instances whose guest the hypervisor has (all if it cannot
    say: a filter too many costs nothing, one too few exposes a guest)."""
    try:
        present = set(manager.driver.list_instances())
    except Exception:  # noqa: BLE001 - filter them all
        LOG.exception('Could not list the guests of the hypervisor; '
                      'rebuilding the firewall of every instance')
        return list(instances)
    return [i for i in instances if i['name'] in present]


def restore(manager, context):
    """Rebuild the firewall of every guest of ``manager``'s host in one
    apply (with the provider rules).  Returns ``(rebuilt, kept)``, the ids
    of the instances whose filter was rebuilt and of those left as the
    kernel has them."""
    admin = context.elevated()
    provider = security_groups.provider_rules(admin)
    source = _NetworkInfoSource(manager, admin)
    filters, keep = [], []
    for instance in _guests(manager,
                            db.instance_get_all_by_host(admin, manager.host)):
        network_info = source.get(instance)
        if network_info is None:
            LOG.error('nova-network gave no network info of instance %s '
                      '(%s) and none is known on this host: its firewall '
                      'keeps the rules it has until the next refresh',
                      instance['id'], source.network_down or 'an error')
            keep.append(instance)
            continue
        try:
            rules = security_groups.resolve_rules(admin, instance['id'])
        except Exception:  # noqa: BLE001 - keep what it has
            LOG.exception('Could not resolve the security groups of '
                          'instance %s; its firewall keeps its rules',
                          instance['id'])
            keep.append(instance)
            continue
        filters.append((instance, network_info, rules))
    manager.driver.restore_filtering_rules(filters, provider, keep)
    LOG.info('Firewall of %d instance(s) rebuilt, %d kept as they were',
             len(filters), len(keep))
    return [i['id'] for i, _n, _r in filters], [i['id'] for i in keep]
