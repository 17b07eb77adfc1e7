"""Packaging of Nova (OpenStack Compute, Diablo 2011.3, in Python 3)."""

from setuptools import find_packages, setup

DAEMONS = ['api', 'compute', 'network', 'volume', 'scheduler', 'objectstore',
           'all', 'dhcpbridge', 'dashboard', 'vncproxy']
# What run_cloud.sh's printed lines use: the AWS CLI and the nova client
# of the OpenStack API v1.1 (its X-Auth login; pure wheels).  That client
# imports pkg_resources, which Python 3.12's venvs (Ubuntu 24.04) lack and
# setuptools 82 dropped, and the imp module, which Python 3.12 removed
# (zombie-imp brings it back there).
CLOUD = ['awscli', 'python-novaclient==6.0.2', 'setuptools<82',
         'zombie-imp; python_version >= "3.12"']
LIBVIRT = ['libvirt-python>=9.0,<11']
# --auth_driver=nova.auth.ldapdriver.LdapDriver: a pure Python LDAP client.
LDAP = ['ldap3>=2.9']
# Keystone in the API pipelines (api-paste.ini's authtoken filter) and
# for EC2 signatures (--keystone_ec2_url): pure wheels, no compiler.
KEYSTONE = ['keystonemiddleware>=10.0', 'keystoneauth1>=5.0']

setup(
    name='nova',
    version='2011.3',
    description='OpenStack Compute (Nova) Diablo, re-implemented in Python 3',
    long_description=open('README.rst').read(),
    license='Apache License 2.0',
    packages=find_packages(exclude=['tests', 'tests.*']),
    include_package_data=True,
    package_data={'nova': ['**/*.template', '**/*.ini', '**/*.mako',
                           'dashboard/templates/*.html',
                           'dashboard/static/*.js',
                           'db/migrations/*.ini', 'db/migrations/**/*.py']},
    python_requires='>=3.9',
    install_requires=[
        'eventlet>=0.33',
        'kombu>=5.3',
        'SQLAlchemy>=2.0',
        'alembic>=1.11',
        'WebOb>=1.8',
        'Routes>=2.5',
        'Paste>=3.5',
        'PasteDeploy>=3.0',
        'netaddr>=0.8',
        'cryptography>=41',
        'PyMySQL>=1.0',
        'psycopg[binary]>=3.1',
        'Jinja2>=3.0',
    ],
    extras_require={
        # ./run_cloud.sh: novarc puts the venv's aws on PATH (pure wheels).
        'cloud': CLOUD,
        # Real guests (--connection_type=libvirt): libvirt-python is source
        # only and builds against libvirt-dev (Debian 12: libvirt 9.0,
        # Ubuntu 24.04: 10.0; 9.x and 10.x bindings build on both).
        'libvirt': LIBVIRT,
        'ldap': LDAP,
        'keystone': KEYSTONE,
        # The test suite drives the AWS clients and real libvirt guests,
        # and psutil watches the fuzzer's memory.
        'test': CLOUD + LIBVIRT + LDAP + KEYSTONE + [
            'pytest>=7', 'pytest-timeout', 'boto3', 'boto', 'ruff', 'psutil',
            # unit tests run on every core (./run_tests.sh)
            'pytest-xdist',
            # the dashboard's browser tests (Debian's chromium and
            # chromium-driver; nothing downloaded at run time)
            'selenium>=4.10'],
    },
    entry_points={
        'console_scripts': [
            'nova-%s = nova.cmd.%s:main' % (name, name) for name in DAEMONS
        ] + ['nova-manage = nova.manage:main',
             'nova-direct-api = nova.cmd.direct_api:main',
             'stack = nova.stack:main'],
    },
    data_files=[('etc/nova', ['etc/nova/api-paste.ini',
                             'etc/nova/nova.conf.sample'])],
)
