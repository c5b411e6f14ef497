"""goodpkg: order events."""

__version__ = "1.2.0"
