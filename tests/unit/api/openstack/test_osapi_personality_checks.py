"""nova.api.openstack.personality: the request's list to (path, bytes)."""

import base64

import pytest
import webob.exc

from nova.api.openstack import personality


def _b64(data):
    return base64.b64encode(data).decode()


def test_decodes_paths_and_contents():
    assert personality.decode(None) == []
    assert personality.decode([]) == []
    assert personality.decode([
        {'path': '/etc/motd', 'contents': _b64(b'hi')},
        {'path': '/bin/x', 'contents': _b64(b'\x00\xff') + '\n'}]) == [
        ('/etc/motd', b'hi'), ('/bin/x', b'\x00\xff')]


@pytest.mark.parametrize('files', [
    {'path': '/a'}, 'text', [{'path': '/a'}], [{'contents': 'aGk='}],
    [{'path': 1, 'contents': 'aGk='}], ['x'],
    [{'path': '/a', 'contents': '@@not base64'}],
    [{'path': '/a', 'contents': 'aGk'}]])
def test_malformed_is_a_400(files):
    with pytest.raises(webob.exc.HTTPBadRequest):
        personality.decode(files)
