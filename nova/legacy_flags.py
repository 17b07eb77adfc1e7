"""Flags of Diablo modules this project has not (or will never) rebuild.

Operators' ``nova.conf`` files name them, so every daemon must accept them
with Diablo's defaults.  When a module of ours takes over a flag, its
definition moves there (defining it twice is an error, so nothing is lost).
"""

from nova import flags  # noqa: F401
