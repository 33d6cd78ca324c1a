"""python manage.py seed_demo [--scale tiny|small|county] [--seed N] [--reset | --if-empty]
[--allow-without-debug]"""

import random

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from ehe_register.demo import scales
from ehe_register.demo.build import DEMO_USERS, DemoBuilder, demo_password
from ehe_register.demo.letters import demo_letters_send
from ehe_register.demo.parents import demo_parents, demo_parents_create, demo_sign_in_link
from registry.cnis.services import cnis_register_keep
from registry.models import Child, Role, User
from registry.services.second_factor import second_factor_backup_codes_replace

# What the demo administrator may do in the Django admin: no superuser, only these apps' models
# (the register, the schools feed, sign-in lockouts and colleagues' second factors).
DEMO_ADMIN_APPS = ("registry", "schools_feed", "axes", "otp_totp", "otp_static")
DEMO_BACKUP_CODES = 5
BACKUP_CODE_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


class SeedDemoMessages:
    NOT_DEBUG = (
        "seed_demo creates accounts whose passwords it prints, and synthetic children: it runs "
        "only with DEBUG=true, or with --allow-without-debug on a server that will never hold "
        "real data"
    )


def demo_backup_codes(seed: int) -> list[str]:
    """The demo administrator's backup codes, derived from the seed as the passwords are."""
    rng = random.Random(f"{seed}:backup-codes")
    return [
        "".join(rng.choice(BACKUP_CODE_ALPHABET) for _ in range(8))
        for _ in range(DEMO_BACKUP_CODES)
    ]


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
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="Run although DEBUG is off (a demo server that will never hold real data).",
        )

    def handle(self, *args, scale, seed, reset, if_empty, allow_without_debug, **options):
        if not settings.DEBUG and not allow_without_debug:
            raise CommandError(SeedDemoMessages.NOT_DEBUG)
        if Child.objects.exists():
            if if_empty:
                self.stdout.write("The register already holds data: nothing seeded.")
                self._administrator_ready(seed)
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
        demo_parents_create()
        self.stdout.write(f"  letters already sent: {demo_letters_send()}")
        # With the register of children not in school switched on (STATUTORY_RULES), the demo
        # starts as the first night after commencement would leave it (ADR 0016).
        kept = cnis_register_keep(on=timezone.localdate())
        if kept["registered"]:
            self.stdout.write(f"  children not in school register: {kept['registered']:,}")
        for name, count in sorted(result["counts"].items()):
            self.stdout.write(f"  {name}: {count:,}")
        self._administrator_ready(seed)
        self._print_sign_ins(seed)

    def _administrator_ready(self, seed):
        """Staff status and the admin permissions it needs (never superuser), and backup codes
        for the second factor administrators need, so the demo can be signed in to."""
        for administrator in User.objects.filter(
            username__in=[name for name, role, _, _ in DEMO_USERS if role == Role.ADMINISTRATOR]
        ):
            administrator.is_staff = True
            administrator.is_superuser = False
            administrator.save(update_fields=["is_staff", "is_superuser"])
            administrator.user_permissions.set(
                Permission.objects.filter(content_type__app_label__in=DEMO_ADMIN_APPS)
            )
            second_factor_backup_codes_replace(user=administrator, codes=demo_backup_codes(seed))

    def _print_sign_ins(self, seed):
        self.stdout.write("")
        self.stdout.write(
            "Demo sign-ins (demo data only, never use these accounts with real data):"
        )
        self.stdout.write(f"  {'Username':<16} {'Password':<28} Role")
        for username, role, _, _ in DEMO_USERS:
            self.stdout.write(f"  {username:<16} {demo_password(username, seed):<28} {role.label}")
        self.stdout.write(
            "The administrator also enters a security code after the password (a second "
            "factor). Each of these backup codes works once, and all work again after "
            "seed_demo --if-empty: " + ", ".join(demo_backup_codes(seed))
        )
        self._print_parent_sign_ins()

    def _print_parent_sign_ins(self):
        """Parents sign in at /parents/ with their email address; the console email backend
        prints the link it would email. A link valid now is printed too (it works once)."""
        parents = demo_parents()
        if not parents:
            return
        self.stdout.write("")
        self.stdout.write(
            "Demo parents (the parent portal, http://127.0.0.1:8000/parents/): enter the email "
            "address on the sign-in page and open the link the console shows, or use this one "
            f"(it works once, for {settings.PORTAL_SIGN_IN_LINK_MINUTES} minutes):"
        )
        for user, children in parents:
            self.stdout.write(f"  {user.email:<40} {', '.join(children)}")
            self.stdout.write(f"    {demo_sign_in_link(user, 'http://127.0.0.1:8000')}")

    @transaction.atomic
    def _reset(self):
        from django.apps import apps

        self.stdout.write("Deleting all register data...")
        tables = [
            model
            # Users go, so do their second-factor devices and API tokens.
            for app in ("registry", "schools_feed", "axes", "otp_static", "otp_totp", "knox")
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
