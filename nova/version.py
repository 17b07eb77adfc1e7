"""Version of this Nova: Diablo's release numbers."""

NOVA_VERSION = ['2011', '3']
YEAR, COUNT = NOVA_VERSION
FINAL = True
NOVA_CODENAME = 'Diablo'


def canonical_version_string():
    """``2011.3``."""
    return '.'.join([YEAR, COUNT])


def version_string():
    """``2011.3`` for a final release, ``2011.3-dev`` otherwise."""
    if FINAL:
        return canonical_version_string()
    return '%s-dev' % canonical_version_string()


def version_string_with_vcs():
    """The version with the revision it was built from."""
    return '%s (%s)' % (canonical_version_string(), NOVA_CODENAME)
