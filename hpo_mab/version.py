"""The installed hpo-mab version (recorded in run identities and generated files)."""

from __future__ import annotations

from importlib import metadata


def package_version() -> str:
    """The installed hpo-mab version, or ``unknown`` when running from an uninstalled checkout."""
    try:
        return metadata.version("hpo-mab")
    except metadata.PackageNotFoundError:
        return "unknown"
