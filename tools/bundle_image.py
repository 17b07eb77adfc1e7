#!/usr/bin/env python3
"""Bundle an image and upload the bundle, as euca2ools did.

euca2ools cannot be installed today, so this is the manual's
``euca-bundle-image`` / ``euca-upload-bundle`` for this project.  Source
the ``novarc`` of a credentials zip first (``nova-manage project zipfile``):
its EC2_CERT, EC2_PRIVATE_KEY, NOVA_CERT, EC2_USER_ID, S3_URL,
EC2_ACCESS_KEY and EC2_SECRET_KEY are the defaults::

    tools/bundle_image.py bundle-image -i server.img [-d /tmp]
        [--kernel true | --kernel aki-XXXXXXXX] [--ramdisk true | ari-...]
    tools/bundle_image.py upload-bundle -b mybucket -m /tmp/server.img.manifest.xml
    euca-register mybucket/server.img.manifest.xml   (RegisterImage)

Bundles are euca-compatible: tar + gzip + AES-128-CBC parts of 10 MiB, the
key and IV encrypted to the cloud certificate and to the user's, SHA1
digests and the user's RSA-SHA1 signature in the manifest.  Uploads are
signed with AWS Signature Version 4, every chunk signed
(STREAMING-AWS4-HMAC-SHA256-PAYLOAD).
"""

import argparse
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__),
                                                os.pardir)))

from nova.image import bundle  # noqa: E402
from nova.image import s3client  # noqa: E402


def _read(path, what):
    if not path:
        raise SystemExit('bundle_image: %s is required (source novarc)'
                         % what)
    try:
        with open(path, encoding='ascii') as source:
            return source.read()
    except OSError as exc:
        raise SystemExit('bundle_image: cannot read %s %s: %s'
                         % (what, path, exc.strerror))


def bundle_image(args):
    """Write the bundle of ``args.image`` to ``args.destination``."""
    if not os.path.isfile(args.image):
        raise SystemExit('bundle_image: image %s does not exist' % args.image)
    kind = 'machine'
    kernel = ramdisk = None
    if args.kernel == 'true':
        kind = 'kernel'
    elif args.kernel:
        kernel = args.kernel
    if args.ramdisk == 'true':
        kind = 'ramdisk'
    elif args.ramdisk:
        ramdisk = args.ramdisk
    os.makedirs(args.destination, exist_ok=True)
    manifest = bundle.make_bundle(
        args.image, args.destination, _read(args.ec2cert, 'the cloud cert'),
        _read(args.cert, 'the user cert'), _read(args.privatekey,
                                                 'the private key'),
        args.user, kind=kind, kernel_id=kernel, ramdisk_id=ramdisk,
        architecture=args.arch, prefix=args.prefix,
        part_size=args.part_size)
    print('Generating manifest %s' % manifest)
    return manifest


def upload_bundle(args):
    """Upload a manifest and its parts to ``args.bucket``."""
    url = urllib.parse.urlsplit(args.url or '')
    if not url.hostname:
        raise SystemExit('bundle_image: --url (S3_URL) is required')
    if not args.access or not args.secret:
        raise SystemExit('bundle_image: -a and -s (EC2_ACCESS_KEY, '
                         'EC2_SECRET_KEY) are required')
    client = s3client.S3Client(url.hostname, url.port or 3333, args.access,
                               args.secret)
    bucket, _sep, prefix = args.bucket.partition('/')
    prefix = prefix.strip('/') + '/' if prefix.strip('/') else ''
    try:
        client.create_bucket(bucket)
        for path in bundle.part_files(args.manifest) + [args.manifest]:
            print('Uploading %s' % os.path.basename(path))
            client.put_file(bucket, prefix + os.path.basename(path), path)
    except s3client.S3ClientError as exc:
        raise SystemExit('bundle_image: upload failed: %s' % exc)
    except OSError as exc:
        raise SystemExit('bundle_image: upload failed: %s' % exc)
    except bundle.InvalidManifest as exc:
        raise SystemExit('bundle_image: %s' % exc)
    print('Uploaded image as %s/%s%s' % (bucket, prefix,
                                         os.path.basename(args.manifest)))


def main(argv=None):
    """Parse the command line and run the sub-command."""
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='command', required=True)
    b = sub.add_parser('bundle-image', help='bundle an image')
    b.add_argument('-i', '--image', required=True)
    b.add_argument('-d', '--destination', default='/tmp')
    b.add_argument('-c', '--cert', default=env('EC2_CERT'))
    b.add_argument('-k', '--privatekey', default=env('EC2_PRIVATE_KEY'))
    b.add_argument('--ec2cert', default=env('NOVA_CERT') or
                   env('EUCALYPTUS_CERT'))
    b.add_argument('-u', '--user', default=env('EC2_USER_ID') or '42')
    b.add_argument('--kernel')
    b.add_argument('--ramdisk')
    b.add_argument('-r', '--arch', default='x86_64')
    b.add_argument('-p', '--prefix')
    b.add_argument('--part-size', type=int, default=bundle.PART_SIZE)
    u = sub.add_parser('upload-bundle', help='upload a bundle')
    u.add_argument('-b', '--bucket', required=True)
    u.add_argument('-m', '--manifest', required=True)
    u.add_argument('-a', '--access', default=env('EC2_ACCESS_KEY'))
    u.add_argument('-s', '--secret', default=env('EC2_SECRET_KEY'))
    u.add_argument('-U', '--url', default=env('S3_URL'))
    args = parser.parse_args(argv)
    if args.command == 'bundle-image':
        bundle_image(args)
    else:
        upload_bundle(args)
    return 0


if __name__ == '__main__':
    sys.exit(main())
