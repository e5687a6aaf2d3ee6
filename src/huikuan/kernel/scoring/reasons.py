"""Reason codes: the features that moved a case's score most, with the case's value and the points.

Set-based for a million cases: the top three |points| per row by one argsort over the contributions matrix,
the values gathered from one list column, the JSON text built by Polars string expressions.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

TOP_REASONS = 3


def reason_column(names: list[str], points: npt.NDArray[np.float64], frame: pl.DataFrame) -> pl.Series:
    """Each row's top reason codes as JSON text: [[feature, value, points], …], largest |points| first."""
    k = min(TOP_REASONS, len(names))
    if not k:
        return pl.Series("reasons", ["[]"] * frame.height)
    top = np.argsort(-np.abs(points), axis=1, kind="stable")[:, :k]
    rows = np.arange(frame.height)
    values = frame.select(
        pl.concat_list([pl.col(n).cast(pl.Utf8).fill_null("").str.replace_all(r'["\\]', "") for n in names]).alias("v")
    ).get_column("v")
    parts: list[pl.Expr] = []
    reasons = pl.DataFrame({"v": values})
    for i in range(k):
        reasons = reasons.with_columns(
            pl.Series(f"n{i}", np.asarray(names, dtype=object)[top[:, i]].astype(str)),
            pl.Series(f"i{i}", top[:, i]),
            pl.Series(f"p{i}", np.round(points[rows, top[:, i]], 1)),
        ).with_columns(pl.col("v").list.get(pl.col(f"i{i}")).alias(f"x{i}"))
        parts.append(pl.format('["{}","{}",{}]', pl.col(f"n{i}"), pl.col(f"x{i}"), pl.col(f"p{i}")))
    text = reasons.select(pl.concat_str([pl.lit("["), pl.concat_str(parts, separator=","), pl.lit("]")]).alias("r"))
    return text.get_column("r").alias("reasons")
