"""nova-compute."""
