"""``/zones`` (with ``--allow_admin_api``, for cloud administrators):
this zone and its child zones, as Diablo's zone API.

* ``GET /zones``, ``/zones/detail``: the child zones of the ``zones`` table
  (``id``, ``api_url``, ``weight_offset``, ``weight_scale``; never the
  credentials), paged as v1.0 (``offset``/``limit``).
* ``GET /zones/{id}``, ``POST /zones`` (``{"zone": {"api_url",
  "username", "password", …}}``), ``PUT /zones/{id}``, ``DELETE
  /zones/{id}``: child zone rows (create/update answer the zone).
* ``GET /zones/info``: ``{"zone": {"name": --zone_name, <key>: <value> of
  --zone_capabilities, <service>_<capability>: "min,max" of the hosts the
  schedulers heard from}}``.
* ``POST /zones/select`` and ``POST /zones/boot`` belong to the zone-aware
  scheduler (build plans across zones), which this cloud does not have:
  501 ``notImplemented``, never a made-up plan.  Without
  ``--build_plan_encryption_key`` Diablo refused ``select`` before asking
  the scheduler; that refusal (400) comes first here too.
"""

import webob
import webob.exc

from nova import exception
from nova import flags
from nova import legacy_flags  # noqa: F401 - zone_name, zone_capabilities
from nova import rpc
from nova.api.openstack import accounts
from nova.api.openstack import common

FLAGS = flags.FLAGS

#: columns a zone body may set.
WRITABLE = ('api_url', 'username', 'password', 'weight_offset',
            'weight_scale')


def _view(zone):
    return {'id': zone['id'], 'api_url': zone['api_url'],
            'weight_offset': zone['weight_offset'],
            'weight_scale': zone['weight_scale']}


def _values(body, creating):
    zone = body.get('zone') if isinstance(body, dict) else None
    if not isinstance(zone, dict):
        raise common.bad_request('Malformed request body')
    values = {}
    for key in WRITABLE:
        if key not in zone:
            continue
        value = zone[key]
        if key.startswith('weight_'):
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise common.bad_request('%s must be a number' % key)
        elif not isinstance(value, str) or len(value) > 255:
            raise common.bad_request('Invalid %s' % key)
        values[key] = value
    if creating and not values.get('api_url'):
        raise common.bad_request('A zone needs an api_url.')
    if 'api_url' in values and not values['api_url'].startswith(
            ('http://', 'https://')):
        raise common.bad_request('api_url must be an http(s) URL')
    return values


class Controller(object):
    """Child zones in the database; this zone's facts from the flags and
    the schedulers."""

    def __init__(self, database=None):
        self._db = database

    @property
    def db(self):
        """``nova.db``."""
        if self._db is None:
            from nova import db
            self._db = db
        return self._db

    @staticmethod
    def _context(req):
        accounts.require_admin(req)
        return common.context_of(req)

    def _get(self, ctxt, id):
        try:
            return self.db.zone_get(ctxt, int(id))
        except (ValueError, exception.NotFound):
            raise common.not_found('Zone %s could not be found.' % id)

    def index(self, req, **_args):
        """``{"zones": [...]}``."""
        zones = self.db.zone_get_all(self._context(req))
        return {'zones': [_view(z) for z in common.limited(req, zones)]}

    def detail(self, req, **_args):
        """The same as :meth:`index`, as Diablo."""
        return self.index(req)

    def show(self, req, id, **_args):
        """``{"zone": {...}}``; 404 for an unknown id."""
        return {'zone': _view(self._get(self._context(req), id))}

    def create(self, req, body=None, **_args):
        """A new child zone."""
        ctxt = self._context(req)
        zone = self.db.zone_create(ctxt, _values(body, True))
        return {'zone': _view(zone)}

    def update(self, req, id, body=None, **_args):
        """Change a child zone."""
        ctxt = self._context(req)
        values = _values(body, False)
        self._get(ctxt, id)
        return {'zone': _view(self.db.zone_update(ctxt, int(id), values))}

    def delete(self, req, id, **_args):
        """Forget a child zone: 200 with an empty body."""
        ctxt = self._context(req)
        self._get(ctxt, id)
        self.db.zone_delete(ctxt, int(id))
        return webob.Response(status=200, content_type='application/json',
                              body=b'{}')

    def info(self, req, **_args):
        """This zone's name and capabilities."""
        ctxt = self._context(req)
        zone = {'name': FLAGS.get('zone_name', 'nova')}
        for item in FLAGS.get('zone_capabilities', []) or []:
            key, sep, value = str(item).partition('=')
            if sep:
                zone[key] = value
        from nova.scheduler import api as scheduler_api
        try:
            ranges = scheduler_api.get_service_capabilities(ctxt)
        except (rpc.RemoteError, rpc.Timeout):
            raise webob.exc.HTTPServiceUnavailable(
                explanation='The scheduler did not answer; try again.')
        for key, (low, high) in sorted(ranges.items()):
            zone[key] = '%s,%s' % (low, high)
        return {'zone': zone}

    def select(self, req, **_args):
        """Build plans need the zone-aware scheduler: 501."""
        self._context(req)
        if not FLAGS.get('build_plan_encryption_key'):
            raise common.bad_request('--build_plan_encryption_key not set')
        raise webob.exc.HTTPNotImplemented(
            explanation='Zone-aware scheduling (build plans) is not '
                        'available in this cloud.')

    def boot(self, req, **_args):
        """Booting across zones needs the zone-aware scheduler: 501."""
        self._context(req)
        raise webob.exc.HTTPNotImplemented(
            explanation='Zone-aware scheduling (build plans) is not '
                        'available in this cloud.')
