"""One module per daemon; ``bin/`` scripts and console scripts call main().

Importing this package makes the standard library cooperative (eventlet)
before any daemon module imports kombu, database drivers or sockets.
"""

from nova.utils import concurrency

concurrency.monkey_patch()
