"""Serves static files that live outside ``static/``: single front-end files that ship inside pinned
Python packages (so no page loads a CDN and no vendored copy drifts from the pinned version), and
each architecture's icon from its package (``architectures/<slug>/icon.svg``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

# static path -> (package, path inside the package)
PACKAGE_FILES = {
    "vendor/plotly.min.js": ("plotly", "package_data/plotly.min.js"),
}


def _package_file(package: str, inner: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / inner
    return path if path.is_file() else None


class PackageFileFinder(BaseFinder):
    def find(self, path: str, find_all: bool = False, **kwargs):
        entry = PACKAGE_FILES.get(path)
        found = _package_file(*entry) if entry else None
        if found is None:
            return [] if find_all else None
        return [str(found)] if find_all else str(found)

    def list(self, ignore_patterns):
        for static_path, entry in PACKAGE_FILES.items():
            found = _package_file(*entry)
            if found is None:
                continue
            storage = FileSystemStorage(location=str(found.parent))
            storage.prefix = str(Path(static_path).parent)
            yield found.name, storage


class ArchitectureFileFinder(BaseFinder):
    """An architecture's own static files, from its package: ``architectures/<slug>/icon.svg`` (its
    icon) and ``architectures/<slug>/<name>`` for each file in the package's ``static/`` folder."""

    prefix = "architectures/"

    def _files(self) -> dict[str, Path]:
        from models_lib import registry

        files: dict[str, Path] = {}
        for spec in registry.all():
            base = f"{self.prefix}{spec.slug}/"
            if spec.icon is not None:
                files[base + "icon.svg"] = spec.icon
            own = spec.folder / "static" if spec.folder is not None else None
            if own is not None and own.is_dir():
                files.update({base + p.name: p for p in sorted(own.iterdir()) if p.is_file()})
        return files

    def find(self, path: str, find_all: bool = False, **kwargs):
        found = self._files().get(path) if path.startswith(self.prefix) else None
        if found is None:
            return [] if find_all else None
        return [str(found)] if find_all else str(found)

    def list(self, ignore_patterns):
        for static_path, found in self._files().items():
            storage = FileSystemStorage(location=str(found.parent))
            storage.prefix = str(Path(static_path).parent)
            yield found.name, storage
