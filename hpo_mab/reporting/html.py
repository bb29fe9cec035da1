"""A self-contained HTML page of tables and PNG images (inline CSS, images as data: URIs)."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

Block = pd.DataFrame | Path
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }
th { background: #f0f0f0; }
img { max-width: 100%; display: block; margin: 1em 0; }
nav li { margin: 0.2em 0; }
"""


def format_float(value: float) -> str:
    """Six significant digits (``inf`` and ``nan`` as such)."""
    return f"{value:.6g}"


def render_block(block: Block) -> str:
    """HTML of one block: a DataFrame as a table, or a PNG file as an embedded image."""
    if isinstance(block, pd.DataFrame):
        return block.to_html(index=False, float_format=format_float, border=0, na_rep="NaN")
    if isinstance(block, Path):
        data = block.read_bytes()
        if not data.startswith(PNG_MAGIC):
            raise ValueError(f"{block} is not a PNG file")
        encoded = base64.b64encode(data).decode("ascii")
        return f'<img alt="{html.escape(block.stem)}" src="data:image/png;base64,{encoded}">'
    raise TypeError(f"a block is a pandas DataFrame or a Path to a PNG, not {type(block).__name__}")


def render_html(title: str, sections: Sequence[tuple[str, Sequence[Block]]]) -> str:
    """The page: title, a table of contents of in-page anchors, then each section's heading and blocks."""
    toc = "".join(
        f'<li><a href="#section-{i}">{html.escape(heading)}</a></li>' for i, (heading, _) in enumerate(sections)
    )
    body = []
    for i, (heading, blocks) in enumerate(sections):
        body.append(f'<h2 id="section-{i}">{html.escape(heading)}</h2>')
        body += [render_block(b) for b in blocks]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f"<title>{html.escape(title)}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            f"<h1>{html.escape(title)}</h1>",
            f"<nav><ul>{toc}</ul></nav>",
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )


def write_html(path: Path, title: str, sections: Sequence[tuple[str, Sequence[Block]]]) -> Path:
    """Write the self-contained page of :func:`render_html` to ``path`` and return it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(title, sections), encoding="utf-8")
    return path
