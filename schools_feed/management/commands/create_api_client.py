"""python manage.py create_api_client URN NAME: credentials for an MIS supplier, for one school."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from knox.settings import knox_settings

from registry.dates import date_words
from schools_feed.models import School
from schools_feed.services.api_clients import api_client_create


class Command(BaseCommand):
    help = (
        "Create an API client for the school with this URN and print its token, once (only a "
        "hash is kept, and it expires after API_TOKEN_TTL_DAYS). The token goes alone to "
        "standard output (for a script); what it is goes to standard error."
    )

    def add_arguments(self, parser):
        parser.add_argument("urn", help="The school's URN.")
        parser.add_argument("name", help="Who will use it, for example the MIS supplier.")

    def handle(self, *args, urn: str, name: str, **options):
        school = School.objects.filter(urn=urn.strip()).first()
        if school is None:
            raise CommandError(f"No school with URN {urn} in the register (GIAS)")
        try:
            user, key = api_client_create(school=school, name=name, by=None)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        expires = timezone.localtime(timezone.now() + knox_settings.TOKEN_TTL)
        self.stderr.write(
            f"API client {user.username} for {school}. Its token follows; it is shown only "
            "now and expires on "
            f"{date_words(expires)}. Send it to the supplier securely: it is sent as "
            "'Authorization: Token <key>'."
        )
        self.stdout.write(key)
