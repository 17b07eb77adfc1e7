"""nova-scheduler."""
