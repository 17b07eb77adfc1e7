"""nova-volume."""
