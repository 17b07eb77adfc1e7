"""``nova-manage image``: registering files with the image service."""

import pytest

from nova import context
from nova import image
from nova import manage


def run(capsys, *words):
    code = manage.main(['nova-manage'] + list(words))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def files(tmp_path, set_flags):
    set_flags(state_path=str(tmp_path / 'state'),
              image_service='nova.image.local.LocalImageService')
    paths = {}
    for name, size in (('machine.img', 3000), ('vmlinuz', 1000),
                       ('initrd', 500)):
        path = tmp_path / name
        path.write_bytes(b'\x01' * size)
        paths[name] = str(path)
    return paths


def _images():
    return image.get_default_image_service().detail(
        context.get_admin_context())


def test_all_register_positional(files, capsys):
    code, out, err = run(capsys, 'image', 'all_register',
                         files['machine.img'], files['vmlinuz'],
                         files['initrd'], 'proj1')
    assert (code, err) == (0, '')
    assert out == ('Image registered to 1 (00000001).\n'
                   'Image registered to 2 (00000002).\n'
                   'Image registered to 3 (00000003).\n')
    kernel, ramdisk, machine = _images()
    assert [(i['container_format'], i['disk_format'], i['size'])
            for i in (kernel, ramdisk, machine)] == [
        ('aki', 'aki', 1000), ('ari', 'ari', 500), ('ami', 'ami', 3000)]
    assert machine['properties'] == {
        'image_state': 'available', 'project_id': 'proj1',
        'owner_id': 'proj1', 'architecture': 'x86_64',
        'image_location': 'local', 'kernel_id': 1, 'ramdisk_id': 2}
    assert machine['is_public'] is True and machine['status'] == 'active'
    assert machine['name'] == 'machine.img'
    # visible to the owner's users
    user = context.RequestContext('u', 'proj1')
    assert len(image.get_default_image_service().detail(user)) == 3


def test_register_with_options(files, capsys):
    assert run(capsys, 'image', 'kernel_register', '--path',
               files['vmlinuz'], '--owner=p', '--name=k', '--public=F',
               '--arch=i386')[0] == 0
    assert run(capsys, 'image', 'ramdisk_register', files['initrd'],
               'p')[0] == 0
    code, out, err = run(capsys, 'image', 'image_register',
                         '--path=%s' % files['machine.img'], '--owner=p',
                         '--name=m', '--kernel=aki-00000001', '--ram=2',
                         '--cont_format=ami', '--disk_format=ami')
    assert (code, out, err) == (0, 'Image registered to 3 (00000003).\n', '')
    kernel, _ramdisk, machine = _images()
    assert (kernel['name'], kernel['is_public'],
            kernel['properties']['architecture']) == ('k', False, 'i386')
    assert (machine['container_format'], machine['properties']['kernel_id'],
            machine['properties']['ramdisk_id']) == ('ami', 1, 2)
    assert run(capsys, 'image', 'image_register', files['machine.img'],
               'p')[0] == 0
    assert _images()[-1]['container_format'] == 'bare'


@pytest.mark.parametrize('words,message', [
    ('image image_register /nonexistent p', 'does not exist'),
    ('image image_register', 'missing argument'),
    ('image image_register MACHINE p --kernel=aki-0000ffff',
     'not a registered image'),
    ('image image_register MACHINE p --kernel=zzz', 'not an image id'),
    ('image all_register MACHINE KERNEL /nonexistent p', 'does not exist'),
])
def test_register_errors_write_nothing(files, capsys, words, message):
    words = words.replace('MACHINE', files['machine.img']).replace(
        'KERNEL', files['vmlinuz'])
    code, out, err = run(capsys, *words.split())
    assert code != 0 and message in err
    assert len(err.strip().splitlines()) == 1
    assert _images() == []


def _old_image(root, number, **info):
    import json
    folder = root / ('%08x' % number)
    folder.mkdir(parents=True)
    (folder / 'image').write_bytes(b'\x02' * (100 + number))
    (folder / 'info.json').write_text(json.dumps(info))


def test_convert_old_objectstore_directory(files, tmp_path, capsys):
    old = tmp_path / 'old-images'
    _old_image(old, 1, type='machine', imageId='ami-1a2b3c4d',
               isPublic=True, imageState='available',
               imageOwnerId='proj1', architecture='i386',
               imageLocation='mybucket/machine.manifest.xml',
               kernelId='aki-0000aaaa', ramdiskId='ari-0000bbbb')
    _old_image(old, 2, type='kernel', imageId='aki-0000aaaa',
               isPublic=True, imageOwnerId='proj1',
               imageLocation='mybucket/kernel.manifest.xml')
    _old_image(old, 3, type='ramdisk', imageId='ari-0000bbbb',
               isPublic=False, imageOwnerId='proj1')
    _old_image(old, 4, type='machine', imageId='ami-00000bad',
               isPublic=False, imageOwnerId='proj2')
    (old / 'broken').mkdir()
    (old / 'broken' / 'info.json').write_text('{not json')
    code, out, err = run(capsys, 'image', 'convert', str(old))
    assert code == 0, err
    assert out.count('Image registered to') == 4
    assert 'Failed to load' in out and 'broken' in out
    by_name = {i['name']: i for i in _images()}
    kernel, ramdisk = by_name['aki-0000aaaa'], by_name['ari-0000bbbb']
    machine, bare = by_name['ami-1a2b3c4d'], by_name['ami-00000bad']
    assert kernel['container_format'] == 'aki' and kernel['size'] == 102
    assert ramdisk['is_public'] is False
    assert machine['container_format'] == 'ami'
    assert machine['properties']['kernel_id'] == kernel['id']
    assert machine['properties']['ramdisk_id'] == ramdisk['id']
    assert machine['properties']['image_location'] == \
        'mybucket/machine.manifest.xml'
    assert machine['properties']['architecture'] == 'i386'
    assert (bare['container_format'], bare['disk_format']) == ('bare', 'raw')
    code, out, err = run(capsys, 'image', 'convert', str(tmp_path / 'nope'))
    assert code != 0 and 'does not exist' in (out + err)
