"""The visits' fixtures build on the workbench's working day (tests/workbench/fixtures.py)."""

from tests.fieldwork.fixtures import visit_case
from tests.workbench.fixtures import make_case, run, workday

__all__ = ["make_case", "run", "visit_case", "workday"]
