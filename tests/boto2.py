"""boto 2.49, the euca2ools-era EC2 client, where this Python can run it.

boto 2.49's vendored ``six`` finds ``six.moves`` through ``find_module``,
which Python 3.12 removed (Ubuntu 24.04): ``boto.ec2`` then fails to
import, and the tests that drive boto 2 skip there, saying why.
"""

import pytest

REASON = ('boto 2.49 does not import on this Python (its vendored six '
          'needs find_module, gone in Python 3.12)')


def require():
    """Skip the calling test (or module) unless boto 2's EC2 client loads."""
    return pytest.importorskip('boto.ec2.connection', reason=REASON)
