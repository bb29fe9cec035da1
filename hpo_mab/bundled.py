"""Where the bundled configurations and tables are: package data, found with ``importlib.resources``.

In an installed wheel they live inside the package; in a source checkout (editable install) the
packages ``hpo_mab.hp_conf``, ``hpo_mab.run_conf`` and ``hpo_mab.surrogates`` are the repository's
top-level folders of the same names.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def package_folder(package: str) -> Path:
    """The folder of an installed (unzipped) package, as a file-system path."""
    folder = files(package)
    if not isinstance(folder, Path):
        raise RuntimeError(f"{package} is not installed as files on disk (zip imports are not supported)")
    return folder


def hp_conf_folder() -> Path:
    """The bundled hp_conf folder."""
    return package_folder("hpo_mab.hp_conf")


def run_conf_folder() -> Path:
    """The bundled run_conf folder."""
    return package_folder("hpo_mab.run_conf")


def data_folder() -> Path:
    """The bundled lookup tables (``surrogates/data``)."""
    return package_folder("hpo_mab.surrogates") / "data"
