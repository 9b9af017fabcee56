from django.db.models import Q

from playground.access import Viewer

from .models import Dataset


def dataset_list(*, viewer: Viewer, kinds: tuple[str, ...] | None = None) -> list[Dataset]:
    qs = Dataset.objects.visible_to(viewer.visitor_id)
    if kinds is not None:
        qs = qs.filter(kind__in=kinds)
    return list(qs)


def dataset_get(*, viewer: Viewer, ref: int | str) -> Dataset | None:
    """A dataset by id or slug, or None when it does not exist or is not the viewer's to use."""
    qs = Dataset.objects.visible_to(viewer.visitor_id)
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        return qs.filter(Q(pk=int(ref)) | Q(slug=str(ref))).first()
    return qs.filter(slug=ref).first()
