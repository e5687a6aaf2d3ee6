"""The experiment readout from the daily facts: one row per case of the period, then the kernel's statistics.

Each case counts in the arm it had on its first day in the period, with its balance then; recovered is its
payments in the period, promises settled and kept, call attempts and right-party contacts likewise.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

import polars as pl
from django.db import IntegrityError, connection, transaction

from huikuan.analytics.models import StoredReadout
from huikuan.db.bulkread import bulk_reads, read_frame
from huikuan.kernel.analytics.readout import READOUT_COLUMNS, ArmFigure, Comparison, readout


def experiment_cases(first: date, last: date) -> pl.DataFrame:
    """READOUT_COLUMNS per case with an arm, from the facts of ``first`` to ``last``."""
    params = {"first": connection.ops.adapt_datefield_value(first), "last": connection.ops.adapt_datefield_value(last)}
    with bulk_reads():
        entry = read_frame(
            """SELECT c.case_id, c.arm, c.balance_fen FROM analytics_caseday c
               JOIN (SELECT case_id, MIN(day) AS day FROM analytics_caseday
                     WHERE day BETWEEN %(first)s AND %(last)s AND arm <> '' GROUP BY case_id) f
                 ON f.case_id = c.case_id AND f.day = c.day""",
            params,
            {"case_id": pl.Int64, "arm": pl.Utf8, "balance_fen": pl.Int64},
        )
        money = read_frame(
            """SELECT case_id, SUM(paid_fen), SUM(promises_settled), SUM(promises_kept) FROM analytics_moneyday
               WHERE day BETWEEN %(first)s AND %(last)s GROUP BY case_id""",
            params,
            {"case_id": pl.Int64, "recovered_fen": pl.Int64, "promises_settled": pl.Int64, "promises_kept": pl.Int64},
        )
        contacts = read_frame(
            """SELECT case_id, SUM(attempts), SUM(rpc) FROM analytics_contactday
               WHERE day BETWEEN %(first)s AND %(last)s AND channel IN ('call', 'visit') GROUP BY case_id""",
            params,
            {"case_id": pl.Int64, "attempts": pl.Int64, "rpc": pl.Int64},
        )
    frame = entry.join(money, on="case_id", how="left").join(contacts, on="case_id", how="left")
    return frame.with_columns(pl.col(c).fill_null(0) for c in READOUT_COLUMNS[2:]).select(READOUT_COLUMNS)


def experiment_readout(
    first: date, last: date, baseline: str = "champion", minimum_effect: float | None = None
) -> tuple[list[ArmFigure], list[Comparison]]:
    return readout(experiment_cases(first, last), baseline, minimum_effect)


def stored_readout(
    first: date, last: date, baseline: str = "champion", minimum_effect: float | None = None
) -> tuple[list[ArmFigure], list[Comparison]]:
    """``experiment_readout``, computed on the first ask and kept (StoredReadout) until a fact day of the period
    is written again. Two asks at once both compute; the first to store wins, the other reads the same figures."""
    key = {"first": first, "last": last, "baseline": baseline, "minimum_effect": _effect(minimum_effect)}
    found = StoredReadout.objects.filter(**key).first()
    if found is None:
        figures, comparisons = experiment_readout(first, last, baseline, minimum_effect)
        try:
            with transaction.atomic():
                StoredReadout.objects.create(
                    **key, figures=[asdict(f) for f in figures], comparisons=[asdict(c) for c in comparisons]
                )
        except IntegrityError:
            pass  # stored by a concurrent ask: the same facts, the same figures
        return figures, comparisons
    return [ArmFigure(**f) for f in found.figures], [Comparison(**c) for c in found.comparisons]


def forget_readouts(day: date) -> int:
    """The stored readouts whose period holds ``day``: its facts are being written again."""
    deleted, _ = StoredReadout.objects.filter(first__lte=day, last__gte=day).delete()
    return deleted


def _effect(minimum_effect: float | None) -> str:
    return "" if minimum_effect is None else repr(float(minimum_effect))
