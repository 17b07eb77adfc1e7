"""A real Glance API server (PyPI's glance, v2 only) for integration tests.

:func:`install` runs ``tools/glance/install_glance.sh`` (its own venv,
idempotent) and says why when it cannot.  :class:`GlanceServer` runs
``glance.wsgi.api:application`` under gunicorn (Glance 33 no longer runs
standalone) on 127.0.0.1 and a free port, everything in one temporary
directory:

* ``glance-api.conf``: SQLite database (``glance-manage db_sync``), the
  ``file`` store (``enabled_backends = fs:file``) and the reserved staging
  and tasks stores under the directory, one worker, images up to
  :data:`SIZE_CAP` bytes;
* ``glance-api-paste.ini``: Glance's own filters without Keystone's
  ``authtoken``: ``versionnegotiation context rootapp``.  Glance's
  ``context`` filter then takes the caller from the identity headers
  (``X-Identity-Status: Confirmed``, ``X-Project-Id``, ``X-Roles``...), as
  a Glance deployed without Keystone does; Glance's default policy is
  left as it ships (members write in their project, only ``admin`` makes
  an image public).
"""

import json
import os
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.integration.venv_server import VenvServer
from tests.integration.venv_server import run_installer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
INSTALLER = os.path.join(REPO, 'tools', 'glance', 'install_glance.sh')
#: Glance's image_size_cap here: larger uploads are refused (413)
SIZE_CAP = 16 * 1024 * 1024
INSTALL_TIMEOUT = int(os.environ.get('NOVA_GLANCE_INSTALL_TIMEOUT', '600'))

PASTE = """\
[composite:glance-api]
paste.composite_factory = glance.api:root_app_factory
/: api

[composite:api]
paste.composite_factory = glance.api:pipeline_factory
default = versionnegotiation context rootapp

[composite:rootapp]
paste.composite_factory = glance.api:root_app_factory
/: apiversions
/v2: apiv2app

[app:apiversions]
paste.app_factory = glance.api.versions:create_resource

[app:apiv2app]
paste.app_factory = glance.api.v2.router:API.factory

[filter:versionnegotiation]
paste.filter_factory = \
glance.api.middleware.version_negotiation:VersionNegotiationFilter.factory

[filter:context]
paste.filter_factory = \
glance.api.middleware.context:ContextMiddleware.factory
"""

CONF = """\
[DEFAULT]
bind_host = 127.0.0.1
bind_port = {port}
workers = 1
enabled_backends = fs:file
image_size_cap = {size_cap}
log_file = {root}/glance-api.log
use_stderr = false

[database]
connection = sqlite:///{root}/glance.sqlite

[paste_deploy]
flavor =
config_file = {root}/glance-api-paste.ini

[glance_store]
default_backend = fs

[fs]
filesystem_store_datadir = {root}/images

[os_glance_staging_store]
filesystem_store_datadir = {root}/staging

[os_glance_tasks_store]
filesystem_store_datadir = {root}/tasks
"""


def install():
    """``(venv, seconds, None)`` once Glance is installed, or ``(None,
    seconds, reason)`` when it cannot be (no network, no venv module...)."""
    return run_installer(INSTALLER, INSTALL_TIMEOUT, 'glance')


class GlanceServer(VenvServer):
    """glance-api from ``venv`` with its state under ``root``."""

    name = 'glance-api'
    logs = ('glance-api.log',)

    def __init__(self, venv, root, authtoken=None):
        super(GlanceServer, self).__init__(venv, root)
        #: keystonemiddleware auth_token options: when given, Glance sits
        #: behind Keystone (``versionnegotiation authtoken context``)
        self.authtoken = authtoken

    @property
    def address(self):
        """``host:port`` for ``--glance_api_servers``."""
        return '127.0.0.1:%d' % self.port

    def _paste(self):
        if not self.authtoken:
            return PASTE
        text = PASTE.replace('default = versionnegotiation context',
                             'default = versionnegotiation authtoken context')
        text += ('\n[filter:authtoken]\npaste.filter_factory = '
                 'keystonemiddleware.auth_token:filter_factory\n')
        return text + ''.join('%s = %s\n' % item
                              for item in sorted(self.authtoken.items()))

    def start(self, timeout=90):
        """Write the config, sync the database, serve; returns self."""
        for sub in ('images', 'staging', 'tasks'):
            os.makedirs(os.path.join(self.root, sub), exist_ok=True)
        with open(os.path.join(self.root, 'glance-api.conf'), 'w') as conf:
            conf.write(CONF.format(port=self.port, root=self.root,
                                   size_cap=SIZE_CAP))
        with open(os.path.join(self.root, 'glance-api-paste.ini'),
                  'w') as paste:
            paste.write(self._paste())
        conf_file = os.path.join(self.root, 'glance-api.conf')
        sync = subprocess.run(
            [self.bin('glance-manage'),
             '--config-file', conf_file, 'db_sync'],
            capture_output=True, text=True, timeout=120)
        if sync.returncode != 0:
            raise RuntimeError('glance-manage db_sync failed: %s'
                               % sync.stderr[-2000:])
        env = dict(os.environ, OS_GLANCE_CONFIG_DIR=self.root)
        env.pop('PYTHONPATH', None)
        return self.serve('glance.wsgi.api:application', env, threads=4,
                          timeout=timeout)

    def answers(self):
        """Whether the versions document is served."""
        return self.versions() is not None

    def versions(self):
        """The versions document at ``GET /`` (None when not answering)."""
        url = 'http://%s/' % self.address
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code == 300:
                return json.loads(exc.read())
            return None
        except OSError:
            return None

    def listening_addresses(self):
        """The IPv4/IPv6 addresses sockets listen on at this port (from
        /proc/net/tcp*), e.g. ``{'127.0.0.1'}``."""
        found = set()
        for name, size in (('tcp', 8), ('tcp6', 32)):
            try:
                with open('/proc/net/%s' % name) as table:
                    rows = table.readlines()[1:]
            except OSError:
                continue
            for row in rows:
                fields = row.split()
                address, port = fields[1].split(':')
                if fields[3] != '0A' or int(port, 16) != self.port:
                    continue
                raw = bytes.fromhex(address)
                if size == 8:
                    found.add('.'.join(str(b) for b in reversed(raw)))
                else:
                    found.add(raw.hex())
        return found


@pytest.fixture(scope='module')
def glance_api(tmp_path_factory):
    """A running :class:`GlanceServer` for a module's tests (Glance is
    installed first if need be; the tests skip, with the reason, only when
    it cannot be)."""
    venv, took, reason = install()
    if venv is None:
        pytest.skip(reason)
    print('glance venv ready in %.1fs: %s' % (took, venv))
    start = time.time()
    instance = GlanceServer(venv, tmp_path_factory.mktemp('glance'))
    instance.start()
    print('glance-api up in %.1fs on %s' % (time.time() - start,
                                            instance.address))
    yield instance
    instance.stop()
