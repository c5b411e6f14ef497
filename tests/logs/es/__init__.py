"""Tests of devkit.logs.es (a package so its conftest does not shadow tests/logs/conftest.py)."""
