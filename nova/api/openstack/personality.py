"""The ``personality`` of a server create or rebuild: files to inject.

``[{"path": "/etc/motd", "contents": "<base64>"}]`` becomes the
``[(path, bytes)]`` list :mod:`nova.compute.api` takes; a list that is not
of that shape, or contents that are not Base64, are a 400 before anything
is made.  Paths and the injected-file quotas are checked by compute.api
(400 and 413).
"""

import base64
import binascii

from nova.api.openstack import common


def decode(files):
    """``[(path, bytes)]`` of a request's ``personality`` (None: [])."""
    if files is None or files == '':
        return []
    if not isinstance(files, list):
        raise common.bad_request('Unable to parse personality '
                                 'path/contents.')
    decoded = []
    for item in files:
        if not isinstance(item, dict) or \
                not isinstance(item.get('path'), str) or \
                not isinstance(item.get('contents'), str):
            raise common.bad_request('Unable to parse personality '
                                     'path/contents.')
        try:
            contents = base64.b64decode(item['contents'].strip(),
                                        validate=True)
        except (binascii.Error, ValueError):
            raise common.bad_request('Personality content for %s cannot '
                                     'be decoded' % item['path'][:255])
        decoded.append((item['path'], contents))
    return decoded
