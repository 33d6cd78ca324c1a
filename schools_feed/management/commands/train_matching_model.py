"""Train a new version of the matching model on this LA's register (ADR 0012)."""

from django.core.management.base import BaseCommand, CommandError

from schools_feed.services.matching_model import (
    TooLittleToTrainOn,
    judgement_lines,
    model_adopt,
    model_train,
)


class Command(BaseCommand):
    help = "Train the Splink matching model's m and u on the register and recent returns."

    def add_arguments(self, parser):
        parser.add_argument(
            "--adopt", action="store_true", help="use the new version for matching from now on"
        )
        parser.add_argument(
            "--adopt-version", type=int, help="use this existing version for matching; no training"
        )

    def handle(self, *args, **options):
        if options["adopt_version"] is not None:
            record = model_adopt(version=options["adopt_version"])
            self.stdout.write(f"Matching now uses model version {record.version}.")
            return
        try:
            record = model_train(label="the train_matching_model command", adopt=options["adopt"])
        except TooLittleToTrainOn as refused:
            raise CommandError(str(refused)) from refused
        in_use = "in use for matching" if record.adopted_at else "not in use until adopted"
        self.stdout.write(
            f"Matching model version {record.version} ({in_use}): {record.register_size} "
            f"children, {record.returns_count} returns ({record.method})."
        )
        for line in judgement_lines(record.evaluation) if record.evaluation else ():
            self.stdout.write(line)
