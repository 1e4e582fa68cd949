"""The package version, in the kernel so that every layer can name it without importing the API."""

__version__ = "0.1.0"
