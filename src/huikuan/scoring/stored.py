"""The night's stored scores, read in bulk: what the strategy's snapshot joins.

Kept apart from ``queries`` and ``registry``, which load the models (LightGBM, scikit-learn): a nightly
run's shard process imports this module, and reading the stored probabilities needs neither library (they
cost a shard process seconds of start-up at a million cases).
"""

from __future__ import annotations

from datetime import date

import polars as pl
from django.db import connection

from huikuan.db.bulkread import read_frame
from huikuan.scoring.models import CaseScore

SCORE_TABLE = CaseScore._meta.db_table


def stored_scores(as_of: date, shard_index: int = 0, shard_count: int = 1) -> pl.DataFrame:
    """case_id, probability and band of the cases scored for the night of ``as_of`` (one shard of them).
    Empty without a model in force."""
    # Integers formatted by us (as the snapshot's shards are), doubled % for the parameter binding.
    where = "" if shard_count == 1 else f" AND case_id %% {int(shard_count)} = {int(shard_index)}"
    return read_frame(
        f"SELECT case_id, probability, band FROM {SCORE_TABLE} WHERE as_of = %s{where}",
        [connection.ops.adapt_datefield_value(as_of)],
        {"case_id": pl.Int64, "probability": pl.Float64, "score_band": pl.Utf8},
    )
