"""Find children likely to be recorded twice on the register (ADR 0012)."""

from django.core.management.base import BaseCommand

from schools_feed.services.duplicates import duplicate_children_find


class Command(BaseCommand):
    help = "List likely duplicate children for officers to compare and merge."

    def handle(self, *args, **options):
        found = duplicate_children_find()
        self.stdout.write(f"{found} possible duplicate pairs listed for officers to check.")
