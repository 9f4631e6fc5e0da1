"""Where the shipped templates, migrations and built-in plugins live.

In a wheel they are carried inside the package (``surveyor/_data``); in a source
checkout (or an editable install) they are the top-level folders of the repository.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    installed = PACKAGE_DIR / "_data" / name
    if installed.is_dir():
        return installed
    return PACKAGE_DIR.parent / name


TEMPLATES_DIR = data_dir("templates")
MIGRATIONS_DIR = data_dir("migrations")
STATIC_DIR = PACKAGE_DIR / "static"
