"""nova-network."""
