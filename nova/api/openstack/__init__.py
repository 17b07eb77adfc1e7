"""The OpenStack API v1.0/v1.1."""
