"""The strategy's crafted cases and champion policy, shared with the follow-up tests; the holiday cache reset.

A test's rolled-back import leaves no row but would leave the process's cached table behind: each test
starts and ends with it forgotten.
"""

from collections.abc import Iterator

import pytest

from tests.strategy.conftest import champion, make_case

__all__ = ["champion", "make_case"]


@pytest.fixture(autouse=True)
def _forget_holiday_table() -> Iterator[None]:
    from huikuan.holidays.table import forget

    forget()
    yield
    forget()
