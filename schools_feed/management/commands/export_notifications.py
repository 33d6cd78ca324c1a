"""python manage.py export_notifications PATH

Every notification with its status, the child it was linked to (id) and the match score, for
audit and data quality work. CSV, or XLSX when PATH ends in .xlsx; formula-safe either way.
"""

from pathlib import Path

from django.core.management.base import BaseCommand

from schools_feed.models import Notification
from schools_feed.resources import NotificationExportResource, safe_dataset


class Command(BaseCommand):
    help = "Export every notification with its status, linked child and match score."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        queryset = Notification.objects.select_related("school").order_by(
            "received_at", "row_number"
        )
        dataset = safe_dataset(NotificationExportResource().export(queryset))
        target = Path(path)
        if target.suffix.lower() == ".xlsx":
            target.write_bytes(dataset.export("xlsx"))
        else:
            target.write_bytes(dataset.export("csv").encode("utf-8-sig"))
        self.stdout.write(f"{len(dataset)} notifications written to {target}")
