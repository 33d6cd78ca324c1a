"""Celery tasks: thin, idempotent, taking ids and calling a service."""

from celery import shared_task

from registry.models import Child
from registry.services.children import child_search_name_refresh


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def child_search_name_refresh_task(child_id: str) -> bool:
    """Recompute a child's search name (after an import writes names in bulk, say)."""
    child = Child.objects.filter(pk=child_id).first()
    if child is None:
        return False
    return child_search_name_refresh(child=child)
