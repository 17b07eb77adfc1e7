"""``nova-manage config`` and ``nova-manage version``."""

from nova import flags
from nova import version

FLAGS = flags.FLAGS


class ConfigCommands(object):
    """Show the configuration in effect."""

    def list(self):
        """Print every flag with its current value, as flagfile lines."""
        print(FLAGS.flagfile_text())


class VersionCommands(object):
    """Show the version of Nova."""

    def list(self):
        """Print the version, e.g. ``2011.3 (Diablo)``."""
        print('%s (%s)' % (version.version_string(),
                           version.version_string_with_vcs()))

    __call__ = list
