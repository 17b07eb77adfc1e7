"""``os-keypairs``: the calling user's SSH key pairs (Diablo's Keypairs).

``GET /os-keypairs`` lists ``{"keypairs": [{"keypair": {name, public_key,
fingerprint}}]}``; ``POST`` with ``{"keypair": {"name"}}`` generates a key
(the private key is in the answer once, never stored) or, with
``public_key``, imports one; ``DELETE /os-keypairs/{name}`` is a 202.
``GET /os-keypairs/{name}`` (which today's clients use) shows one.
Key pairs belong to the user, as the EC2 API's do.
"""

import re

import webob

from nova import crypto
from nova import db
from nova import exception
from nova.api.openstack import common
from nova.api.openstack.extensions import ResourceExtension
from nova.api.openstack.extensions import util

EXTENSION = {
    'name': 'Keypairs',
    'alias': 'os-keypairs',
    'description': 'Keypair Support',
    'namespace': 'http://docs.openstack.org/ext/keypairs/api/v1.1',
    'updated': '2011-08-08T00:00:00+00:00',
}

_NAME_RE = re.compile(r'^[\x20-\x7e]{1,255}$')


def _view(key):
    return {'name': key['name'], 'public_key': key['public_key'],
            'fingerprint': key['fingerprint']}


def _checked_public_key(value):
    """The OpenSSH public key text; 400 unless it loads as one."""
    from cryptography.hazmat.primitives import serialization
    if not isinstance(value, str) or not value.strip():
        raise common.bad_request('Keypair data is invalid: public_key must '
                                 'be an OpenSSH public key')
    text = value.strip()
    try:
        serialization.load_ssh_public_key(text.encode('utf-8'))
        return text, crypto.generate_fingerprint(text)
    except Exception:  # noqa: BLE001 - ValueError, UnsupportedAlgorithm...
        raise common.bad_request('Keypair data is invalid: public_key must '
                                 'be an OpenSSH public key')


class KeypairController(object):
    """``/os-keypairs``."""

    @staticmethod
    def _get(ctxt, name):
        try:
            return db.key_pair_get(ctxt, ctxt.user_id, name)
        except exception.NotFound:
            raise common.not_found('Keypair %s could not be found.' % name)

    def index(self, req, **_args):
        """The user's key pairs, by name."""
        ctxt = common.context_of(req)
        keys = sorted(db.key_pair_get_all_by_user(ctxt, ctxt.user_id),
                      key=lambda k: k['name'])
        return {'keypairs': [{'keypair': _view(k)} for k in keys]}

    def show(self, req, id, **_args):
        """One key pair; 404 when the user has none of that name."""
        return {'keypair': _view(self._get(common.context_of(req), id))}

    def create(self, req, body=None, **_args):
        """Generate or import a key pair; 409 when the name is taken."""
        params = util.entity(body, 'keypair')
        name = params.get('name')
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise common.bad_request('Keypair name must be 1 to 255 '
                                     'printable ASCII characters')
        ctxt = common.context_of(req)
        try:
            db.key_pair_get(ctxt, ctxt.user_id, name)
        except exception.NotFound:
            pass
        else:
            raise exception.KeyPairExists(key_name=name)
        keypair = {'user_id': ctxt.user_id, 'name': name}
        if 'public_key' in params:
            public_key, fingerprint = _checked_public_key(
                params['public_key'])
        else:
            private_key, public_key, fingerprint = \
                crypto.generate_key_pair()
            keypair['private_key'] = private_key
        keypair.update(public_key=public_key, fingerprint=fingerprint)
        db.key_pair_create(ctxt, {'user_id': ctxt.user_id, 'name': name,
                                  'public_key': public_key,
                                  'fingerprint': fingerprint})
        return {'keypair': keypair}

    def delete(self, req, id, **_args):
        """Remove the key pair: 202; 404 when there is none."""
        ctxt = common.context_of(req)
        self._get(ctxt, id)
        db.key_pair_destroy(ctxt, ctxt.user_id, id)
        return webob.Response(status=202)


def resources():
    """The ``os-keypairs`` collection."""
    return [ResourceExtension('os-keypairs', KeypairController(),
                              ('index', 'show', 'create', 'delete'))]
