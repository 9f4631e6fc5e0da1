"""Static files with content-hashed URLs: ``/static/app.css?v=<hash>``.

The hash changes when the file does, so the files can be cached for a year.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.router import Router
from litestar.static_files import create_static_files_router

from surveyor.paths import STATIC_DIR


class StaticFiles:
    def __init__(self, directory: Path = STATIC_DIR, prefix: str = "/static") -> None:
        self.directory = directory
        self.prefix = prefix
        self._hashes: dict[str, str] = {}
        for path in directory.rglob("*"):
            if path.is_file():
                digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
                self._hashes[path.relative_to(directory).as_posix()] = digest

    def url(self, name: str) -> str:
        digest = self._hashes.get(name)
        if digest is None:
            raise KeyError(f"no static file {name!r}")
        return f"{self.prefix}/{name}?v={digest}"

    def router(self) -> Router:
        return create_static_files_router(
            path=self.prefix,
            directories=[self.directory],
            cache_control=CacheControlHeader(public=True, max_age=31536000, immutable=True),
            include_in_schema=False,
            opt={"public": True},
            before_request=self._known_only,
        )

    async def _known_only(self, request: Any) -> None:
        """Only files that exist are served: a NUL byte (``%00``) or any other odd name is a
        plain 404 before the file system sees it (it raised ``ValueError``, a 500)."""
        name = str(request.path_params.get("file_path", "")).lstrip("/")
        if name not in self._hashes:
            raise NotFoundException()
