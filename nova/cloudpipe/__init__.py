"""Cloudpipe: a per-project OpenVPN server instance (``nova-manage vpn run``)."""
