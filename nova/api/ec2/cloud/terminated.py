"""Terminated instances stay visible for a while, as on AWS.

Terminating soft-deletes the row (``deleted``, ``deleted_at``, vm_state
``deleted``).  For ``--terminated_instance_visibility`` seconds after that,
DescribeInstances still shows the instance as ``terminated`` (code 48) --
by id, in listings and through ``instance-state-name=terminated`` -- so that
``aws ec2 wait instance-terminated`` and boto3's ``instance_terminated``
waiter see it end.  AWS keeps them about an hour; 0 hides them at once
(Diablo's behaviour).
"""

import datetime

from nova import flags
from nova import utils

FLAGS = flags.FLAGS

flags.DEFINE_integer('terminated_instance_visibility', 3600,
                     'seconds a terminated instance stays visible (as '
                     'terminated) to DescribeInstances; 0 hides it at once')


def recently_terminated(compute_api, context, search):
    """The instances matching ``search`` terminated within the window."""
    seconds = FLAGS.terminated_instance_visibility
    if not seconds or seconds <= 0:
        return []
    since = utils.utcnow() - datetime.timedelta(seconds=seconds)
    opts = dict(search, deleted='only')
    opts['deleted-since'] = since
    return compute_api.get_listing(context, opts)


def with_recently_terminated(compute_api, context, search, instances):
    """``instances`` followed by those terminated within the window."""
    live = set(i['id'] for i in instances)
    gone = [i for i in recently_terminated(compute_api, context, search)
            if i['id'] not in live]
    return list(instances) + gone
