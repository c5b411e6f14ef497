"""devkit: the chores of a Python microservices team in one CLI."""

__version__ = "0.1.0"
