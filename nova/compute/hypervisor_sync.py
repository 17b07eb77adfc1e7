"""Keeping the hypervisor and the database in agreement (compute manager).

A mixin of :class:`nova.compute.manager.ComputeManager`:

* **Orphan guests**: a domain whose name follows ``--instance_name_template``
  but that matches no live instance of this host (its row was deleted while
  nova-compute was down, or a killed build left it) is reported at start-up
  and periodically; with ``--running_deleted_instance_action=reap`` it is
  destroyed (and its files removed), with ``noop`` it is ignored.
* **Rescue timeout**: guests rescued for more than ``--rescue_timeout``
  seconds are unrescued (the driver knows when they were rescued) and their
  rows go back to ``active``.
"""

import logging
import re

from nova import db
from nova import flags
from nova import manager
from nova.compute import vm_states

FLAGS = flags.FLAGS
LOG = logging.getLogger('nova.compute.manager')

flags.DEFINE_string('running_deleted_instance_action', 'log',
                    'what to do with a guest of this host that has no live '
                    'instance: noop, log or reap (destroy it)')


def name_pattern(template=None):
    """A regex matching the names ``--instance_name_template`` makes."""
    template = template or FLAGS.instance_name_template
    parts = re.split(r'(%0?\d*[xd])', template)
    regex = ''
    for part in parts:
        if re.fullmatch(r'%0?\d*x', part):
            regex += '(?P<id>[0-9a-f]+)'
        elif re.fullmatch(r'%0?\d*d', part):
            regex += '(?P<dec>[0-9]+)'
        else:
            regex += re.escape(part)
    return re.compile('^%s$' % regex)


def instance_id_of(name, template=None):
    """The instance id encoded in a guest name, or None."""
    match = name_pattern(template).match(name)
    if not match:
        return None
    if match.groupdict().get('id'):
        return int(match.group('id'), 16)
    return int(match.group('dec'))


class HypervisorSyncMixin(object):
    """Orphan guests and rescue timeouts (see the module docstring)."""

    def find_orphan_guests(self, context, guest_names=None):
        """Names of this host's guests with no live instance row."""
        if guest_names is None:
            guest_names = self.driver.list_instances()
        known = set(instance['name'] for instance in
                    db.instance_get_all_by_host(context, self.host)
                    if instance['vm_state'] != vm_states.DELETED)
        return [name for name in guest_names
                if instance_id_of(name) is not None and name not in known]

    def _handle_orphan_guests(self, context, guest_names=None):
        action = (FLAGS.running_deleted_instance_action or 'log').lower()
        if action == 'noop':
            return []
        orphans = self.find_orphan_guests(context, guest_names)
        for name in orphans:
            if action == 'reap':
                LOG.warning('Destroying guest %s: no live instance of host '
                            '%s has it (--running_deleted_instance_action='
                            'reap)', name, self.host)
                try:
                    self.driver.destroy({'name': name,
                                         'id': instance_id_of(name)}, [])
                except Exception:  # noqa: BLE001 - logged, next one
                    LOG.exception('Could not destroy guest %s', name)
            else:
                LOG.warning('Guest %s runs on host %s but no live instance '
                            'has it; set --running_deleted_instance_action='
                            'reap to destroy such guests', name, self.host)
        return orphans

    @manager.periodic_task(ticks_between_runs=5)
    def _check_orphan_guests(self, context):
        """Report (or reap) guests no instance owns."""
        self._handle_orphan_guests(context)

    @manager.periodic_task
    def _poll_rescued_instances(self, context):
        """Unrescue guests rescued longer than ``--rescue_timeout``."""
        timeout = FLAGS.rescue_timeout
        if not timeout or timeout <= 0:
            return []
        rescued = [instance for instance in
                   db.instance_get_all_by_host(context, self.host)
                   if instance['vm_state'] == vm_states.RESCUED and
                   instance['task_state'] is None]
        if not rescued:
            return []
        try:
            done = self.driver.poll_rescued_instances(timeout, rescued)
        except NotImplementedError:
            return []
        except TypeError:
            # A driver with Diablo's signature (timeout only).
            self.driver.poll_rescued_instances(timeout)
            return []
        for instance in done or []:
            LOG.info('Instance %s unrescued after --rescue_timeout=%ss',
                     instance['id'], timeout)
            self._update(context, instance['id'], vm_state=vm_states.ACTIVE,
                         task_state=None,
                         power_state=self._power_state(instance))
        return done or []
