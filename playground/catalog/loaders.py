"""Templates that live in an architecture's package: ``architectures/<slug>/card.html`` is the page
text beside that architecture's spec (``models_lib/architectures/<slug>/card.html``, or a plug-in's
folder), so adding an architecture adds no file to ``templates/``."""

from __future__ import annotations

from pathlib import Path

from django.template import Origin, TemplateDoesNotExist
from django.template.loaders.base import Loader as BaseLoader

from models_lib import registry

PREFIX = "architectures/"


class ArchitectureLoader(BaseLoader):
    def get_template_sources(self, template_name: str):
        if not template_name.startswith(PREFIX):
            return
        slug, _, filename = template_name[len(PREFIX) :].partition("/")
        if not filename or "/" in filename or not filename.endswith(".html"):
            return
        try:
            spec = registry.get(slug)
        except registry.UnknownArchitecture:
            return
        if spec.folder is not None:
            yield Origin(name=str(spec.folder / filename), template_name=template_name, loader=self)

    def get_contents(self, origin: Origin) -> str:
        try:
            return Path(origin.name).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise TemplateDoesNotExist(origin) from None
