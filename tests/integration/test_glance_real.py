"""GlanceImageService against a real Glance (PyPI's glance 33, v2 only).

The module fixture installs Glance into its own venv with
``tools/glance/install_glance.sh`` (idempotent; a fresh install takes about
half a minute) and starts glance-api on 127.0.0.1 with SQLite, the file
store and no Keystone (tests/integration/glance_server.py).  Nova finds v2
by version discovery (``--glance_api_version=auto``) and tells Glance who
calls with the identity headers Keystone's middleware would set
(``X-Identity-Status``, ``X-Project-Id``, ``X-Roles``).  The tests skip
only when Glance cannot be installed here, with the installer's reason.

Glance's v1 API (Diablo's) is tested only against the recorded contract
(tests/unit/image/test_glance.py): no Glance with v1 runs on this Python
3.11.  v1 left Glance in Rocky (17.0); PyPI's last release with it is 15.0.2
(Pike, 16.x is not on PyPI), which pip installs but which cannot run here:
its own code subclasses ``collections.Mapping`` and
``collections.MutableMapping`` (glance/api/policy.py, glance/domain/
__init__.py), removed in Python 3.10, and ``import glance.cmd.api`` fails in
its eventlet 0.20.  Debian 12's glance 25.1 is v2-only too.
"""

import hashlib
import io
import json
import os
import urllib.request
import uuid

import pytest

from nova import context
from nova import exception
from nova.image import glance
from nova.image import glance_v2
from tests.integration import glance_server

pytestmark = [pytest.mark.integration, pytest.mark.glance,
              pytest.mark.timeout(900)]
MIB = 1 << 20


server = glance_server.glance_api


@pytest.fixture
def images(server, set_flags):
    """Nova's GlanceImageService pointed at the server (auto version)."""
    set_flags(glance_api_servers=[server.address],
              glance_api_version='auto')
    glance.forget_api_versions()
    yield glance.GlanceImageService()
    glance.forget_api_versions()


def _user(project):
    return context.RequestContext('user-' + project, project,
                                  roles=['sysadmin'])


def _admin():
    return context.RequestContext('admin', None, is_admin=True)


def _project():
    return 'proj-' + uuid.uuid4().hex[:8]


def test_version_discovery_picks_v2(server, images, set_flags):
    """glance-api listens on loopback only.  Glance 33 offers only v2.x
    and auto picks 2; insisting on 2 works, insisting on 1 sends v1
    requests, which a v2-only Glance answers
    with its versions document (300): a clear error, not an empty list."""
    assert server.listening_addresses() == {'127.0.0.1'}
    offered = glance.offered_versions(server.versions())
    assert 2 in offered and 1 not in offered
    assert images.api_version(_user('p')) == 2
    set_flags(glance_api_version='2')
    glance.forget_api_versions()
    assert images.api_version(_user('p')) == 2
    set_flags(glance_api_version='1')
    glance.forget_api_versions()
    assert images.api_version(_user('p')) == 1
    with pytest.raises(glance.GlanceError) as err:
        images.detail(_user('p'))
    assert err.value.status == 300
    assert 'does not serve this API version (it offers v2.0' in \
        str(err.value)


def test_lifecycle_create_show_list_update_get_delete(images):
    """The whole life of a project's image, data byte-identical."""
    proj = _project()
    alice = _user(proj)
    data = os.urandom(3 * MIB + 123)
    created = images.create(alice, {
        'name': 'lifecycle', 'is_public': False,
        'container_format': 'ami', 'disk_format': 'ami',
        'properties': {'kernel_id': 7, 'ramdisk_id': 8,
                       'image_state': 'available',
                       'architecture': 'x86_64',
                       'mappings': [{'virtual': 'root', 'device': 'sda1'}]}},
        io.BytesIO(data))
    image_id = created['id']
    assert isinstance(image_id, int)
    assert created['uuid'] == glance_v2.uuid_of(image_id)
    assert created['status'] == 'active'
    assert created['size'] == len(data)
    assert created['checksum'] == hashlib.md5(data).hexdigest()
    assert created['is_public'] is False
    assert created['owner'] == proj
    props = created['properties']
    # Glance's own fields (stores, os_hash_*, virtual_size...) are not
    # mistaken for properties.
    assert set(props) == {'kernel_id', 'ramdisk_id', 'image_state',
                          'architecture', 'mappings', 'owner_id'}
    assert props['kernel_id'] == 7 and props['ramdisk_id'] == 8
    assert props['mappings'] == [{'virtual': 'root', 'device': 'sda1'}]
    assert props['image_state'] == 'available'
    assert props['owner_id'] == proj

    shown = images.show(alice, image_id)
    assert shown['name'] == 'lifecycle'
    assert shown['properties'] == props
    assert images.show(alice, created['uuid'])['id'] == image_id

    assert image_id in [i['id'] for i in images.detail(alice)]
    assert {'id': image_id, 'name': 'lifecycle'} in images.index(alice)
    assert [i['id'] for i in images.detail(
        alice, {'name': 'lifecycle'})] == [image_id]
    assert [i['id'] for i in images.detail(
        alice, {'image_state': 'available', 'name': 'lifecycle'})] == \
        [image_id]
    assert images.detail(alice, {'name': 'no-such-name'}) == []

    updated = images.update(alice, image_id, {
        'name': 'renamed',
        'properties': {'image_state': 'pending', 'extra': 'yes'}})
    assert updated['name'] == 'renamed'
    assert updated['properties']['image_state'] == 'pending'
    assert updated['properties']['extra'] == 'yes'
    assert updated['properties']['kernel_id'] == 7  # kept
    assert images.show(alice, image_id)['properties']['extra'] == 'yes'

    out = io.BytesIO()
    got = images.get(alice, image_id, out)
    assert out.getvalue() == data
    assert got['id'] == image_id

    images.delete(alice, image_id)
    with pytest.raises(exception.ImageNotFound):
        images.show(alice, image_id)
    with pytest.raises(exception.ImageNotFound):
        images.get(alice, image_id, io.BytesIO())
    with pytest.raises(exception.ImageNotFound):
        images.delete(alice, image_id)
    assert image_id not in [i['id'] for i in images.detail(alice)]


def test_is_public_is_glance_admin_only(images):
    """Glance's default policy: only an admin publicizes.  A member's try
    is a clear 403 and changes nothing; the admin's shows the image to
    every project, and making it private again hides it."""
    proj, other = _project(), _project()
    alice, bob = _user(proj), _user(other)
    image = images.create(alice, {'name': 'pub', 'container_format': 'bare',
                                  'disk_format': 'raw'}, b'public bytes')
    with pytest.raises(glance.GlanceError) as err:
        images.update(alice, image['id'], {'is_public': True})
    assert err.value.status == 403
    assert 'publicize_image' in str(err.value)
    assert images.show(alice, image['id'])['is_public'] is False
    with pytest.raises(exception.ImageNotFound):
        images.show(bob, image['id'])

    assert images.update(_admin(), image['id'],
                         {'is_public': True})['is_public'] is True
    assert images.show(bob, image['id'])['is_public'] is True
    assert image['id'] in [i['id'] for i in images.detail(bob)]
    out = io.BytesIO()
    images.get(bob, image['id'], out)
    assert out.getvalue() == b'public bytes'

    images.update(_admin(), image['id'], {'is_public': False})
    with pytest.raises(exception.ImageNotFound):
        images.show(bob, image['id'])
    images.delete(alice, image['id'])


def test_other_projects_private_image_is_invisible(images):
    """Glance itself hides another project's private image: 404 for show,
    get, update and delete, absent from detail; the admin sees it."""
    alice, bob = _user(_project()), _user(_project())
    image = images.create(alice, {'name': 'secret', 'container_format':
                                  'bare', 'disk_format': 'raw'}, b'x' * 10)
    for call in (lambda: images.show(bob, image['id']),
                 lambda: images.get(bob, image['id'], io.BytesIO()),
                 lambda: images.update(bob, image['id'], {'name': 'mine'}),
                 lambda: images.delete(bob, image['id'])):
        with pytest.raises(exception.ImageNotFound):
            call()
    assert image['id'] not in [i['id'] for i in images.detail(bob)]
    assert images.show(_admin(), image['id'])['name'] == 'secret'
    assert image['id'] in [i['id'] for i in images.detail(None)]
    images.delete(alice, image['id'])


def test_admin_registers_for_a_project(images):
    """An image Nova (no context) creates for a project is owned by that
    project in Glance, so the project sees it although it is private."""
    proj = _project()
    image = images.create(None, {
        'name': 'for-project', 'is_public': False,
        'container_format': 'aki', 'disk_format': 'aki',
        'properties': {'project_id': proj, 'owner_id': proj}}, b'kernel')
    assert image['owner'] == proj
    assert images.show(_user(proj), image['id'])['name'] == 'for-project'
    with pytest.raises(exception.ImageNotFound):
        images.show(_user(_project()), image['id'])
    images.delete(None, image['id'])


def test_data_later_then_409(images):
    """An image made without data is queued; its data goes in once
    (streamed from a file), a second upload is refused by Glance."""
    alice = _user(_project())
    image = images.create(alice, {'name': 'later', 'container_format':
                                  'bare', 'disk_format': 'raw'})
    assert image['status'] == 'queued'
    data = os.urandom(MIB)
    done = images.update(alice, image['id'], {}, io.BytesIO(data))
    assert done['status'] == 'active' and done['size'] == MIB
    out = io.BytesIO()
    images.get(alice, image['id'], out)
    assert out.getvalue() == data
    with pytest.raises(glance.GlanceError) as err:
        images.update(alice, image['id'], {}, b'again')
    assert err.value.status == 409
    images.delete(alice, image['id'])


def test_listing_follows_glance_pages(images, monkeypatch):
    """detail walks Glance's ``next`` links (pages of 2 here) and pages
    again by Nova's marker/limit."""
    monkeypatch.setattr(glance_v2, 'PAGE', 2)
    alice = _user(_project())
    made = [images.create(alice, {'name': 'page-%d' % n,
                                  'container_format': 'bare',
                                  'disk_format': 'raw'})['id']
            for n in range(5)]
    listed = [i['id'] for i in images.detail(alice)]
    assert sorted(listed) == sorted(made)
    first = images.detail(alice, limit=2)
    rest = images.detail(alice, marker=first[-1]['id'])
    assert [i['id'] for i in first + rest] == listed
    for image_id in made:
        images.delete(alice, image_id)


class _FailingReader(object):
    """A file object whose read fails after ``good`` bytes."""

    def __init__(self, good):
        self.left = good

    def read(self, size):
        if self.left <= 0:
            raise OSError(5, 'Input/output error')
        size = min(size, self.left)
        self.left -= size
        return b'z' * size


def test_failed_uploads_leave_nothing(images):
    """Data over Glance's image_size_cap (413) and data that cannot be
    read mid-stream: each a clear error, and no queued image left."""
    alice = _user(_project())
    meta = {'name': 'too-big', 'container_format': 'bare',
            'disk_format': 'raw'}
    with pytest.raises(glance.GlanceTooLarge) as err:
        images.create(alice, meta, io.BytesIO(
            b'\0' * (glance_server.SIZE_CAP + 1)))
    assert err.value.status == 413
    assert images.detail(alice) == []
    with pytest.raises(glance.GlanceError) as err:
        images.create(alice, dict(meta, name='unreadable'),
                      _FailingReader(3 * MIB))
    assert 'reading the image data' in str(err.value)
    assert 'Input/output error' in str(err.value)
    assert images.detail(alice) == []
    exact = images.create(alice, dict(meta, name='at-the-cap'),
                          io.BytesIO(b'\1' * glance_server.SIZE_CAP))
    assert exact['size'] == glance_server.SIZE_CAP
    images.delete(alice, exact['id'])


def test_an_image_made_by_another_glance_client(server, images):
    """An image another client made (Glance's own random UUID) gets the
    integer id of its UUID's last 8 hex digits, found again by listing."""
    proj = _project()
    alice = _user(proj)
    headers = dict(glance.identity_headers(alice),
                   **{'Content-Type': 'application/json'})
    request = urllib.request.Request(
        'http://%s/v2/images' % server.address, method='POST',
        headers=headers, data=json.dumps({
            'name': 'foreign', 'container_format': 'bare',
            'disk_format': 'raw', 'hw_note': 'made elsewhere'}).encode())
    with urllib.request.urlopen(request, timeout=30) as response:
        doc = json.loads(response.read())
    assert not doc['id'].startswith('6e6f7661-')
    number = glance_v2.int_of(doc['id'])
    shown = images.show(alice, number)
    assert shown['uuid'] == doc['id'] and shown['name'] == 'foreign'
    assert shown['properties']['hw_note'] == 'made elsewhere'
    assert number in [i['id'] for i in images.detail(alice)]
    images.update(alice, number, {}, b'foreign bytes')
    out = io.BytesIO()
    images.get(alice, number, out)
    assert out.getvalue() == b'foreign bytes'
    images.delete(alice, number)
    with pytest.raises(exception.ImageNotFound):
        images.show(alice, number)


def test_bad_input_is_a_clear_error_and_creates_nothing(images):
    """Glance refuses a bad disk format with 400: a GlanceError naming it
    (Glance's message, on one line),
    and no half-made image left behind."""
    alice = _user(_project())
    before = images.detail(alice)
    with pytest.raises(glance.GlanceError) as err:
        images.create(alice, {'name': 'bad', 'container_format': 'bare',
                              'disk_format': 'floppy'}, b'data')
    assert err.value.status == 400
    assert "'floppy' is not one of" in str(err.value)
    assert images.detail(alice) == before
    with pytest.raises(exception.ImageNotFound):
        images.show(alice, 'not-a-number')


def test_ec2_describe_images_from_glance(server, tmp_path):
    """An in-process cloud on --image_service=GlanceImageService: a
    registered machine image with kernel and ramdisk is listed by
    DescribeImages (boto3) from Glance; making it public is Glance's
    admin's (UnauthorizedOperation for the project's user, no 500);
    DeregisterImage removes it from Glance."""
    from tests.functional.conftest import InProcessCloud
    glance.forget_api_versions()
    cloud = InProcessCloud(tmp_path / 'cloud', extra_flags={
        'image_service': 'nova.image.glance.GlanceImageService',
        'glance_api_servers': [server.address],
        'glance_api_version': 'auto'})
    cloud.start()
    try:
        proj = _project()
        access, secret = cloud.create_user('glanceuser', proj)
        ami = cloud.register_image('glance-ami', project=proj, public=False)
        ec2 = cloud.boto3_client(access, secret)
        found = ec2.describe_images(ImageIds=[ami])['Images']
        assert len(found) == 1
        assert found[0]['ImageId'] == ami
        assert found[0]['State'] == 'available'
        assert found[0]['Public'] is False
        assert found[0]['KernelId'].startswith('aki-')
        assert found[0]['RamdiskId'].startswith('ari-')
        listed = {i['ImageId'] for i in ec2.describe_images()['Images']}
        assert {ami, found[0]['KernelId'], found[0]['RamdiskId']} <= listed
        # Glance's policy: only its admin publicizes.  The project's
        # user is refused in EC2's words; Nova's admin may.
        with pytest.raises(ec2.exceptions.ClientError) as err:
            ec2.modify_image_attribute(ImageId=ami, LaunchPermission={
                'Add': [{'Group': 'all'}]})
        error = err.value.response['Error']
        assert error['Code'] == 'UnauthorizedOperation'
        assert 'publicize_image' in error['Message']
        assert err.value.response['ResponseMetadata'][
            'HTTPStatusCode'] == 403
        assert not ec2.describe_images(ImageIds=[ami])['Images'][0]['Public']
        other = cloud.boto3_client(*cloud.create_user('other', _project()))
        assert other.describe_images(Owners=[proj])['Images'] == []
        admin = cloud.boto3_client(*cloud.create_user(
            'glanceadmin', _project(), admin=True))
        admin.modify_image_attribute(ImageId=ami, LaunchPermission={
            'Add': [{'Group': 'all'}]})
        assert ec2.describe_images(ImageIds=[ami])['Images'][0]['Public']
        assert [i['ImageId'] for i in other.describe_images(
            ImageIds=[ami])['Images']] == [ami]
        ec2.deregister_image(ImageId=ami)
        with pytest.raises(ec2.exceptions.ClientError) as err:
            ec2.describe_images(ImageIds=[ami])
        assert err.value.response['Error']['Code'] == 'InvalidAMIID.NotFound'
        number = int(ami.split('-')[1], 16)
        with pytest.raises(exception.ImageNotFound):
            glance.GlanceImageService().show(None, number)
    finally:
        cloud.stop()
        glance.forget_api_versions()


def test_nova_manage_registers_into_glance(images, tmp_path, capsys,
                                           set_flags):
    """``nova-manage image all_register`` (an admin context) stores the
    kernel, ramdisk and machine image in Glance, owned by the project:
    private ones are seen by that project only."""
    from nova import manage
    set_flags(image_service='nova.image.glance.GlanceImageService',
              state_path=str(tmp_path / 'state'))
    proj = _project()
    paths = []
    for name, size in (('machine.img', 3000), ('vmlinuz', 1000),
                       ('initrd', 500)):
        path = tmp_path / name
        path.write_bytes(os.urandom(size))
        paths.append(str(path))
    code = manage.main(['nova-manage', 'image', 'all_register'] + paths
                       + [proj, '--public=F'])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert 'Traceback' not in err and 'ERROR' not in err
    ids = [int(line.split()[3]) for line in out.splitlines()]
    assert len(ids) == 3
    user = _user(proj)
    kernel, ramdisk, machine = (images.show(user, i) for i in ids)
    assert [(i['container_format'], i['size'], i['owner'], i['is_public'])
            for i in (kernel, ramdisk, machine)] == [
        ('aki', 1000, proj, False), ('ari', 500, proj, False),
        ('ami', 3000, proj, False)]
    assert machine['properties']['kernel_id'] == ids[0]
    assert machine['properties']['ramdisk_id'] == ids[1]
    out = io.BytesIO()
    images.get(user, ids[2], out)
    assert out.getvalue() == open(paths[0], 'rb').read()
    with pytest.raises(exception.ImageNotFound):
        images.show(_user(_project()), ids[2])
    for image_id in ids:
        images.delete(None, image_id)
