"""Whether a service is alive, judged from its last heartbeat."""

import datetime

from nova import flags
from nova import utils

FLAGS = flags.FLAGS

flags.DEFINE_integer('service_down_time', 60,
                     'seconds without a heartbeat before a service is down')


def last_heartbeat(service):
    """When the service last reported (updated_at, else created_at)."""
    return service['updated_at'] or service['created_at']


def service_is_up(service, now=None):
    """True if the service reported within ``--service_down_time`` seconds."""
    seen = last_heartbeat(service)
    if seen is None:
        return False
    now = now or utils.utcnow()
    elapsed = now - seen
    return abs(elapsed) <= datetime.timedelta(seconds=FLAGS.service_down_time)
