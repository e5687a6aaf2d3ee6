"""Reason codes: the three largest moves of the score, with the case's value, as JSON a page can read."""

from __future__ import annotations

import json

import numpy as np
import polars as pl

from huikuan.kernel.scoring.reasons import reason_column


def test_each_row_gets_its_three_largest_moves_with_its_values_largest_first() -> None:
    frame = pl.DataFrame({"dpd": [40.0, 3.0], "product": ['card"x', None], "rpc_30d": [0.0, 5.0], "x": [1.0, 2.0]})
    points = np.array([[-35.0, 2.0, -12.5, 20.0], [1.0, -0.5, 18.0, 0.0]])
    rows = [json.loads(text) for text in reason_column(["dpd", "product", "rpc_30d", "x"], points, frame)]
    assert rows[0] == [["dpd", "40.0", -35.0], ["x", "1.0", 20.0], ["rpc_30d", "0.0", -12.5]]
    # A quote in a value cannot break the JSON; a missing value is empty.
    assert rows[1] == [["rpc_30d", "5.0", 18.0], ["dpd", "3.0", 1.0], ["product", "", -0.5]]


def test_a_model_with_fewer_features_gives_fewer_reasons() -> None:
    frame = pl.DataFrame({"dpd": [1.0]})
    assert json.loads(reason_column(["dpd"], np.array([[4.0]]), frame)[0]) == [["dpd", "1.0", 4.0]]
    assert json.loads(reason_column([], np.zeros((1, 0)), frame)[0]) == []
