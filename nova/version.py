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
    """The version with the branch and revision it was built from.

    Diablo read these from a generated ``vcsversion.py``; a tree without one
    reported ``LOCALBRANCH:LOCALREVISION``, as this one does.
    """
    return '%s-LOCALBRANCH:LOCALREVISION' % canonical_version_string()
