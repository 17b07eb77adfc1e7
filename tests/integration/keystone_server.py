"""A real Keystone (PyPI's keystone 30, API v3) for integration tests.

:func:`install` runs ``tools/keystone/install_keystone.sh`` (its own venv,
idempotent) and says why when it cannot.  :class:`KeystoneServer` keeps
everything in one temporary directory: ``keystone.conf`` (SQLite, fernet
tokens, in-process memory cache, short token lifetime when asked), then
``keystone-manage db_sync``, ``fernet_setup``, ``credential_setup`` and
``bootstrap`` (user ``admin`` with role ``admin`` in project ``admin``,
the identity endpoint in the catalog).  gunicorn serves
``keystone.server.wsgi`` on 127.0.0.1 and a free port through a small
shim (keystone parses ``sys.argv`` at start and rejects gunicorn's), one
worker, one thread (SQLite does not take concurrent writers).

:class:`Admin` is a tiny client of Keystone's v3 API (urllib) for the
tests: tokens, users, projects, roles, EC2 credentials.
"""

import atexit
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from tests.integration.venv_server import VenvServer
from tests.integration.venv_server import run_installer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
INSTALLER = os.path.join(REPO, 'tools', 'keystone', 'install_keystone.sh')
INSTALL_TIMEOUT = int(os.environ.get('NOVA_KEYSTONE_INSTALL_TIMEOUT', '900'))
ADMIN_PASSWORD = 'keystone-admin-secret'
SERVICE_PASSWORD = 'nova-service-secret'

CONF = """\
[DEFAULT]
log_file = {root}/keystone.log
use_stderr = false

[database]
connection = sqlite:///{root}/keystone.sqlite

[identity]
# The cheapest bcrypt (the default, 12 rounds, costs a test Keystone's only
# worker ~0.3 s of CPU per password check: each CLI call authenticates).
password_hash_algorithm = bcrypt
password_hash_rounds = 4

[token]
provider = fernet
expiration = {expiration}

[fernet_tokens]
key_repository = {root}/fernet-keys

[credential]
key_repository = {root}/credential-keys

[cache]
enabled = true
backend = dogpile.cache.memory
"""

#: venv -> a directory holding a migrated ``keystone.sqlite`` and fresh key
#: repositories, made by the first server of this test run
_TEMPLATES = {}

SHIM = """\
import sys
sys.argv = sys.argv[:1]
from keystone.server import wsgi
application = wsgi.initialize_public_application()
"""


def install():
    """``(venv, seconds, None)`` once Keystone is installed, or ``(None,
    seconds, reason)`` when it cannot be."""
    return run_installer(INSTALLER, INSTALL_TIMEOUT, 'keystone')


class KeystoneServer(VenvServer):
    """keystone from ``venv`` with its state under ``root``."""

    name = 'keystone'
    logs = ('keystone.log',)

    def __init__(self, venv, root, token_expiration=3600):
        super(KeystoneServer, self).__init__(venv, root)
        self.token_expiration = token_expiration

    @property
    def url(self):
        """The public identity URL (``http://127.0.0.1:<port>``)."""
        return 'http://127.0.0.1:%d' % self.port

    @property
    def auth_url(self):
        """The v3 auth URL (``…/v3``)."""
        return self.url + '/v3'

    def _env(self):
        env = dict(os.environ,
                   OS_KEYSTONE_CONFIG_FILES=self.conf_file)
        env.pop('PYTHONPATH', None)
        for name in list(env):
            if name.startswith('OS_') and name != 'OS_KEYSTONE_CONFIG_FILES':
                env.pop(name)
        return env

    @property
    def conf_file(self):
        """The path of keystone.conf."""
        return os.path.join(self.root, 'keystone.conf')

    def manage(self, *args):
        """Run ``keystone-manage --config-file … <args>``."""
        proc = subprocess.run(
            [self.bin('keystone-manage'), '--config-file', self.conf_file]
            + list(args), capture_output=True, text=True, timeout=180,
            env=self._env(), cwd=self.root)
        if proc.returncode != 0:
            raise RuntimeError('keystone-manage %s failed: %s'
                               % (args[0], proc.stderr[-2000:]))

    def start(self, timeout=90):
        """Configure, bootstrap and serve; returns self."""
        with open(self.conf_file, 'w') as conf:
            conf.write(CONF.format(root=self.root,
                                   expiration=self.token_expiration))
        with open(os.path.join(self.root, 'nova_keystone_shim.py'),
                  'w') as shim:
            shim.write(SHIM)
        self._prepare_state()
        self.manage('bootstrap', '--bootstrap-password', ADMIN_PASSWORD,
                    '--bootstrap-admin-url', self.auth_url,
                    '--bootstrap-public-url', self.auth_url,
                    '--bootstrap-internal-url', self.auth_url,
                    '--bootstrap-region-id', 'RegionOne')
        return self.serve('nova_keystone_shim:application', self._env(),
                          timeout=timeout, extra=('--chdir', self.root))

    def _prepare_state(self):
        """The schema and the fernet and credential keys: made by
        ``keystone-manage`` for the first server of this test run, copied
        from it for the next (three slow keystone-manage runs fewer;
        ``bootstrap``, which names this server's URL, always runs)."""
        template = _TEMPLATES.get(self.venv)
        if template is None:
            self.manage('db_sync')
            self.manage('fernet_setup', '--keystone-user', str(os.getuid()),
                        '--keystone-group', str(os.getgid()))
            self.manage('credential_setup', '--keystone-user',
                        str(os.getuid()), '--keystone-group',
                        str(os.getgid()))
            template = tempfile.mkdtemp(prefix='keystone-template-')
            atexit.register(shutil.rmtree, template, True)
            self._copy_state(self.root, template)
            _TEMPLATES[self.venv] = template
        else:
            self._copy_state(template, self.root)

    @staticmethod
    def _copy_state(source, target):
        shutil.copy2(os.path.join(source, 'keystone.sqlite'), target)
        for keys in ('fernet-keys', 'credential-keys'):
            shutil.copytree(os.path.join(source, keys),
                            os.path.join(target, keys), dirs_exist_ok=True)

    def answers(self):
        """Whether ``GET /v3`` answers."""
        try:
            with urllib.request.urlopen(self.auth_url, timeout=5) as resp:
                return resp.status == 200
        except OSError:
            return False

    def admin(self):
        """An :class:`Admin` client logged in as the bootstrap admin."""
        return Admin(self.auth_url, 'admin', ADMIN_PASSWORD, 'admin')


class Admin(object):
    """A minimal Keystone v3 client (urllib), enough for the tests."""

    def __init__(self, auth_url, user, password, project):
        self.auth_url = auth_url
        self.token = token(auth_url, user, password, project)[0]

    def call(self, method, path, body=None, expect=(200, 201, 204)):
        """``(status, json body or None)``; raises on an unexpected
        status."""
        status, data = request(self.auth_url + path, method, body,
                               {'X-Auth-Token': self.token})
        if status not in expect:
            raise RuntimeError('%s %s: %s %s' % (method, path, status, data))
        return status, data

    def create(self, kind, **fields):
        """Create a user/project/role; returns its id."""
        fields.setdefault('domain_id', 'default') if kind != 'role' \
            else None
        _s, data = self.call('POST', '/%ss' % kind, {kind: fields})
        return data[kind]['id']

    def role_id(self, name):
        """The id of the role named ``name``."""
        _s, data = self.call('GET', '/roles?name=%s' % name)
        return data['roles'][0]['id']

    def grant(self, user_id, project_id, role_name):
        """Give ``user_id`` the role ``role_name`` on ``project_id``."""
        self.call('PUT', '/projects/%s/users/%s/roles/%s'
                  % (project_id, user_id, self.role_id(role_name)))

    def ec2_credential(self, user_id, project_id, access, secret):
        """Store an EC2 credential (access/secret) for the user."""
        blob = json.dumps({'access': access, 'secret': secret})
        self.call('POST', '/credentials', {'credential': {
            'type': 'ec2', 'user_id': user_id, 'project_id': project_id,
            'blob': blob}})


def request(url, method='GET', body=None, headers=None, timeout=30):
    """``(status, decoded JSON or None, headers)[:2]`` of one call."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header('Content-Type', 'application/json')
    req.add_header('Connection', 'close')
    for key, value in (headers or {}).items():
        req.add_header(key, value)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, None


def token(auth_url, user, password, project, domain='default'):
    """``(token id, token body)`` of a password login scoped to
    ``project`` (both by name, in ``domain``)."""
    body = {'auth': {
        'identity': {'methods': ['password'], 'password': {'user': {
            'name': user, 'domain': {'id': domain}, 'password': password}}},
        'scope': {'project': {'name': project, 'domain': {'id': domain}}}}}
    data = json.dumps(body).encode()
    req = urllib.request.Request(auth_url + '/auth/tokens', data=data,
                                 method='POST')
    req.add_header('Content-Type', 'application/json')
    req.add_header('Connection', 'close')
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.headers['X-Subject-Token'], json.loads(resp.read())


def start_keystone(tmp_path_factory, token_expiration=3600):
    """Install (if need be) and start a server; skips with the reason
    when Keystone cannot be installed here."""
    venv, took, reason = install()
    if venv is None:
        pytest.skip(reason)
    print('keystone venv ready in %.1fs: %s' % (took, venv))
    start = time.time()
    server = KeystoneServer(venv, tmp_path_factory.mktemp('keystone'),
                            token_expiration=token_expiration)
    server.start()
    print('keystone up in %.1fs on %s' % (time.time() - start, server.url))
    return server


def paste_config(path, keystone):
    """Write to ``path`` the shipped api-paste.ini with the manual's
    Keystone pipelines switched on (OpenStack API: ``authtoken
    keystonecontext``; EC2: ``ec2keystoneauth``), pointed at ``keystone``
    with the ``nova`` service user; returns ``path``."""
    with open(os.path.join(REPO, 'etc', 'nova', 'api-paste.ini')) as src:
        text = src.read()
    text = re.sub(r'\n# (pipeline = faultwrap authtoken keystonecontext '
                  r'[^\n]*)', r'\n\1', text)
    text = re.sub(r'\npipeline = faultwrap noauth[^\n]*', '', text)
    text = re.sub(r'\n# (pipeline = logrequest ec2limits ec2keystoneauth '
                  r'[^\n]*)', r'\n\1', text)
    text = re.sub(r'\npipeline = logrequest ec2limits ec2lockout '
                  r'authenticate[^\n]*', '', text)
    text = text.replace('http://127.0.0.1:5000/v3', keystone.auth_url)
    text = text.replace('NOVA_SERVICE_PASSWORD', SERVICE_PASSWORD)
    text = text.replace('delay_auth_decision = true',
                        'delay_auth_decision = true\ntoken_cache_time = -1')
    with open(path, 'w') as out:
        out.write(text)
    return path
