"""The package version (imports nothing, so every layer may read it)."""
__version__ = "0.2.0"
