"""The network info nova-compute last got for each of its instances.

A security-group refresh rebuilds an instance's firewall chain, which needs
the instance's network info (its fixed IPs, DHCP server, networks) from
nova-network.  When nova-network does not answer, a chain built from no
network info would drop the jumps to the instance's rules and leave the
guest unfiltered until the next refresh.  So every network info compute
gets (at build, and from each refresh) is kept here, in memory and as one
JSON file per instance under ``--network_info_cache_path`` (it outlives a
restart of nova-compute), and a refresh during an outage uses the last
known one instead.  Fixed IPs do not change during an instance's life, so
the last known info stays right until the instance is terminated, when its
entry is dropped.
"""

import json
import logging
import os
import itertools
import threading

from nova import flags

LOG = logging.getLogger('nova.compute.network_cache')
FLAGS = flags.FLAGS
_TEMP_NUMBERS = itertools.count()

flags.DEFINE_string('network_info_cache_path', '$state_path/network_info',
                    'where nova-compute keeps the last network info of '
                    'each instance (used when nova-network does not answer)')


class NetworkInfoCache(object):
    """Per-instance last known network info (memory, backed by files)."""

    def __init__(self, path=None):
        self._path = path
        self._memory = {}
        self._lock = threading.Lock()

    @property
    def path(self):
        """The directory of the files (``--network_info_cache_path``)."""
        return os.path.abspath(self._path or FLAGS.network_info_cache_path)

    def _file(self, instance_id):
        return os.path.join(self.path, '%d.json' % int(instance_id))

    def put(self, instance_id, network_info):
        """Remember ``network_info`` of an instance (written atomically)."""
        text = json.dumps(network_info, default=str)
        value = json.loads(text)
        with self._lock:
            if self._memory.get(instance_id) == value:
                return
            self._memory[instance_id] = value
        try:
            os.makedirs(self.path, exist_ok=True)
            # one write of the text already made (json.dump encodes piece
            # by piece in Python); a name of this process's own for the
            # temporary file, renamed over the old one.
            temp = os.path.join(self.path, '.tmp-%d-%d' % (
                os.getpid(), next(_TEMP_NUMBERS)))
            with open(temp, 'w') as f:
                f.write(text)
            os.replace(temp, self._file(instance_id))
        except OSError as error:
            LOG.warning('Could not store the network info of instance %s '
                        '(%s); it is kept in memory only', instance_id,
                        error)

    def get(self, instance_id):
        """The last known network info of an instance, or None."""
        with self._lock:
            if instance_id in self._memory:
                return self._memory[instance_id]
        try:
            with open(self._file(instance_id)) as f:
                value = json.load(f)
        except (OSError, ValueError):
            return None
        with self._lock:
            self._memory[instance_id] = value
        return value

    def forget(self, instance_id):
        """Drop what is known of an instance (it was terminated)."""
        with self._lock:
            self._memory.pop(instance_id, None)
        try:
            os.unlink(self._file(instance_id))
        except OSError:
            pass
