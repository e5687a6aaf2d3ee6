"""Moving many cases to new assignees at once, each move written to the change log.

A team lead's reassignment (``workbench.actions.reassign_case``) moves one case; the nightly strategy run
moves tens of thousands. Both leave the same trace: a ``case:reassigned`` change per case, with the assignee
before and after and why. ``reassign_cases`` is the bulk form, set-based so that a million-case run stays
fast: on PostgreSQL the moves go into a COPY-filled staging table and one statement updates the cases and
writes their change log (the old assignee read by the update's own join); on SQLite, a read and a write per
chunk of cases. A building block: it joins the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection, transaction

from huikuan import clock
from huikuan.audit.models import ChangeLog
from huikuan.cases.models import Case
from huikuan.db.bulkwrite import insert_rows, update_rows
from huikuan.db.chunks import chunked

REASSIGNED = "case:reassigned"
_AUDIT_COLUMNS = ["user_id", "subject_type", "subject_id", "action", "before", "after", "at"]


def reassign_cases(moves: Iterable[tuple[int, int]], *, user: Any = None, detail: Mapping[str, Any]) -> int:
    """Give each case (case id, new assignee id) its new assignee; returns how many cases changed hands.

    A case that already has that assignee is left alone and not logged. ``detail`` is what the change log
    adds to the new assignee (the reason, the run); the log's "before" names the same keys as empty, the
    shape ``audit.records.change_record`` gives a single reassignment. ``user`` None is the system.
    """
    rows = sorted(dict(moves).items())
    if not rows:
        return 0
    user_id = user.pk if getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        if connection.vendor == "postgresql":
            return _reassign_postgres(rows, user_id, detail)
        return _reassign_chunked(rows, user_id, detail)


def _documents(detail: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    return dict.fromkeys(detail), dict(detail)


def _reassign_postgres(rows: list[tuple[int, int]], user_id: int | None, detail: Mapping[str, Any]) -> int:
    case_table = Case._meta.db_table
    stage = f"_reassign_{case_table}"
    before, after = _documents(detail)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no COPY
        # Several shards of one run in one outer transaction (tests, a caller's atomic) share the table.
        raw.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} (case_id bigint, assignee_id bigint) ON COMMIT DROP")
        raw.execute(f"TRUNCATE {stage}")
        # In case id order: the update then walks the case table and its primary key in order.
        with raw.copy(f"COPY {stage} (case_id, assignee_id) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        raw.execute(f"ANALYZE {stage}")
        # The self-join `o` reads each case as it was before this statement: the assignee the log calls before.
        raw.execute(
            f"WITH moved AS ("
            f" UPDATE {case_table} c SET assignee_id = s.assignee_id"
            f" FROM {stage} s JOIN {case_table} o ON o.id = s.case_id"
            f" WHERE c.id = s.case_id AND c.assignee_id IS DISTINCT FROM s.assignee_id"
            f" RETURNING c.id, o.assignee_id AS before_id, s.assignee_id AS after_id)"
            f" INSERT INTO {ChangeLog._meta.db_table} ({', '.join(_AUDIT_COLUMNS)})"
            f" SELECT %(user)s, %(label)s, moved.id::text, %(action)s,"
            f" jsonb_build_object('assignee', moved.before_id) || %(before)s::jsonb,"
            f" jsonb_build_object('assignee', moved.after_id) || %(after)s::jsonb, %(now)s"
            f" FROM moved ORDER BY moved.id",
            {
                "user": user_id,
                "label": Case._meta.label_lower,
                "action": REASSIGNED,
                "before": json.dumps(before),
                "after": json.dumps(after),
                "now": clock.now(),
            },
        )
        return int(raw.rowcount)


def _reassign_chunked(rows: list[tuple[int, int]], user_id: int | None, detail: Mapping[str, Any]) -> int:
    before_doc, after_doc = _documents(detail)
    now = connection.ops.adapt_datetimefield_value(clock.now())
    label = Case._meta.label_lower
    moved = 0
    for chunk in chunked(rows):
        current = dict(Case.objects.filter(id__in=[case_id for case_id, _ in chunk]).values_list("id", "assignee_id"))
        changed = [(case_id, new) for case_id, new in chunk if case_id in current and current[case_id] != new]
        update_rows(Case._meta.db_table, ["assignee_id"], changed)
        insert_rows(
            ChangeLog._meta.db_table,
            _AUDIT_COLUMNS,
            [
                (
                    user_id,
                    label,
                    str(case_id),
                    REASSIGNED,
                    json.dumps({"assignee": current[case_id], **before_doc}, sort_keys=True),
                    json.dumps({"assignee": new, **after_doc}, sort_keys=True),
                    now,
                )
                for case_id, new in changed
            ],
            conflict=["id"],
        )
        moved += len(changed)
    return moved
