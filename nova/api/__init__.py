"""The APIs nova-api serves: EC2 (``nova.api.ec2``) and OpenStack."""
