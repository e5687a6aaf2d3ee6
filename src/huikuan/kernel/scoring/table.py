"""A table of features for a model: which columns are numbers, which are categories, which are not features.

Used for the system's own features (declared) and for any CSV handed to ``scoring train-file`` (inferred):
numbers stay numbers (missing as NaN); text columns that are numbers in disguise ("1,234", " 12 ") become
numbers; other text becomes categories (missing as None); an identifier (every value distinct: a customer
number, a row index) and a column with one value carry no evidence and are left out, with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

NUMERIC, CATEGORICAL = "numeric", "categorical"
NULL_VALUES = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?", "XNA"]
# Few enough distinct values that they are worth a bin each at most; more than this share of the rows
# distinct and a text column is an identifier or free text.
ID_LIKE_SHARE = 0.5
ID_NAME = re.compile(r"(^|_)(id|sk_id.*|key|no|number|index)$|^unnamed|^$", re.IGNORECASE)
MIN_CLASS = 20


class ScoringError(ValueError):
    """Training or scoring input that cannot give a sound model; the message says what and where."""


@dataclass(frozen=True)
class Feature:
    name: str
    kind: str  # NUMERIC or CATEGORICAL


def read_csv(path: str) -> pl.DataFrame:
    """A CSV as text-tolerant columns: a column that fails to parse as numbers stays text."""
    try:
        return pl.read_csv(
            path,
            null_values=NULL_VALUES,
            infer_schema_length=20000,
            try_parse_dates=False,
            ignore_errors=False,
            truncate_ragged_lines=True,
            encoding="utf8-lossy",
        )
    except pl.exceptions.ComputeError:
        # A column whose type changes after the first rows: read everything as text and let infer_features
        # decide per column.
        return pl.read_csv(path, null_values=NULL_VALUES, infer_schema=False, encoding="utf8-lossy")
    except (OSError, pl.exceptions.NoDataError) as exc:
        raise ScoringError(f"{path}: cannot read the file ({exc})") from exc


def target_array(frame: pl.DataFrame, target: str) -> npt.NDArray[np.float64]:
    """The 0/1 target; anything else (2, "yes", a missing value) is refused with the first bad row."""
    if target not in frame.columns:
        raise ScoringError(
            f"the target column {target!r} is not in the file (columns: {', '.join(frame.columns[:20])})"
        )
    column = frame.get_column(target)
    if column.dtype == pl.Boolean:
        column = column.cast(pl.Int8)
    numbers = column.cast(pl.Float64, strict=False) if column.dtype == pl.Utf8 else column.cast(pl.Float64)
    bad = ~numbers.is_in([0.0, 1.0]).fill_null(False)
    if bad.any():
        row = int(bad.arg_max() or 0)
        raise ScoringError(
            f"the target {target!r} must be 0 or 1; row {row + 1} has {column[row]!r} "
            f"({int(bad.sum())} rows are not 0/1)"
        )
    return numbers.to_numpy().astype(np.float64)


def check_classes(y: npt.NDArray[np.float64], minimum: int = MIN_CLASS) -> None:
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives < minimum or negatives < minimum:
        raise ScoringError(
            f"too few of one outcome to train on: {positives} positives and {negatives} negatives "
            f"(at least {minimum} of each are needed)"
        )


def _as_number(column: pl.Series) -> pl.Series | None:
    """A text column as numbers when nearly all its values are numbers (thousands separators allowed)."""
    cleaned = column.str.strip_chars().str.replace_all(",", "")
    numbers = cleaned.cast(pl.Float64, strict=False)
    present = column.drop_nulls().len()
    return numbers if present and numbers.drop_nulls().len() >= 0.98 * present else None


def infer_features(frame: pl.DataFrame, target: str) -> tuple[pl.DataFrame, list[Feature], dict[str, str]]:
    """The frame with text numbers converted, the features, and the columns left out with the reason."""
    rows = frame.height
    features: list[Feature] = []
    dropped: dict[str, str] = {}
    converted: list[pl.Series] = []
    for name in frame.columns:
        if name == target:
            continue
        column = frame.get_column(name)
        if column.dtype == pl.Utf8:
            number = _as_number(column)
            if number is not None:
                column = number.alias(name)
                converted.append(column)
        distinct = column.drop_nulls().n_unique()
        if distinct <= 1:
            dropped[name] = "constant" if distinct == 1 else "empty"
        elif column.dtype.is_numeric() or column.dtype == pl.Boolean:
            whole = column.dtype.is_integer() or column.dtype == pl.Boolean
            if whole and distinct == rows and (ID_NAME.search(name) or _is_sequence(column)):
                dropped[name] = "identifier"
            else:
                features.append(Feature(name, NUMERIC))
        elif distinct > max(50, ID_LIKE_SHARE * rows):
            dropped[name] = "identifier or free text"
        else:
            features.append(Feature(name, CATEGORICAL))
    if converted:
        frame = frame.with_columns(converted)
    return frame, features, dropped


def _is_sequence(column: pl.Series) -> bool:
    """A row number: distinct integers running from min to max without gaps."""
    low, high = column.min(), column.max()
    return isinstance(low, int) and isinstance(high, int) and high - low + 1 == column.len()


def check_features(frame: pl.DataFrame, features: list[Feature]) -> None:
    """Every feature present; at scoring time a missing one is an error, never a silent zero."""
    missing = [f.name for f in features if f.name not in frame.columns]
    if missing:
        raise ScoringError(f"features missing from the input: {', '.join(missing)}")


def constant_features(frame: pl.DataFrame, features: list[Feature]) -> list[str]:
    return [f.name for f in features if frame.get_column(f.name).drop_nulls().n_unique() <= 1]


def numeric_array(frame: pl.DataFrame, name: str) -> npt.NDArray[np.float64]:
    column = frame.get_column(name)
    if column.dtype == pl.Utf8:
        column = column.str.strip_chars().str.replace_all(",", "").cast(pl.Float64, strict=False)
    return column.cast(pl.Float64).fill_nan(None).to_numpy().astype(np.float64)


def text_values(frame: pl.DataFrame, name: str) -> pl.Series:
    return frame.get_column(name).cast(pl.Utf8)
