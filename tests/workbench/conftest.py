"""The workbench's fixtures live in tests/workbench/fixtures.py so the browser tests (tests/browser/, where the
one session-wide Chromium is) can import the same working day."""

from tests.workbench.fixtures import make_case, run, workday

__all__ = ["make_case", "run", "workday"]
