"""``GET /limits``: the user's rate limits and the project's quotas.

``RateLimitingMiddleware`` lives in :mod:`.ratelimit`; it is also reachable
here under Diablo's paste path ``nova.api.openstack.limits``.
"""

import datetime

from nova import quota
from nova.api.openstack import common
from nova.api.openstack.ratelimit import RateLimitingMiddleware

#: quota name -> absolute-limit names (Diablo's).
_ABSOLUTE = (('ram', ('maxTotalRAMSize',)),
             ('instances', ('maxTotalInstances',)),
             ('cores', ('maxTotalCores',)),
             ('metadata_items', ('maxServerMeta', 'maxImageMeta')),
             ('injected_files', ('maxPersonality',)),
             ('injected_file_content_bytes', ('maxPersonalitySize',)))


def absolute_limits(quotas):
    """Diablo's ``absolute`` dict from a project's quotas."""
    result = {}
    for name, keys in _ABSOLUTE:
        value = quotas.get(name)
        if value is not None:
            for key in keys:
                result[key] = value
    return result


def rate_v11(limits):
    """v1.1 grouping: ``[{uri, regex, limit: [{verb, value, …}]}]``."""
    groups = []
    by_key = {}
    for limit in limits:
        key = (limit['URI'], limit['regex'])
        if key not in by_key:
            by_key[key] = {'uri': limit['URI'], 'regex': limit['regex'],
                           'limit': []}
            groups.append(by_key[key])
        stamp = datetime.datetime.utcfromtimestamp(limit['resetTime'])
        by_key[key]['limit'].append({
            'verb': limit['verb'], 'value': limit['value'],
            'remaining': limit['remaining'], 'unit': limit['unit'],
            'next-available': stamp.strftime('%Y-%m-%dT%H:%M:%SZ')})
    return groups


class Controller(object):
    """The limits of the request's user and project."""

    def __init__(self, version):
        self.version = version

    def index(self, req, **_args):
        """``{"limits": {"rate": [...], "absolute": {...}}}``."""
        ctxt = common.context_of(req)
        quotas = quota.get_project_quotas(ctxt, ctxt.project_id)
        rates = req.environ.get('nova.limits', [])
        if self.version != '1.0':
            rates = rate_v11(rates)
        return {'limits': {'rate': rates,
                           'absolute': absolute_limits(quotas)}}


__all__ = ['Controller', 'RateLimitingMiddleware', 'absolute_limits']
