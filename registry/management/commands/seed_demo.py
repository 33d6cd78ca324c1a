"""python manage.py seed_demo [--scale tiny|small|county] [--seed N] [--reset | --if-empty]"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from registry.demo import scales
from registry.demo.build import DEMO_USERS, DemoBuilder, demo_password
from registry.models import Child


class Command(BaseCommand):
    help = (
        "Build a realistic demo local authority: schools and rolls, children, three academic years "
        "of deletion and new pupil returns, EHE and CME episodes with casework, planted "
        "off-rolling patterns, and one demo user per role. Deterministic for a given --seed. "
        "Refuses to run on a register that already holds children unless --reset (DEBUG only: "
        "deletes all register data) or --if-empty (only prints the sign-ins) is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(scales.SCALES), default="small")
        parser.add_argument("--seed", type=int, default=2026)
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--reset", action="store_true", help="Delete all register data first (DEBUG only)."
        )
        group.add_argument("--if-empty", action="store_true", help="Only seed an empty register.")

    def handle(self, *args, scale, seed, reset, if_empty, **options):
        if Child.objects.exists():
            if if_empty:
                self.stdout.write("The register already holds data: nothing seeded.")
                self._print_sign_ins(seed)
                return
            if not reset:
                raise CommandError(
                    "The register already holds children. Use --reset to start again (DEBUG only)."
                )
            if not settings.DEBUG:
                raise CommandError(
                    "--reset deletes every record: it is allowed only with DEBUG=true."
                )
            self._reset()
        self.stdout.write(f"Seeding a {scale} demo local authority (seed {seed})...")
        result = DemoBuilder(scale=scale, seed=seed, out=self.stdout.write).run()
        for name, count in sorted(result["counts"].items()):
            self.stdout.write(f"  {name}: {count:,}")
        self._print_sign_ins(seed)

    def _print_sign_ins(self, seed):
        self.stdout.write("")
        self.stdout.write(
            "Demo sign-ins (demo data only, never use these accounts with real data):"
        )
        self.stdout.write(f"  {'Username':<16} {'Password':<28} Role")
        for username, role, _, _ in DEMO_USERS:
            self.stdout.write(f"  {username:<16} {demo_password(username, seed):<28} {role.label}")

    @transaction.atomic
    def _reset(self):
        from django.apps import apps

        self.stdout.write("Deleting all register data...")
        tables = [
            model
            for app in ("registry", "schools_feed", "axes")
            for model in apps.get_app_config(app).get_models(include_auto_created=True)
        ]
        # Children's rows point at each other with PROTECT: raw deletes in reverse dependency order.
        from django.db import connection

        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                names = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in tables)
                # Deferred foreign-key checks from earlier writes in this transaction must run
                # before PostgreSQL allows a TRUNCATE.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"TRUNCATE {names} CASCADE")
            else:
                cursor.execute("PRAGMA foreign_keys = OFF")
                for model in tables:
                    cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
                cursor.execute("PRAGMA foreign_keys = ON")
