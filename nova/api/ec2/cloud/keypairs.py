"""Key pair actions: Create/Import/Describe/Delete (and Diablo's ImportPublicKey).

Key pairs belong to the calling *user* (as in Diablo); the private key of
CreateKeyPair is returned once and never stored.
"""

import base64
import binascii
import re

from nova import crypto
from nova import db
from nova import exception
from nova import flags
from nova.api.ec2 import ec2utils
from nova.api.ec2.cloud import tags

FLAGS = flags.FLAGS

_KEY_NAME_RE = re.compile(r'^[\x20-\x7e]{1,255}$')


def _check_name(key_name):
    if key_name is None or str(key_name) == '':
        raise ec2utils.missing('KeyName')
    key_name = str(key_name)
    if not _KEY_NAME_RE.match(key_name):
        raise ec2utils.invalid_value('KeyName', key_name,
                                     'Key names are 1 to 255 printable '
                                     'ASCII characters')
    return key_name


def _invalid_key():
    return ec2utils.EC2APIError(
        'Key is not in valid OpenSSH public key format',
        ec2_code='InvalidKey.Format')


def key_pair_ec2_id(key):
    """``key-%08x`` of a key pair row."""
    return 'key-%08x' % int(key['id'])


def _check_public_key(text):
    """Refuse text that does not load as an OpenSSH public key."""
    from cryptography.hazmat.primitives import serialization
    try:
        serialization.load_ssh_public_key(text.encode('utf-8'))
    except Exception:  # noqa: BLE001 - ValueError, UnsupportedAlgorithm...
        raise _invalid_key()


def _public_key_text(material):
    """The OpenSSH public key in ``material`` (base64 of it, or itself);
    InvalidKey.Format unless it is a public key."""
    text = str(material).strip()
    if not text.startswith(('ssh-', 'ecdsa-')):
        try:
            decoded = base64.b64decode(text, validate=True).decode('ascii')
        except (binascii.Error, ValueError, UnicodeDecodeError):
            decoded = ''
        text = decoded.strip()
    if not text.startswith(('ssh-', 'ecdsa-')):
        raise _invalid_key()
    _check_public_key(text)
    return text


class KeyPairActions(object):
    """EC2 key pair actions."""

    def _key_exists(self, context, key_name):
        try:
            db.key_pair_get(context, context.user_id, key_name)
        except exception.NotFound:
            return False
        return True

    def _store_key(self, context, key_name, public_key, fingerprint):
        if self._key_exists(context, key_name):
            raise exception.KeyPairExists(key_name=key_name)
        return db.key_pair_create(context, {'user_id': context.user_id,
                                            'name': key_name,
                                            'public_key': public_key,
                                            'fingerprint': fingerprint})

    def create_key_pair(self, context, key_name=None, **kwargs):
        """CreateKeyPair: a new RSA key; the private key is returned once."""
        key_name = _check_name(key_name)
        if self._key_exists(context, key_name):
            raise exception.KeyPairExists(key_name=key_name)
        private_key, public_key, fingerprint = crypto.generate_key_pair()
        key = self._store_key(context, key_name, public_key, fingerprint)
        return {'keyPairId': key_pair_ec2_id(key), 'keyName': key_name,
                'keyFingerprint': fingerprint,
                'keyMaterial': private_key}

    def import_key_pair(self, context, key_name=None,
                        public_key_material=None, **kwargs):
        """ImportKeyPair: store a public key (base64 of OpenSSH format)."""
        key_name = _check_name(key_name)
        if not public_key_material:
            raise ec2utils.missing('PublicKeyMaterial')
        public_key = _public_key_text(public_key_material)
        try:
            fingerprint = crypto.generate_fingerprint(public_key)
        except exception.Invalid:
            raise _invalid_key()
        key = self._store_key(context, key_name, public_key, fingerprint)
        return {'keyPairId': key_pair_ec2_id(key), 'keyName': key_name,
                'keyFingerprint': fingerprint}

    def import_public_key(self, context, key_name=None, public_key=None,
                          fingerprint=None):
        """ImportPublicKey (Diablo's): store an OpenSSH public key."""
        key_name = _check_name(key_name)
        if not public_key:
            raise ec2utils.missing('PublicKey')
        text = _public_key_text(public_key)
        try:
            computed = crypto.generate_fingerprint(text)
        except exception.Invalid:
            raise exception.InvalidParameterValue(
                err='Key is not in valid OpenSSH public key format')
        self._store_key(context, key_name, text, fingerprint or computed)
        return True

    def describe_key_pairs(self, context, key_name=None, filter=None,
                           key_pair_id=None, **kwargs):
        """DescribeKeyPairs: the caller's key pairs (KeyName.N,
        KeyPairId.N, filters, tags)."""
        names = [str(n) for n in ec2utils.as_list(key_name)]
        key_ids = [str(n) for n in ec2utils.as_list(key_pair_id)]
        keys = db.key_pair_get_all_by_user(context, context.user_id)
        if not context.is_admin:
            keys = [k for k in keys
                    if not k['name'].endswith(FLAGS.vpn_key_suffix)]
        if names:
            known = set(k['name'] for k in keys)
            for name in names:
                if name not in known:
                    raise exception.KeypairNotFound(
                        keypair_name=name, user_id=context.user_id)
            keys = [k for k in keys if k['name'] in names]
        if key_ids:
            known = set(key_pair_ec2_id(k) for k in keys)
            for key_id in key_ids:
                if key_id not in known:
                    raise ec2utils.EC2APIError(
                        "The key pair '%s' does not exist" % key_id,
                        ec2_code='InvalidKeyPair.NotFound')
            keys = [k for k in keys if key_pair_ec2_id(k) in key_ids]
        filters, tag_filters = tags.split_filters(
            ec2utils.filters_from(filter))
        keys = ec2utils.apply_filters(
            keys, filters,
            {'key-name': lambda k: k['name'],
             'key-pair-id': key_pair_ec2_id,
             'fingerprint': lambda k: k['fingerprint']})
        items = [{'keyPairId': key_pair_ec2_id(k), 'keyName': k['name'],
                  'keyFingerprint': k['fingerprint']}
                 for k in sorted(keys, key=lambda k: k['name'])]
        items = tags.filter_by_tags(context, 'key-pair', items, 'keyPairId',
                                    tag_filters)
        tags.attach_tag_sets(context, items, 'keyPairId')
        for item in items:
            item['tagSet'] = item['tagSet'] or None
        return {'keySet': items}

    def _key_by_ec2_id(self, context, ec2_id):
        for key in db.key_pair_get_all_by_user(context, context.user_id):
            if key_pair_ec2_id(key) == ec2_id:
                return key
        raise ec2utils.EC2APIError(
            "The key pair '%s' does not exist" % ec2_id,
            ec2_code='InvalidKeyPair.NotFound')

    def delete_key_pair(self, context, key_name=None, **kwargs):
        """DeleteKeyPair: true, even when there was no such key."""
        key_name = _check_name(key_name)
        try:
            key = db.key_pair_get(context, context.user_id, key_name)
            db.key_pair_destroy(context, context.user_id, key_name)
        except exception.NotFound:
            return True
        db.tag_delete_by_resources(context, [key_pair_ec2_id(key)])
        return True
