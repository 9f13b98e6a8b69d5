"""Output for people (rich tables) and for scripts (``--json``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any


def print_error(message: str, hint: str | None = None) -> None:
    text = f"error: {message}"
    if hint:
        text += f"\n  {hint}"
    print(text, file=sys.stderr)


def print_json(data: Any) -> None:
    from pydantic import BaseModel

    def default(obj: Any) -> Any:
        if isinstance(obj, BaseModel):
            return obj.model_dump(mode="json")
        return str(obj)

    sys.stdout.write(json.dumps(data, indent=2, default=default, sort_keys=False) + "\n")


# A table printed into a pipe or a file (``registry show x | less``) is this wide, not rich's 80 columns, which fold
# every cell of an eight-column table; $COLUMNS still wins.
PIPE_WIDTH = 160


def console(*, stderr: bool = False) -> Any:
    """A rich Console for tables: the terminal's width, or ``PIPE_WIDTH`` when the stream is not a terminal."""
    import os

    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or os.environ.get("COLUMNS") else PIPE_WIDTH
    return Console(stderr=stderr, width=width)


def print_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, show_lines=False, header_style="bold")
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:  # cells are catalog text, never markup: "[same]" or a user's "[/tag]" print as written
        table.add_row(*[Text("" if v is None else str(v)) for v in row])
    console().print(table)


def info(message: str) -> None:
    print(message, file=sys.stderr)


def human_size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
