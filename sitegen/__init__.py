"""sitegen: a static-site catalog generator for container registries."""

__version__ = "0.1.0"
