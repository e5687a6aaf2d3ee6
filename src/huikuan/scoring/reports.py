"""A model version's validation report as JSON and as an XLSX workbook (one sheet per section).

Every text cell goes through ``huikuan.tabular`` (formula-escaped); numbers are written as numbers
(``Decimal`` to six places, as the tabular writer takes them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from huikuan.scoring.models import ModelVersion
from huikuan.tabular.writing import Cell, xlsx_sheets

PARTS = ("train", "test", "latest")
CALIBRATION = ("low", "high", "count", "predicted", "observed")
POINTS = ("feature", "attribute", "count", "rate", "woe", "points")


def report_json(version: ModelVersion) -> dict[str, Any]:
    return {
        "version": version.number,
        "kind": version.kind,
        "target": version.target,
        "window": [version.window_start.isoformat(), version.window_end.isoformat()],
        "trained_at": version.trained_at.isoformat(),
        "trained_by": version.trained_by.get_username() if version.trained_by else None,
        "sha256": version.sha256,
        "in_force": version.in_force,
        "psi_tonight": version.psi_tonight,
        "metrics": version.metrics,
        "report": version.report,
    }


def _cell(value: Any) -> Cell:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return Decimal(str(round(value, 6)))
    if value is None or isinstance(value, str | int | Decimal):
        return value
    return str(value)


def _table(rows: Sequence[dict[str, Any]], header: Sequence[str]) -> Iterable[Sequence[Cell]]:
    # The columns by name: PostgreSQL's jsonb keeps no key order.
    return [list(header), *[[_cell(r.get(h)) for h in header] for r in rows]]


def report_sheets(version: ModelVersion) -> list[tuple[str, Iterable[Sequence[Cell]]]]:
    r = version.report
    summary: list[Sequence[Cell]] = [
        ["version", version.number],
        ["kind", version.kind],
        ["target", version.target],
        ["window", f"{version.window_start} – {version.window_end}"],
        ["sha256", version.sha256],
        ["calibration", r.get("calibration", {}).get("method")],
        ["psi (training → latest)", _cell(r.get("psi"))],
        *[[f"test {k}", _cell(v)] for k, v in version.metrics.items()],
        *[[f"{part} rows", _cell(v.get("rows"))] for part, v in r.get("split", {}).items()],
    ]
    bands = r.get("score_distribution", {})
    distribution = [
        {"from": band["from"], **{part: bands[part][i]["count"] if bands.get(part) else None for part in PARTS}}
        for i, band in enumerate(bands.get("train", []))
    ]
    psi_rows = [{"feature": name, "psi": value} for name, value in sorted(r.get("feature_psi", {}).items())]
    return [
        ("summary", summary),
        ("calibration", _table(r.get("calibration", {}).get("table", []), CALIBRATION)),
        ("score distribution", _table(distribution, ("from", *PARTS))),
        ("feature psi", _table(psi_rows, ("feature", "psi"))),
        ("points", _table(r.get("points", []), POINTS)),
    ]


def report_xlsx(version: ModelVersion) -> bytes:
    return xlsx_sheets(report_sheets(version))


CURVE_SIZE = 200  # the calibration curve's square, in SVG units (drawn in the page, no script)


def calibration_curve(report: dict[str, Any]) -> str:
    """The calibration table as an SVG polyline's points: predicted (x) against observed (y), each decile a
    point on a square of CURVE_SIZE, y upwards; a calibrated model lies on the diagonal."""
    rows = (report.get("calibration") or {}).get("table") or []
    points = []
    for row in rows:
        if row.get("predicted") is None or row.get("observed") is None:
            continue
        x = float(row["predicted"]) * CURVE_SIZE
        y = CURVE_SIZE - float(row["observed"]) * CURVE_SIZE
        points.append(f"{x:.1f},{y:.1f}")
    return " ".join(points)
