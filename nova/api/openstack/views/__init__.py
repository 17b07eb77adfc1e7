"""Views of the OpenStack API: model rows and dicts to answer bodies."""
