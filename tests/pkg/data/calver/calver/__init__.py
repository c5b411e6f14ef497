__version__ = "2024"
