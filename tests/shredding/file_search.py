"""Byte-wise search of a process's data files: journals, WAL, free pages and all."""

from __future__ import annotations

from pathlib import Path


def files_holding(root: Path, needle: str | bytes) -> list[str]:
    """Files under ``root`` whose bytes contain ``needle`` (text as UTF-8), relative names."""
    wanted = needle.encode() if isinstance(needle, str) else needle
    found = []
    for path in sorted(root.rglob("*")):
        try:
            if path.is_file() and wanted in path.read_bytes():
                found.append(path.relative_to(root).as_posix())
        except FileNotFoundError:  # a journal deleted while we looked
            continue
    return found
