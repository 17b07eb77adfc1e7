"""Packaging of Nova (OpenStack Compute, Diablo 2011.3, in Python 3)."""

from setuptools import find_packages, setup

DAEMONS = ['api', 'compute', 'network', 'volume', 'scheduler', 'objectstore',
           'all', 'dhcpbridge']

setup(
    name='nova',
    version='2011.3',
    description='OpenStack Compute (Nova) Diablo, re-implemented in Python 3',
    long_description=open('README.rst').read(),
    license='Apache License 2.0',
    packages=find_packages(exclude=['tests', 'tests.*']),
    include_package_data=True,
    package_data={'nova': ['**/*.template', '**/*.ini', '**/*.mako',
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
        'libvirt': ['libvirt-python==9.0.0'],
        # The test suite drives real libvirt guests, so it needs the
        # bindings (built against Debian's libvirt-dev) and psutil for the
        # fuzzer's memory checks.
        'test': ['pytest>=7', 'pytest-timeout', 'boto3', 'boto', 'awscli',
                 'ruff', 'psutil', 'libvirt-python==9.0.0',
                 'python-novaclient==6.0.2'],
    },
    entry_points={
        'console_scripts': [
            'nova-%s = nova.cmd.%s:main' % (name, name) for name in DAEMONS
        ] + ['nova-manage = nova.manage:main'],
    },
    data_files=[('etc/nova', ['etc/nova/api-paste.ini',
                             'etc/nova/nova.conf.sample'])],
)
