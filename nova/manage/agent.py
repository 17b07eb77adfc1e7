"""``nova-manage agent``: the guest agent builds (table ``agent_builds``).

Diablo's XenAPI driver upgraded the agent inside a guest to the build
recorded for the instance's hypervisor, OS and architecture.  This cloud
runs no XenAPI, but an operator manages the records as in Diablo, with
Diablo's positional arguments::

    nova-manage agent create OS ARCHITECTURE VERSION URL MD5HASH [HYPERVISOR]
    nova-manage agent modify OS ARCHITECTURE VERSION URL MD5HASH [HYPERVISOR]
    nova-manage agent delete OS ARCHITECTURE [HYPERVISOR]
    nova-manage agent list [HYPERVISOR]

``HYPERVISOR`` defaults to ``xen``, as in Diablo.
"""

from nova import db
from nova import exception
from nova.manage.base import admin_context

#: Diablo's row format: os, architecture, version, md5hash.
ROW_FORMAT = '%-10s  %-8s  %12s  %s'


def _existing(ctxt, hypervisor, os, architecture):
    build = db.agent_build_get_by_triple(ctxt, hypervisor, os, architecture)
    if build is None:
        raise exception.AgentBuildNotFound(hypervisor=hypervisor, os=os,
                                           architecture=architecture)
    return build


class AgentBuildCommands(object):
    """Manage the guest agent builds."""

    def create(self, os, architecture, version, url, md5hash,
               hypervisor='xen'):
        """Record a new agent build.

        arguments: os architecture version url md5hash [hypervisor]"""
        db.agent_build_create(admin_context(), {
            'hypervisor': hypervisor, 'os': os,
            'architecture': architecture, 'version': version, 'url': url,
            'md5hash': md5hash})

    def delete(self, os, architecture, hypervisor='xen'):
        """Delete the agent build of a hypervisor, OS and architecture.

        arguments: os architecture [hypervisor]"""
        ctxt = admin_context()
        build = _existing(ctxt, hypervisor, os, architecture)
        db.agent_build_destroy(ctxt, build['id'])

    def list(self, hypervisor=None):
        """List the agent builds, grouped by hypervisor.

        arguments: [hypervisor]"""
        by_hypervisor = {}
        for build in db.agent_build_get_all(admin_context()):
            by_hypervisor.setdefault(build['hypervisor'], []).append(build)
        for key in sorted(by_hypervisor, key=lambda k: (k is None, k or '')):
            if hypervisor and key != hypervisor:
                continue
            print('Hypervisor: %s' % key)
            print(ROW_FORMAT % ('-' * 10, '-' * 8, '-' * 12, '-' * 32))
            for build in by_hypervisor[key]:
                print(ROW_FORMAT % (build['os'], build['architecture'],
                                    build['version'], build['md5hash']))
                print('    %s' % build['url'])
            print()

    def modify(self, os, architecture, version, url, md5hash,
               hypervisor='xen'):
        """Change the version, URL and md5hash of an agent build.

        arguments: os architecture version url md5hash [hypervisor]"""
        ctxt = admin_context()
        build = _existing(ctxt, hypervisor, os, architecture)
        db.agent_build_update(ctxt, build['id'], {
            'version': version, 'url': url, 'md5hash': md5hash})
