"""Partial, case-insensitive name search over hundreds of thousands of children needs a trigram
index on PostgreSQL. SQLite (the zero-setup default) has no such index type, so the operation runs
only on PostgreSQL and is a no-op elsewhere."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS registry_child_search_name_trgm
    ON registry_child USING gin (search_name gin_trgm_ops);
"""
DROP = """
DROP INDEX IF EXISTS registry_child_search_name_trgm;
"""


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_initial")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
