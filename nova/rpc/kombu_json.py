"""kombu loaded with its JSON serializer only (import this before kombu).

Nova's messages are JSON.  On import, kombu registers a YAML and a msgpack
serializer whenever PyYAML or msgpack can be imported, which keeps both
libraries (~1.2 MB) resident in every daemon, and lets a message in either
format be decoded.  Importing :mod:`kombu.serialization` here with the two
hidden makes kombu register them as unavailable; afterwards the names are
importable again for any other code of the process.
"""

import sys

_HIDDEN = ('yaml', 'msgpack')


def _load():
    if 'kombu.serialization' in sys.modules:
        return
    hidden = [name for name in _HIDDEN if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None        # "import yaml" raises ImportError
    try:
        import kombu.serialization  # noqa: F401
    finally:
        for name in hidden:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]


_load()
