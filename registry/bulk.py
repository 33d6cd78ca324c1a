"""Bulk inserts of new rows, with their history, through PostgreSQL COPY.

``bulk_insert_with_history`` writes what django-simple-history's ``bulk_create_with_history``
writes (style.md, "Audit": never bulk-write a tracked model behind history's back): every row,
and one historical row each with ``history_type`` "+", the history user, the change reason and
every tracked field. It only changes how the rows travel: on PostgreSQL a ``COPY ... FROM STDIN``
per table instead of compiled multi-row INSERTs, which cost most of an import's time. Values are
prepared as Django's ``bulk_create`` prepares them (``pre_save(obj, add=True)``, then the field's
``get_db_prep_save``), so the database receives the same values; the only shortcuts skip calls
that would return the value unchanged (see ``_field_steps``), and each historical row reuses its
row's prepared values, as its tracked fields are copies of the model's.

Anything COPY cannot do the same way falls back to the library call, so the result never
differs: another database; a row without a primary key yet; a value that is an expression
(``F()``, ``Now()``, a ``db_default``); a column the database fills in and Django reads back; a
multi-table inherited model; a historical model with columns this module does not know.

After writes that grow a table by more than a tenth, or fill one never analysed, the table's
planner statistics are refreshed there and then (``refresh_statistics``): autovacuum
would do it only when its daemon next wakes, and on a freshly loaded database PostgreSQL would
plan the rest of the import, and the tasks it queues, as if the tables were empty.

All three functions run inside the caller's transaction (``atomic(savepoint=False)``, as
``bulk_create`` does): they never commit it, and a rollback undoes the COPY.
"""

import json
import operator
import time
from dataclasses import dataclass
from functools import cache, partial

from django.conf import settings
from django.db import connections, models, router, transaction
from django.db.models import AutoField, Field, Model
from django.utils import timezone
from simple_history.exceptions import NotHistoricalModelError
from simple_history.utils import (
    bulk_create_with_history,
    get_change_reason_from_object,
    get_history_manager_for_model,
)

# The batch size of the INSERT fallback (SQLite, or anything COPY cannot do the same way).
FALLBACK_BATCH_SIZE = 500
# Grown by half since last analysed. Between analyses the planner scales the rows it knows by the
# table's current size (its pages), so counts stay right; what ages is the shape of the values,
# which rows of the same kind hardly change. Autovacuum's tenth (autovacuum_analyze_scale_factor)
# made a 100,000-row file analyse each of its tables after nearly every 1,000-row part (32
# ANALYZEs of 13,000-200,000-row tables, 7.7 s, in a 20,000-row file; docs/benchmarks.md).
STATISTICS_STALE_FRACTION = 0.5
# Below this many rows a write cannot mislead the planner enough to matter (a 30-row upload).
STATISTICS_MIN_ROWS = 1000

_NOT_SET = object()


def bulk_insert_with_history(objs: list, model: type[Model], *, user, reason: str) -> list:
    """Insert new ``model`` instances and one "+" historical row each; return ``objs``.

    The same rows as ``bulk_create_with_history(objs, model, default_user=user,
    default_change_reason=reason)``, per-instance ``_history_user``, ``_history_date`` and
    ``_change_reason`` included. One ``history_date`` serves the whole batch.
    """
    objs = list(objs)
    if not objs:
        return objs
    history_manager = get_history_manager_for_model(model)
    history_model = history_manager.model
    db = router.db_for_write(model)
    connection = connections[db]

    main_plan = _table_plan(model)
    history_plan = _history_plan(model)
    usable = (
        connection.vendor == "postgresql"
        and router.db_for_write(history_model) == db
        and main_plan is not None
        and history_plan is not None
        and all(obj.pk is not None for obj in objs)
    )
    main_rows = _prepare_rows(objs, main_plan, connection) if usable else None
    if main_rows is None:
        return bulk_create_with_history(
            objs,
            model,
            batch_size=FALLBACK_BATCH_SIZE,
            default_user=user,
            default_change_reason=reason,
        )

    with transaction.atomic(using=db, savepoint=False):
        _copy(connection, main_plan.table, main_plan.columns, main_rows)
        if getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
            history_rows = _history_rows(
                objs, main_rows, history_plan, history_model, connection, user, reason
            )
            _copy(connection, history_plan.table, history_plan.columns, history_rows)
    _mark_saved(objs, db)
    refresh_statistics(connection, {main_plan.table: len(objs), history_plan.table: len(objs)})
    return objs


def bulk_insert(objs: list, model: type[Model]) -> list:
    """Insert new instances of a model that keeps no history (domain events such as
    ``EpisodeStatusChange``); return ``objs``. COPY on PostgreSQL, ``bulk_create`` elsewhere."""
    _refuse_tracked(model)
    objs = list(objs)
    if not objs:
        return objs
    db = router.db_for_write(model)
    connection = connections[db]
    plan = _table_plan(model)
    usable = (
        connection.vendor == "postgresql"
        and plan is not None
        and all(obj.pk is not None for obj in objs)
    )
    rows = _prepare_rows(objs, plan, connection) if usable else None
    if rows is None:
        return model._default_manager.bulk_create(objs, batch_size=FALLBACK_BATCH_SIZE)
    with transaction.atomic(using=db, savepoint=False):
        _copy(connection, plan.table, plan.columns, rows)
    _mark_saved(objs, db)
    refresh_statistics(connection, {plan.table: len(objs)})
    return objs


def insert_rows(model: type[Model], fields: tuple[str, ...], rows) -> None:
    """Insert rows given as plain Python values, in the order of ``fields`` (attribute names),
    into a model that keeps no history. For derived tables replaced whole (the off-rolling
    indicators: 57,000 rows a night), where building and preparing a model instance per row
    costs more than the write itself. Model defaults do not apply: give every column that
    has no database default. COPY on PostgreSQL (JSON fields sent as JSON text),
    ``executemany`` with each field's own preparation elsewhere."""
    _refuse_tracked(model)
    db = router.db_for_write(model)
    connection = connections[db]
    model_fields = [model._meta.get_field(name) for name in fields]
    columns = tuple(field.column for field in model_fields)
    with transaction.atomic(using=db, savepoint=False):
        if connection.vendor == "postgresql":
            encoders = [_copy_encoder(field) for field in model_fields]
            rows = list(rows)  # counted below, so a school's few dozen do not ANALYZE the table
            prepared = (
                tuple(
                    value if encode is None else encode(value)
                    for encode, value in zip(encoders, row, strict=True)
                )
                for row in rows
            )
            _copy(connection, model._meta.db_table, columns, prepared)
            refresh_statistics(connection, {model._meta.db_table: len(rows)})
            return
        quote = connection.ops.quote_name
        sql = (
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})"
        )
        with connection.cursor() as cursor:
            cursor.executemany(
                sql,
                [
                    tuple(
                        field.get_db_prep_save(value, connection)
                        for field, value in zip(model_fields, row, strict=True)
                    )
                    for row in rows
                ],
            )


def refresh_statistics(connection, inserted: dict[str, int | None]) -> None:
    """ANALYZE each table (name -> rows just written; None: a table a seed filled, analysed
    whatever its size) whose statistics are now stale: a table never analysed (or analysed
    empty) once it holds ``STATISTICS_MIN_ROWS`` rows, and one analysed before once it has
    grown by more than ``STATISTICS_STALE_FRACTION`` of the rows its statistics know, by at
    least ``STATISTICS_MIN_ROWS``. Growth is read from the table's size against its size when
    last analysed, so a table filled by many small writes (a benchmark's 750 flags a batch) is
    analysed too, not only one filled by a large write.

    PostgreSQL only; inside a transaction ANALYZE samples the rows this transaction wrote, so
    the same import's next queries are planned on them. SKIP_LOCKED: a table another session is
    analysing is left to it rather than waited for (the lock lasts to the end of the
    transaction, and two imports must never queue behind each other for it)."""
    written = [table for table, rows in inserted.items() if rows is None or rows > 0]
    if connection.vendor != "postgresql" or not written:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples, relpages,"
            " pg_relation_size(oid) / current_setting('block_size')::int"
            " FROM pg_class WHERE relname = ANY(%s) AND relkind = 'r'",
            [written],
        )
        for table, known_rows, known_pages, pages in cursor.fetchall():
            rows = inserted[table]
            quoted = connection.ops.quote_name(table)
            if rows is None or _statistics_stale(
                cursor, quoted, rows, known_rows, known_pages, pages
            ):
                cursor.execute(f"ANALYZE (SKIP_LOCKED) {quoted}")


def _statistics_stale(cursor, quoted, rows, known_rows, known_pages, pages) -> bool:
    if known_rows <= 0 or known_pages <= 0:  # never analysed, or analysed while empty
        return rows >= STATISTICS_MIN_ROWS or _holds_at_least(cursor, quoted, STATISTICS_MIN_ROWS)
    grown = max(rows, (pages - known_pages) * known_rows / known_pages)
    return grown >= STATISTICS_MIN_ROWS and grown > STATISTICS_STALE_FRACTION * known_rows


def _holds_at_least(cursor, quoted_table: str, rows: int) -> bool:
    """Whether the table holds ``rows`` rows, reading no more than that many."""
    cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {quoted_table} LIMIT %s) AS held", [rows])
    return cursor.fetchone()[0] >= rows


def _copy_encoder(field: Field):
    if isinstance(field, models.JSONField):
        return partial(json.dumps, cls=field.encoder)
    return None


def _refuse_tracked(model: type[Model]) -> None:
    try:
        get_history_manager_for_model(model)
    except NotHistoricalModelError:
        return
    raise ValueError(f"{model._meta.label} keeps history: write it with bulk_insert_with_history.")


@dataclass(frozen=True)
class _TablePlan:
    table: str
    fields: tuple[Field, ...]
    columns: tuple[str, ...]


@dataclass(frozen=True)
class _HistoryPlan:
    table: str
    columns: tuple[str, ...]
    # A field that needs a fresh value per row (a UUID history_id), or None (AutoField).
    history_id: Field | None
    history_date: Field
    history_change_reason: Field
    history_type: Field
    history_user: Field
    history_relation: Field | None
    # Tracked columns whose prepared value is the model row's: the positions in that row.
    copied: operator.itemgetter | None
    # Tracked columns whose field type differs from the model's (AutoField -> IntegerField,
    # FileField -> TextField): prepared again by the historical field, as simple-history does.
    reprepared: tuple[Field, ...]


@cache
def _table_plan(model: type[Model]) -> _TablePlan | None:
    """The columns ``bulk_create`` would insert, or None when COPY cannot insert them the same
    way (multi-table inheritance, or a column the database fills in and Django reads back)."""
    opts = model._meta
    if any(p._meta.concrete_model is not opts.concrete_model for p in opts.all_parents):
        return None
    if any(f is not opts.pk for f in opts.db_returning_fields):
        return None
    fields = tuple(f for f in opts.concrete_fields if not f.generated)
    return _TablePlan(opts.db_table, fields, tuple(f.column for f in fields))


@cache
def _history_plan(model: type[Model]) -> _HistoryPlan | None:
    """How each column of the historical table is filled, mirroring
    ``HistoryManager.bulk_history_create``; None when the historical model has a column it
    does not fill (``bases`` with extra fields, ``custom_historical_attrs``)."""
    history_model = get_history_manager_for_model(model).model
    opts = history_model._meta
    main_plan = _table_plan(model)
    if main_plan is None or any(f is not opts.pk for f in opts.db_returning_fields):
        return None
    model_fields = {f.attname: (i, f) for i, f in enumerate(main_plan.fields)}
    tracked = {f.attname for f in history_model.tracked_fields}
    special = {}
    copied_columns, copied_positions, reprepared = [], [], []
    for field in opts.concrete_fields:
        if field.generated:
            continue
        if field.name == "history_id":
            if isinstance(field, AutoField):
                special["history_id"] = None
            elif field.has_default():
                special["history_id"] = field
            else:
                return None
        elif field.name in ("history_date", "history_change_reason", "history_type"):
            special[field.name] = field
        elif field.attname == "history_user_id":
            special["history_user"] = field
        elif field.name == "history_relation":
            special["history_relation"] = field
        elif field.attname in tracked and field.attname in model_fields:
            position, model_field = model_fields[field.attname]
            if type(field) is type(model_field) and _is_django_field(field):
                copied_columns.append(field.column)
                copied_positions.append(position)
            else:
                reprepared.append(field)
        else:
            return None
    required = {"history_id", "history_date", "history_change_reason", "history_type"}
    if not required <= special.keys() or "history_user" not in special:
        return None

    columns = []
    if special["history_id"] is not None:
        columns.append(special["history_id"].column)
    columns += [
        special["history_date"].column,
        special["history_change_reason"].column,
        special["history_type"].column,
        special["history_user"].column,
    ]
    if "history_relation" in special:
        columns.append(special["history_relation"].column)
    columns += copied_columns
    columns += [f.column for f in reprepared]
    copied = None
    if copied_positions:
        # itemgetter returns a bare value for one position: keep it a tuple.
        getter = operator.itemgetter(*copied_positions)
        copied = getter if len(copied_positions) > 1 else (lambda row, g=getter: (g(row),))
    return _HistoryPlan(
        table=opts.db_table,
        columns=tuple(columns),
        history_id=special["history_id"],
        history_date=special["history_date"],
        history_change_reason=special["history_change_reason"],
        history_type=special["history_type"],
        history_user=special["history_user"],
        history_relation=special.get("history_relation"),
        copied=copied,
        reprepared=tuple(reprepared),
    )


def _is_django_field(field: Field) -> bool:
    # Django's own fields return the attribute's value from pre_save (setting it first for
    # auto_now), so the historical row, which copies the attribute, gets the same prepared
    # value. A third-party field might not: it is prepared again by its historical copy.
    return type(field).__module__.startswith("django.")


def _prepare_rows(objs: list, plan: _TablePlan, connection) -> list[tuple] | None:
    """Each object's values as ``bulk_create`` sends them, or None if any is an expression."""
    steps = [_field_steps(field, connection) for field in plan.fields]
    rows = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        row = []
        for read, unchanged, prepare in steps:
            value = read(obj)
            if type(value) in unchanged:
                row.append(value)
            elif hasattr(value, "resolve_expression"):
                return None
            else:
                row.append(prepare(value, connection))
        rows.append(tuple(row))
    return rows


# The value types a field's get_db_prep_save returns as they are, on every database, when the
# field's class keeps Django's preparation chain for them: CharField and TextField give back a
# str or None, BooleanField a bool or None. Sending them straight on saves most of the time
# spent preparing a row; every other value goes through get_db_prep_save.
_UNCHANGED_BY_PREPARATION = {
    (models.CharField.get_prep_value, models.CharField.to_python): frozenset({str, type(None)}),
    (models.TextField.get_prep_value, models.TextField.to_python): frozenset({str, type(None)}),
    (models.BooleanField.get_prep_value, models.BooleanField.to_python): frozenset(
        {bool, type(None)}
    ),
}
# pre_save methods that only read the attribute (dates without auto_now or auto_now_add).
_READING_PRE_SAVES = (Field.pre_save, models.DateField.pre_save, models.DateTimeField.pre_save)


def _field_steps(field: Field, connection):
    """(read the value from an object, types sent unchanged, prepare any other value)."""
    cls = type(field)
    auto = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    if cls.pre_save in _READING_PRE_SAVES and not auto:
        read = operator.attrgetter(field.attname)
    else:
        read = partial(field.pre_save, add=True)
    unchanged = frozenset()
    if (
        cls.get_db_prep_save is Field.get_db_prep_save
        and cls.get_db_prep_value is Field.get_db_prep_value
    ):
        unchanged = _UNCHANGED_BY_PREPARATION.get((cls.get_prep_value, cls.to_python), unchanged)
    return read, unchanged, field.get_db_prep_save


def _history_rows(objs, main_rows, plan: _HistoryPlan, history_model, connection, user, reason):
    """Yield the historical rows ``HistoryManager.bulk_history_create`` would build."""
    now = timezone.now()
    default_date = plan.history_date.get_db_prep_save(now, connection)
    default_reason = plan.history_change_reason.get_db_prep_save(reason, connection)
    history_type = plan.history_type.get_db_prep_save("+", connection)
    default_user_id = _prepared_user_id(plan, user, connection) if user else _NOT_SET
    id_field = plan.history_id
    for obj, main_row in zip(objs, main_rows, strict=True):
        row = []
        if id_field is not None:
            row.append(id_field.get_db_prep_save(id_field.get_default(), connection))
        history_date = getattr(obj, "_history_date", _NOT_SET)
        if history_date is _NOT_SET:
            row.append(default_date)
        else:
            row.append(plan.history_date.get_db_prep_save(history_date, connection))
        own_reason = get_change_reason_from_object(obj)
        if own_reason:
            row.append(plan.history_change_reason.get_db_prep_save(own_reason, connection))
        else:
            row.append(default_reason)
        row.append(history_type)
        history_user = getattr(obj, "_history_user", _NOT_SET)
        if history_user is not _NOT_SET:
            row.append(_prepared_user_id(plan, history_user, connection))
        elif default_user_id is not _NOT_SET:
            row.append(default_user_id)
        else:
            # No user given: simple-history asks the model (the request's user, if any).
            history_user = history_model.get_default_history_user(obj)
            row.append(_prepared_user_id(plan, history_user, connection))
        if plan.history_relation is not None:
            row.append(plan.history_relation.get_db_prep_save(obj.pk, connection))
        if plan.copied is not None:
            row.extend(plan.copied(main_row))
        for field in plan.reprepared:
            row.append(field.get_db_prep_save(field.pre_save(obj, True), connection))
        yield row


def _prepared_user_id(plan: _HistoryPlan, user, connection):
    user_id = user.pk if user is not None else None
    return plan.history_user.get_db_prep_save(user_id, connection)


def _copy(connection, table: str, columns: tuple[str, ...], rows) -> None:
    """``COPY table (columns) FROM STDIN`` in the current transaction, with psycopg's errors
    turned into Django's (an ``IntegrityError`` is one, as with ``bulk_create``)."""
    quote = connection.ops.quote_name
    sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    connection.validate_no_broken_transaction()
    started = time.monotonic()
    count = 0
    with connection.cursor() as cursor, connection.wrap_database_errors:
        with cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    if connection.queries_logged:
        # Shown with the other queries (debug toolbar, CaptureQueriesContext).
        connection.queries_log.append(
            {"sql": f"{sql} -- {count} rows", "time": f"{time.monotonic() - started:.3f}"}
        )


def _mark_saved(objs: list, db: str) -> None:
    for obj in objs:
        obj._state.adding = False
        obj._state.db = db
