"""The contact gate seam: planned contacts in, a decision per row out.

The nightly run hands every planned item to a gate before writing it. The gate takes the planned frame
(``PLANNED_SCHEMA`` columns from ``evaluate``) and returns it with two more columns, ``allowed`` (bool) and
``gate_reason`` (text, empty when allowed). The frame may also carry facts the run already holds from its
snapshot (``KNOWN_COLUMNS``: the debtor's zone and whether the case is closed, per case; the planned point's
stored kind and relation, null where unknown): a gate that needs them uses them instead of reading them
again, and may ignore them. Which gate runs is the setting ``HUIKUAN_STRATEGY_GATE`` (a
dotted path); the compliance kernel's batch gate replaces ``minimal_gate`` there once it has landed.

``minimal_gate`` holds only the rules the strategy engine cannot do without:
- no contact on a case on hold for a reason that stops collection;
- no contact through a do-not-contact point;
- third parties only by call, and only when the debtor is unreachable (失联);
- no contact window inside quiet hours, 22:00-08:00 debtor-local time.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

ContactGate = Callable[[pl.DataFrame], pl.DataFrame]

KNOWN_TZ, KNOWN_CLOSED = "known_debtor_tz", "known_case_closed"
KNOWN_POINT_KIND, KNOWN_POINT_RELATION = "known_point_kind", "known_point_relation"
KNOWN_COLUMNS = (KNOWN_TZ, KNOWN_CLOSED, KNOWN_POINT_KIND, KNOWN_POINT_RELATION)

QUIET_START_MINUTE = 22 * 60
QUIET_END_MINUTE = 8 * 60
HOLDS_STOPPING_CONTACT = ("dispute", "complaint", "deceased", "bankruptcy", "legal")


def minimal_gate(planned: pl.DataFrame) -> pl.DataFrame:
    contact = pl.col("channel") != "queue"
    reason = (
        pl.when(contact & pl.col("hold").is_in(list(HOLDS_STOPPING_CONTACT)))
        .then(pl.lit("hold"))
        .when(contact & pl.col("contact_dnc").fill_null(False))
        .then(pl.lit("do_not_contact"))
        .when((pl.col("party") == "third_party") & ((pl.col("channel") != "call") | ~pl.col("unreachable")))
        .then(pl.lit("third_party_not_allowed"))
        .when(
            contact
            & ((pl.col("window_start_local") < QUIET_END_MINUTE) | (pl.col("window_end_local") > QUIET_START_MINUTE))
        )
        .then(pl.lit("quiet_hours"))
        .otherwise(pl.lit(""))
    )
    return planned.with_columns(reason.alias("gate_reason")).with_columns(
        (pl.col("gate_reason") == "").alias("allowed")
    )
