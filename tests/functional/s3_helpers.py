"""A cloud with nova-objectstore, and S3 clients of it, for the tests."""

import os
import subprocess
import threading

import pytest

from tests.functional.conftest import InProcessCloud


class ThreadedS3(object):
    """nova-objectstore on 127.0.0.1 in a native thread (and hub) of its own.

    nova-api fetches bundles from it with blocking sockets in an unpatched
    test process, which would stall a server sharing nova-api's hub.
    """

    def __init__(self):
        import nova.objectstore.s3server  # noqa: F401 - flags
        ready = threading.Event()
        self._stop = threading.Event()
        box = {}

        def run():
            from nova.objectstore import service as s3service
            from nova.utils import concurrency
            try:
                box['service'] = s3service.S3Service(host='127.0.0.1',
                                                     port=0)
                box['service'].start()
            except BaseException as exc:  # noqa: BLE001 - handed back
                box['error'] = exc
                ready.set()
                return
            ready.set()
            while not self._stop.is_set():
                concurrency.sleep(0.05)
            box['service'].stop()

        self._thread = threading.Thread(target=run, name='objectstore',
                                        daemon=True)
        self._thread.start()
        ready.wait(30)
        if 'error' in box:
            raise box['error']
        self.port = box['service'].port

    def stop(self):
        """Stop serving."""
        self._stop.set()
        self._thread.join(10)


def serve_s3():
    """Start a :class:`ThreadedS3`; ``.port`` and ``.stop()``."""
    return ThreadedS3()


def credentials_env(user, project, directory, s3_endpoint):
    """Unpack the user's credentials zip (novarc, pk.pem, cert.pem,
    cacert.pem) into ``directory``; returns the environment novarc sets
    for the bundler (tools/bundle_image.py)."""
    import io
    import zipfile
    from nova.auth import manager
    data = manager.AuthManager().get_credentials(user, project)
    zipfile.ZipFile(io.BytesIO(data)).extractall(directory)
    access = manager.AuthManager().get_access_key(user, project)
    secret = manager.AuthManager().get_user(user).secret
    return {'EC2_ACCESS_KEY': access, 'EC2_SECRET_KEY': secret,
            'S3_URL': s3_endpoint, 'EC2_USER_ID': user,
            'EC2_PRIVATE_KEY': os.path.join(directory, 'pk.pem'),
            'EC2_CERT': os.path.join(directory, 'cert.pem'),
            'NOVA_CERT': os.path.join(directory, 'cacert.pem')}


class S3Cloud(object):
    """An :class:`InProcessCloud` plus nova-objectstore on a free port."""

    def __init__(self, state_path, extra_flags=None):
        self.decryption_dir = os.path.join(str(state_path), 'decrypt')
        os.makedirs(self.decryption_dir, exist_ok=True)
        flags = {'buckets_path': os.path.join(str(state_path), 'buckets'),
                 'image_decryption_dir': self.decryption_dir,
                 's3_host': '127.0.0.1', 's3_dmz': '127.0.0.1'}
        flags.update(extra_flags or {})
        self.cloud = InProcessCloud(state_path, extra_flags=flags)
        self.s3 = None

    def start(self):
        """Start the cloud, then nova-objectstore (see :func:`serve_s3`)."""
        self.cloud.start()
        self.s3 = serve_s3()
        # Where the S3 image service fetches bundles from.
        self.cloud._set_flag('s3_port', self.s3.port)
        return self

    def stop(self):
        """Stop nova-objectstore and the cloud."""
        if self.s3 is not None:
            self.s3.stop()
        self.cloud.stop()

    @property
    def s3_endpoint(self):
        """``http://127.0.0.1:PORT``."""
        return 'http://127.0.0.1:%d' % self.s3.port

    def boto3_s3(self, access, secret, signature_version='s3v4',
                 addressing_style='path'):
        """A boto3 S3 client of nova-objectstore."""
        import boto3
        import botocore.config
        return boto3.client(
            's3', endpoint_url=self.s3_endpoint, region_name='nova',
            aws_access_key_id=access, aws_secret_access_key=secret,
            config=botocore.config.Config(
                signature_version=signature_version,
                retries={'max_attempts': 1},
                s3={'addressing_style': addressing_style}))

    def aws_s3(self, access, secret, *args, check=True, config=None):
        """Run ``aws ARGS`` against nova-objectstore; returns the process."""
        env = dict(os.environ, AWS_ACCESS_KEY_ID=access,
                   AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION='nova',
                   AWS_MAX_ATTEMPTS='1',
                   AWS_CONFIG_FILE=config or '/dev/null',
                   AWS_SHARED_CREDENTIALS_FILE='/dev/null')
        env.pop('AWS_PROFILE', None)
        cmd = ['aws', '--endpoint-url', self.s3_endpoint] + list(args)
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env,
                              timeout=300)
        if check and proc.returncode != 0:
            raise AssertionError('aws %s failed: %s%s' % (
                ' '.join(args), proc.stdout, proc.stderr))
        return proc

    def credentials(self, user, project, directory):
        """The bundler's environment for ``user`` (see
        :func:`credentials_env`)."""
        return credentials_env(user, project, directory, self.s3_endpoint)

    def __getattr__(self, name):
        return getattr(self.cloud, name)


@pytest.fixture(scope='module')
def s3cloud(tmp_path_factory):
    """A running cloud with nova-objectstore, shared by a module's tests."""
    instance = S3Cloud(tmp_path_factory.mktemp('s3cloud'))
    instance.start()
    yield instance
    instance.stop()
