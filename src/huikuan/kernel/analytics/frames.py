"""Polars forms of ``kernel.delinquency``'s bucket and stage, for the daily facts (a test holds them to it)."""

from __future__ import annotations

import polars as pl

from huikuan.kernel.delinquency import DEFAULT_STAGE_BOUNDS, Bucket, Stage

# Upper DPD bound (inclusive) of each bucket below M3+, as kernel.delinquency.bucket draws them.
BUCKET_BOUNDS: tuple[tuple[int, Bucket], ...] = ((0, Bucket.CURRENT), (30, Bucket.M1), (60, Bucket.M2), (90, Bucket.M3))
BUCKET_ORDER: tuple[str, ...] = tuple(b.value for b in Bucket)


def bucket_expr(dpd: str) -> pl.Expr:
    """The bucket of a DPD column (M0, M1, M2, M3, M3+)."""
    expr: pl.Expr = pl.lit(Bucket.M3_PLUS.value)
    for upper, name in reversed(BUCKET_BOUNDS):
        expr = pl.when(pl.col(dpd) <= upper).then(pl.lit(name.value)).otherwise(expr)
    return expr


def stage_expr(dpd: str, legal: pl.Expr) -> pl.Expr:
    """The default stage of a DPD column; ``legal`` marks cases at legal."""
    expr: pl.Expr = pl.lit(Stage.LATE.value)
    for upper, name in reversed(DEFAULT_STAGE_BOUNDS):
        expr = pl.when(pl.col(dpd) <= upper).then(pl.lit(name.value)).otherwise(expr)
    return pl.when(legal).then(pl.lit(Stage.LEGAL.value)).otherwise(expr)
