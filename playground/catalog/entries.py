"""The catalog: every architecture the Playground teaches, trainable or coming.

Each entry is an architecture package in ``models_lib`` (its spec: the card, the knobs, the data it
takes, the views and the metrics); this module only gives the pages a convenient view of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from models_lib import registry

FAMILIES = registry.FAMILIES


@dataclass(frozen=True)
class CatalogEntry:
    arch: registry.ArchitectureSpec

    @property
    def spec(self) -> registry.ArchitectureSpec | None:
        """The spec when the entry is trainable (what the train form and the API need), else None."""
        return self.arch if self.arch.trainable else None

    @property
    def slug(self) -> str:
        return self.arch.slug

    @property
    def name(self) -> str:
        return self.arch.card.name

    @property
    def family(self) -> str:
        return self.arch.card.family

    @property
    def task(self) -> str:
        """What it does, in words ("classify, regress", "reconstruct")."""
        return self.arch.card.purpose

    @property
    def data(self) -> str:
        return self.arch.card.data

    @property
    def summary(self) -> str:
        return self.arch.card.summary

    @property
    def icon(self) -> str:
        """The static path of its icon (``icon.svg`` in its package; see ``playground.staticfinders``)."""
        return f"architectures/{self.slug}/icon.svg" if self.arch.icon else "images/logo.svg"

    @property
    def template(self) -> str | None:
        """The template name of its page text (``card.html`` in its package; see ``playground.catalog.loaders``)."""
        return f"architectures/{self.slug}/card.html" if self.arch.page else None

    @property
    def compare_entries(self) -> list[tuple[CatalogEntry, str]]:
        return [(e, why) for slug, why in self.arch.card.compare_with if (e := catalog_entry(slug)) is not None]

    @property
    def search_text(self) -> str:
        words = (self.name, self.task, self.data, self.summary, " ".join(self.arch.card.search))
        return " ".join(words).lower()

    @property
    def trainable(self) -> bool:
        return self.arch.trainable

    @property
    def interactive(self) -> bool:
        """Usable today without a training job (the step-through backprop explainer)."""
        return self.arch.card.interactive

    @property
    def url(self) -> str:
        return f"/catalog/{self.slug}/"

    @property
    def family_name(self) -> str:
        return dict(FAMILIES)[self.family]


def catalog_entries() -> tuple[CatalogEntry, ...]:
    """Every entry in catalog order (by family, then each card's order)."""
    return tuple(CatalogEntry(spec) for spec in registry.all())


def catalog_entry(slug: str) -> CatalogEntry | None:
    try:
        return CatalogEntry(registry.get(slug))
    except registry.UnknownArchitecture:
        return None


def catalog_by_family() -> list[tuple[str, str, list[CatalogEntry]]]:
    entries = catalog_entries()
    return [(key, name, [e for e in entries if e.family == key]) for key, name in FAMILIES]
