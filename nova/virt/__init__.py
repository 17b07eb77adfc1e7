"""Hypervisor drivers: the interface, the fake driver and the loader.

Drivers are layer 3 (see DESIGN.md): they act on the host and get every fact
they need as arguments; they never import ``nova.db`` or ``nova.rpc``.
"""
