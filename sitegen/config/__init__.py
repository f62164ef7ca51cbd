"""The configuration: ``registries.yaml`` read, checked and frozen before any request.

``schema.py`` holds the frozen dataclasses, ``loader.py`` builds them (every error names
file, line, column and key path), ``yamlreader.py`` keeps the positions, ``tls.py``
loads TLS files. Imports only ``oci`` and the base modules.
"""

from sitegen.config.loader import load_config
from sitegen.config.schema import (
    Auth,
    Config,
    Discovery,
    Limits,
    RegistryConfig,
    RepositoryConfig,
    Secret,
    SiteConfig,
    TagFilter,
    platform_matches,
)

__all__ = [
    "Auth",
    "Config",
    "Discovery",
    "Limits",
    "RegistryConfig",
    "RepositoryConfig",
    "Secret",
    "SiteConfig",
    "TagFilter",
    "load_config",
    "platform_matches",
]
