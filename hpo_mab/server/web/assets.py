"""The static files of the pages: this package's ``static/`` and the charting library of the ``plotly`` package.

Plotly's bundled ``plotly.min.js`` is served from the installed package (nothing is loaded from the
internet); names are looked up in a fixed table, never joined into a path.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

STATIC = Path(__file__).parent / "static"
CHARTS = "plotly.min.js"


@cache
def _assets() -> dict[str, Path]:
    files = {p.name: p for p in STATIC.iterdir() if p.is_file()}
    import plotly

    files[CHARTS] = Path(plotly.__file__).parent / "package_data" / CHARTS
    return files


def asset_path(name: str) -> Path | None:
    """The file of a static name, or None."""
    return _assets().get(name)
