"""One-line summaries of a plan option in zh-Hans and English, with the exact figures.

"Whole yuan" display drops the ".00" of whole amounts; an amount with fen is always shown with them,
because a figure read out in a call is a figure the debtor may hold us to.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from huikuan.kernel.money import YUAN, format_yuan
from huikuan.kernel.plans.designer import OptionKind, PlanOption

_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def show_amount(amount: Decimal, whole_yuan: bool) -> str:
    return format_yuan(amount, fen=not (whole_yuan and amount == amount.quantize(YUAN)))


def zh_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def en_date(day: date) -> str:
    return f"{day.day} {_EN_MONTHS[day.month - 1]} {day.year}"


def zh_deadline(moment: datetime) -> str:
    return f"{zh_date(moment.date())}{moment:%H:%M}"


def en_deadline(moment: datetime) -> str:
    return f"{moment:%H:%M} on {en_date(moment.date())}"


def _zh_day(day: int) -> str:
    return f"每月{day}日" + ("（当月没有该日时为月末）" if day > 28 else "")


def _en_day(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"on the {day}{suffix} of each month" + (" (or the month's last day)" if day > 28 else "")


def _zh_instalments(option: PlanOption, start: int, whole: bool) -> str:
    items = option.schedule[start:]
    y = lambda amount: show_amount(amount, whole)  # noqa: E731
    day = _zh_day(option.payment_day) if option.payment_day else ""
    if len(items) == 1:
        return f"{zh_date(items[0].due_date)}还{y(items[0].amount)}元"
    equal, last = items[0].amount, items[-1].amount
    amounts = f"每期{y(equal)}元" if equal == last else f"前{len(items) - 1}期每期{y(equal)}元，最后一期{y(last)}元"
    return (
        f"分{len(items)}期，{day}还款，{amounts}，首期{zh_date(items[0].due_date)}，末期{zh_date(items[-1].due_date)}"
    )


def _en_instalments(option: PlanOption, start: int, whole: bool) -> str:
    items = option.schedule[start:]
    y = lambda amount: show_amount(amount, whole)  # noqa: E731
    day = _en_day(option.payment_day) if option.payment_day else ""
    if len(items) == 1:
        return f"{y(items[0].amount)} yuan on {en_date(items[0].due_date)}"
    equal, last = items[0].amount, items[-1].amount
    amounts = (
        f"{y(equal)} yuan each"
        if equal == last
        else f"{len(items) - 1} of {y(equal)} yuan and a last one of {y(last)} yuan"
    )
    return (
        f"{len(items)} monthly instalments {day}: {amounts}, "
        f"first on {en_date(items[0].due_date)}, last on {en_date(items[-1].due_date)}"
    )


def summary_zh(option: PlanOption, whole_yuan: bool = True) -> str:
    y = lambda amount: show_amount(amount, whole_yuan)  # noqa: E731
    if option.kind is OptionKind.FULL_WITH_WAIVER:
        if option.waiver is None:
            return f"一次性结清：{zh_date(option.schedule[0].due_date)}前还清{y(option.total)}元"
        w = option.waiver
        text = (
            f"一次性结清：{zh_deadline(w.valid_until)}前还款{y(option.total)}元，"
            f"减免滞纳金{y(w.penalty)}元、费用{y(w.fee)}元（原欠款{y(option.owed)}元）"
        )
        if w.needs_approval > 0:
            text += f"，其中{y(w.needs_approval)}元减免需主管审批"
        return text
    if option.kind is OptionKind.INSTALMENTS:
        return f"分期还款：合计{y(option.total)}元，{_zh_instalments(option, 0, whole_yuan)}"
    if option.kind is OptionKind.LADDER:
        first = option.schedule[0]
        text = f"阶梯式还款：今天（{zh_date(first.due_date)}）先还{y(first.amount)}元"
        if len(option.schedule) > 1:
            rest = option.total - first.amount
            text += f"，余下{y(rest)}元{_zh_instalments(option, 1, whole_yuan)}"
        return text
    return f"延期还款：{zh_date(option.schedule[0].due_date)}前还清{y(option.total)}元"


def summary_en(option: PlanOption, whole_yuan: bool = True) -> str:
    y = lambda amount: show_amount(amount, whole_yuan)  # noqa: E731
    if option.kind is OptionKind.FULL_WITH_WAIVER:
        if option.waiver is None:
            return f"Pay in full: {y(option.total)} yuan by {en_date(option.schedule[0].due_date)}"
        w = option.waiver
        text = (
            f"Pay in full: {y(option.total)} yuan by {en_deadline(w.valid_until)}, "
            f"waiving {y(w.penalty)} yuan of penalties and {y(w.fee)} yuan of fees "
            f"(owed {y(option.owed)} yuan)"
        )
        if w.needs_approval > 0:
            text += f"; {y(w.needs_approval)} yuan of the waiver needs a team lead's approval"
        return text
    if option.kind is OptionKind.INSTALMENTS:
        return f"Instalments: {y(option.total)} yuan in {_en_instalments(option, 0, whole_yuan)}"
    if option.kind is OptionKind.LADDER:
        first = option.schedule[0]
        text = f"Ladder: {y(first.amount)} yuan today ({en_date(first.due_date)})"
        if len(option.schedule) > 1:
            rest = option.total - first.amount
            text += f", then the remaining {y(rest)} yuan in {_en_instalments(option, 1, whole_yuan)}"
        return text
    return f"Deferral: {y(option.total)} yuan in one payment by {en_date(option.schedule[0].due_date)}"


def summary(option: PlanOption, locale: str = "zh-Hans", whole_yuan: bool = True) -> str:
    """The sentence for ``locale``: English for any 'en…' locale, otherwise zh-Hans."""
    if locale.lower().startswith("en"):
        return summary_en(option, whole_yuan)
    return summary_zh(option, whole_yuan)
