"""python manage.py remove_expired_files"""

from django.conf import settings
from django.core.management.base import BaseCommand

from schools_feed.services.retention import submission_files_remove_expired


class Command(BaseCommand):
    help = (
        "Remove the content of uploaded files received more than FEED_FILE_RETENTION_DAYS ago, "
        "keeping each submission's record, sha256, counts and rows. Safe to run again."
    )

    def handle(self, *args, **options):
        removed = submission_files_remove_expired()
        days = settings.FEED_FILE_RETENTION_DAYS
        self.stdout.write(f"{removed} files older than {days} days removed.")
