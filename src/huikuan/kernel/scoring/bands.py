"""The score bands (A best … E worst) by calibrated probability of paying: what a team lead reads on the case
page and what a policy rule may segment by (``score_band: [A, B]``). Apart from the models so that the
strategy's evaluation reads them without loading the model libraries."""

from __future__ import annotations

import polars as pl

# Best first: a band holds the probabilities from its lower bound up to the next better band's.
BANDS: tuple[tuple[str, float], ...] = (("A", 0.5), ("B", 0.3), ("C", 0.15), ("D", 0.05), ("E", 0.0))
BAND_KEYS: tuple[str, ...] = tuple(key for key, _ in BANDS)


def band_expression(probability: pl.Expr) -> pl.Expr:
    """The band of each probability (null stays null: no model in force, no band).

    >>> pl.DataFrame({"p": [0.62, 0.3, 0.1, 0.0, None]}).select(band_expression(pl.col("p"))).to_series().to_list()
    ['A', 'B', 'D', 'E', None]
    """
    # Worst first, each better band overwriting: one expression whatever the number of bands.
    expression: pl.Expr = pl.lit(None, dtype=pl.Utf8)
    for key, low in reversed(BANDS):
        expression = pl.when(probability >= low).then(pl.lit(key)).otherwise(expression)
    return expression
