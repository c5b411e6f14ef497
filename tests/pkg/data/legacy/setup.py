from setuptools import setup

setup(
    name="legacypkg",
    version="3.4.5",
    description="An old-style package configured entirely in setup.py",
    long_description="This package predates pyproject.toml. " * 5,
    author="Old Timer",
    author_email="old@example.com",
    url="https://example.com/legacypkg",
    license="BSD",
    packages=["legacypkg"],
    install_requires=["six==1.16.0", "requests"],
    dependency_links=["https://example.com/simple/private-dep"],
    classifiers=["Programming Language :: Python :: 2.7"],
)
