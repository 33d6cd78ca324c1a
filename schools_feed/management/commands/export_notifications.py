"""python manage.py export_notifications PATH --by USERNAME --reason TEXT

Every notification with its status, the child it was linked to (id) and the match score, for
audit and data quality work. CSV, or XLSX when PATH ends in .xlsx; formula-safe either way.
The export names pupils, so it is attributable like any list of children: it runs as a named,
active user who holds the "export" capability (an administrator), and writes one row in the list
access log naming every child linked, and one in the disclosure log (the file left the register:
its count is every notification's pupil, linked to a child or not).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registry.access import Capability, user_can
from registry.models import AccessPurpose, DisclosureChannel, DisclosureKind, User
from registry.services.access_log import children_list_log
from registry.services.disclosure import disclosure_record
from schools_feed.models import Notification
from schools_feed.resources import NotificationExportResource, safe_dataset


class Command(BaseCommand):
    help = "Export every notification with its status, linked child and match score."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--by", required=True, help="Username of who asks for the export.")
        parser.add_argument("--reason", required=True, help="Why the export is needed.")

    def handle(self, *args, path, by, reason, **options):
        user = User.objects.filter(username=by).first()
        if user is None or not user_can(user, Capability.EXPORT_NOTIFICATIONS):
            raise CommandError(f"{by} is not an active user allowed to export notifications")
        if not reason.strip():
            raise CommandError("Give a reason for the export (--reason)")
        queryset = Notification.objects.select_related("school").order_by(
            "received_at", "row_number"
        )
        dataset = safe_dataset(NotificationExportResource().export(queryset))
        target = Path(path)
        if target.suffix.lower() == ".xlsx":
            target.write_bytes(dataset.export("xlsx"))
        else:
            target.write_bytes(dataset.export("csv").encode("utf-8-sig"))
        children_list_log(
            user=user,
            children=queryset.exclude(child=None).values_list("child_id", flat=True),
            path=f"manage.py export_notifications {target.name}",
            purpose=AccessPurpose.EXPORT,
            reason=reason,
        )
        disclosure_record(
            kind=DisclosureKind.NOTIFICATIONS_EXPORT,
            channel=DisclosureChannel.FILE,
            user=user,
            recipient=f"File written to {target.resolve()}",
            path=f"manage.py export_notifications {target.name}",
            children=queryset.exclude(child=None).values_list("child_id", flat=True),
            children_count=len(dataset),
            reason=reason,
        )
        self.stdout.write(f"{len(dataset)} notifications written to {target}")
