"""The dashboards' figures: each a table (its columns and rows) read from the rollups and computed by the
kernel's KPIs, for one user's scope and the filters of the page.

Who sees what is decided here, in the query, not in a template: ``scope_of(user)`` is everyone for QA, legal
and administrators, the team for a team lead (their own cases without a team) and the collector's own
cases and contacts for a collector; every figure and every drill-down ANDs the scope into its query, so the
page, the XLSX and the API cannot show more than it. A filter outside the scope (a lead asking for another
team) is refused, not silently widened.

The rollups (``kernel.analytics.rollup``) carry team, assignee, bucket, product and arm for the money and the
balance, and team and person for contacts: contact figures follow the team and person, not the product or
the bucket (the figure says so in its note).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

import polars as pl
from django.core.exceptions import PermissionDenied
from django.db.models import BigIntegerField, Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from huikuan.analytics.models import (
    CaseDay,
    ChannelDay,
    CollectorChannel,
    CollectorDay,
    ContactDay,
    ContactHour,
    MoneyDay,
    PortfolioDay,
    RollDay,
    TeamDay,
    TeamHour,
    VintageDay,
    VintageTeamDay,
)
from huikuan.analytics.readout import stored_readout
from huikuan.analytics.stored import store_figure, stored_figures, written_count
from huikuan.cases.counts import promises_created
from huikuan.cases.models import Channel, Promise
from huikuan.db.bulkread import read_frame
from huikuan.kernel.analytics.frames import BUCKET_ORDER
from huikuan.kernel.analytics.kpis import (
    CALL_CHANNELS,
    CLOSED,
    channel_table,
    contact_heatmap,
    contact_rates,
    leaderboard_from_rollups,
    promise_kept_rate,
    recovery_trend,
    roll_matrix,
)
from huikuan.kernel.analytics.rollup import ROLL_DAYS, vintage_from_rollup
from huikuan.kernel.money import to_fen
from huikuan.org.models import Role, Team, User
from huikuan.org.permissions import has_role, sees_all_cases
from huikuan.payments.models import Payment, PaymentSource, PaymentStatus, RepaymentPlan
from huikuan.portfolio.models import Product
from huikuan.selfservice.models import Event as SelfServiceEvent
from huikuan.selfservice.models import EventKind
from huikuan.strategy.models import Experiment

DEFAULT_DAYS = 30
MAX_DAYS = 366
DRILL_LIMIT = 500


class FilterError(ValueError):
    """A filter the page or the API cannot read: which one and why (answered 400)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


@dataclass(frozen=True)
class Scope:
    """Whose figures a user may see: everyone's (``team_id`` and ``user_id`` None), a team's, or a person's."""

    team_id: int | None = None
    user_id: int | None = None

    @property
    def everyone(self) -> bool:
        return self.team_id is None and self.user_id is None


def scope_of(user: Any) -> Scope:
    """The scope of a user's figures, the same rule as ``org.visibility.case_filter`` for cases."""
    if user is None or not user.is_authenticated or not user.is_active:
        raise PermissionDenied(_("Log in to see the figures."))
    if sees_all_cases(user):
        return Scope()
    if has_role(user, Role.TEAM_LEAD) and user.team_id is not None:
        return Scope(team_id=user.team_id)
    return Scope(user_id=user.pk)


@dataclass(frozen=True)
class Filters:
    first: date
    last: date
    team_id: int | None = None
    product: str = ""
    bucket: str = ""

    def query(self) -> dict[str, str]:
        """The filters as the page's query string (links to drill-downs, exports and the API keep them)."""
        out = {"start": self.first.isoformat(), "end": self.last.isoformat()}
        if self.team_id is not None:
            out["team"] = str(self.team_id)
        if self.product:
            out["product"] = self.product
        if self.bucket:
            out["bucket"] = self.bucket
        return out


def _day(params: Mapping[str, str], name: str, default: date) -> date:
    text = (params.get(name) or "").strip()
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FilterError(name, _("not a date (YYYY-MM-DD): %(value)s") % {"value": text[:40]}) from None


def parse_filters(params: Mapping[str, str], scope: Scope, today: date) -> Filters:
    """The page's filters from a query string; the default range is the 30 days before ``today`` (the last
    day with facts is yesterday). Raises FilterError for a value it cannot read, PermissionDenied for a
    team outside the scope."""
    last = _day(params, "end", today - timedelta(days=1))
    first = _day(params, "start", last - timedelta(days=DEFAULT_DAYS - 1))
    if first > last:
        raise FilterError("start", _("the start is after the end"))
    if (last - first).days >= MAX_DAYS:
        raise FilterError("start", _("at most %(days)s days at once") % {"days": MAX_DAYS})
    team_text = (params.get("team") or "").strip()
    team_id: int | None = None
    if team_text:
        if not team_text.isdigit() or len(team_text) > 18:
            raise FilterError("team", _("not a team number: %(value)s") % {"value": team_text[:40]})
        team_id = int(team_text)
        if scope.team_id is not None and team_id != scope.team_id:
            raise PermissionDenied(_("You may see only your own team's figures."))
    product = (params.get("product") or "").strip()
    if product and product not in Product.values:
        raise FilterError("product", _("no such product: %(value)s") % {"value": product[:40]})
    bucket = (params.get("bucket") or "").strip()
    if bucket and bucket not in BUCKET_ORDER:
        raise FilterError("bucket", _("no such bucket: %(value)s") % {"value": bucket[:40]})
    return Filters(first, last, team_id, product, bucket)


# The scope and the filters as query conditions -------------------------------------------------------------


def _portfolio_q(scope: Scope, filters: Filters, assignee: str = "assignee_id") -> Q:
    q = Q()
    team = scope.team_id if scope.team_id is not None else filters.team_id
    if team is not None:
        q &= Q(team_id=team)
    if scope.user_id is not None:
        q &= Q(**{assignee: scope.user_id})
    if filters.product:
        q &= Q(product=filters.product)
    return q


def _contact_q(scope: Scope, filters: Filters) -> Q:
    q = Q(day__range=(filters.first, filters.last))
    team = scope.team_id if scope.team_id is not None else filters.team_id
    if team is not None:
        q &= Q(team_id=team)
    if scope.user_id is not None:
        q &= Q(user_id=scope.user_id)
    return q


PORTFOLIO_SUMS = (
    "cases", "balance_fen", "payments", "paid_fen", "waived_fen", "promises_settled", "promises_kept",
    "promises_partly", "promises_broken", "settled_fen", "kept_paid_fen",
)  # fmt: skip


def portfolio_frame(scope: Scope, filters: Filters, by: tuple[str, ...]) -> pl.DataFrame:
    """The portfolio rollup summed by ``by`` over the scope, the filters and the period."""
    q = _portfolio_q(scope, filters) & Q(day__range=(filters.first, filters.last))
    if filters.bucket:
        q &= Q(bucket=filters.bucket)
    rows = _portfolio_table(scope, filters, by).objects.filter(q).values(*by)
    rows = rows.annotate(**_sums(PORTFOLIO_SUMS)).order_by(*by)
    schema = {c: (pl.Date if c == "day" else pl.Utf8 if c in ("bucket", "product", "arm") else pl.Int64) for c in by}
    return _read(rows.values_list(*by, *PORTFOLIO_SUMS), {**schema, **{c: pl.Int64 for c in PORTFOLIO_SUMS}})


def _portfolio_table(scope: Scope, filters: Filters, by: tuple[str, ...]) -> type[Any]:
    """The smallest portfolio rollup that has the keys the query groups and filters by."""
    if scope.user_id is None and "assignee_id" not in by:
        return TeamDay
    if not filters.product and not filters.bucket and set(by) <= {"day", "team_id", "assignee_id"}:
        return CollectorDay
    return PortfolioDay


def _contact_table(scope: Scope, by: tuple[str, ...]) -> type[Any]:
    """The smallest contact rollup that has the keys the query groups and filters by."""
    if scope.user_id is None and "user_id" not in by:
        return TeamHour
    if "hour" not in by and "weekday" not in by:
        return CollectorChannel
    return ContactHour


def _sums(columns: tuple[str, ...]) -> dict[str, Any]:
    # As bigint: PostgreSQL sums bigints as numeric, which reaches Python as Decimal one value at a time.
    return {c: Cast(Sum(c), BigIntegerField()) for c in columns}


def _read(rows: QuerySet[Any, Any], schema: dict[str, Any]) -> pl.DataFrame:
    """A queryset's rows as a frame through ``read_frame`` (COPY on PostgreSQL): no Python object per value."""
    sql, params = rows.query.sql_with_params()
    return read_frame(sql, params, schema)


CONTACT_SUMS = ("attempts", "reached", "rpc", "promises", "promised_fen")


def contact_frame(scope: Scope, filters: Filters, by: tuple[str, ...]) -> pl.DataFrame:
    """The contact rollup summed by ``by`` over the scope, the team filter and the period."""
    rows = _contact_table(scope, by).objects.filter(_contact_q(scope, filters)).values(*by)
    rows = rows.annotate(**_sums(CONTACT_SUMS)).order_by(*by)
    schema = {c: (pl.Date if c == "day" else pl.Utf8 if c == "channel" else pl.Int64) for c in by}
    return _read(rows.values_list(*by, *CONTACT_SUMS), {**schema, **{c: pl.Int64 for c in CONTACT_SUMS}})


# Figures ----------------------------------------------------------------------------------------------------


@dataclass
class Figure:
    """One chart's table: column keys and their labels, rows of plain values (fen as yuan text, rates as
    floats or None), and where each row drills down to (a query string, or "")."""

    key: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[list[Any]]
    drill: list[str] = field(default_factory=list)
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def table(self) -> list[tuple[list[tuple[Any, str]], str]]:
        """The rows for a template: each cell with its column's key, and the row's drill-down query."""
        keys = [key for key, _label in self.columns]
        drills = self.drill or [""] * len(self.rows)
        return [(list(zip(row, keys, strict=False)), link) for row, link in zip(self.rows, drills, strict=False)]

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "columns": [key for key, _label in self.columns],
            "labels": [label for _key, label in self.columns],
            "rows": self.rows,
            "drill": self.drill,
            "note": self.note,
            "extra": self.extra,
        }


def yuan(fen: int | None) -> str | None:
    """Integer fen as yuan text with two places: money stays exact in the table, the export and the API."""
    if fen is None:
        return None
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


VINTAGE_NOTE = gettext_lazy(
    "Owed: each case's balance on the period's first day, or on its placement day when it was placed later. "
    "Each part counts under the team, collector, product and bucket of its own day."
)
NOT_OPEN = gettext_lazy("paid after a close")
CONTACT_NOTE = gettext_lazy("Contacts follow the team and the person only, not the product or the bucket.")


def trend_figure(scope: Scope, filters: Filters) -> Figure:
    money = portfolio_frame(scope, filters, ("day",))
    recovered = recovery_trend(money)
    kept = promise_kept_rate(money, ("day",)).select("day", "kept_rate", "promises_settled")
    contacts = contact_rates(contact_frame(scope, filters, ("day", "channel")), ("day",))
    days = pl.DataFrame({"day": _days(filters)}, schema={"day": pl.Date})
    table = (
        days.join(recovered, on="day", how="left")
        .join(kept, on="day", how="left")
        .join(contacts.select("day", "attempts", "contact_rate", "rpc_rate"), on="day", how="left")
    )
    rows = [
        [
            r["day"].isoformat(),
            r["cases"] or 0,
            yuan(r["balance_fen"] or 0),
            yuan(r["recovered_fen"] or 0),
            _ratio(r["recovery_rate"]),
            r["promises_settled"] or 0,
            _ratio(r["kept_rate"]),
            r["attempts"] or 0,
            _ratio(r["contact_rate"]),
            _ratio(r["rpc_rate"]),
        ]
        for r in table.iter_rows(named=True)
    ]
    return Figure(
        "trend",
        _("Trends: recovery, promises kept, contacts"),
        [
            ("day", _("Day")),
            ("cases", _("Open cases")),
            ("balance", _("Balance (yuan)")),
            ("recovered", _("Recovered (yuan)")),
            ("recovery_rate", _("Recovery rate")),
            ("promises_settled", _("Promises settled")),
            ("kept_rate", _("Promise-kept rate")),
            ("attempts", _("Call attempts")),
            ("contact_rate", _("Contact rate")),
            ("rpc_rate", _("Right-party contact rate")),
        ],
        rows,
        drill=[_drill(filters, kind="day", day=row[0]) for row in rows],
        note=str(CONTACT_NOTE),
    )


def _days(filters: Filters) -> list[date]:
    return [filters.first + timedelta(days=n) for n in range((filters.last - filters.first).days + 1)]


def _drill(filters: Filters, **extra: object) -> str:
    return urlencode({**filters.query(), **{k: str(v) for k, v in extra.items()}})


def roll_day(filters: Filters) -> date:
    """The day whose roll rollup the matrix reads: the period's last (cases open ROLL_DAYS before it)."""
    return filters.last


def roll_figure(scope: Scope, filters: Filters) -> Figure:
    day = roll_day(filters)
    q = _portfolio_q(scope, filters) & Q(day=day)
    if filters.bucket:
        q &= Q(from_bucket=filters.bucket)
    rows = RollDay.objects.filter(q).values("from_bucket", "to_bucket").annotate(n=Sum("cases"))
    transitions = pl.DataFrame(
        [(r["from_bucket"], r["to_bucket"], r["n"]) for r in rows],
        schema={"from": pl.Utf8, "to": pl.Utf8, "cases": pl.Int64},
        orient="row",
    )
    targets = [*BUCKET_ORDER, CLOSED]
    out: list[list[Any]] = []
    drill: list[str] = []
    if not transitions.is_empty():
        for r in roll_matrix(transitions).iter_rows(named=True):
            out.append([r["from"], r["cases"], *(_ratio(r[t]) for t in targets), _ratio(r["cure_rate"])])
            drill.append(_drill(filters, kind="roll", day=day.isoformat(), from_bucket=r["from"]))
    labels = [("from", _("From bucket")), ("cases", _("Cases"))]
    labels += [(t, _("Closed") if t == CLOSED else t) for t in targets] + [("cure_rate", _("Cure rate"))]
    return Figure(
        "roll",
        _("Roll rates: where the cases of %(start)s stand on %(end)s")
        % {"start": (day - timedelta(days=ROLL_DAYS)).isoformat(), "end": day.isoformat()},
        labels,
        out,
        drill=drill,
        extra={"targets": targets, "day": day.isoformat()},
    )


WEEKDAYS = (
    gettext_lazy("Mon"),
    gettext_lazy("Tue"),
    gettext_lazy("Wed"),
    gettext_lazy("Thu"),
    gettext_lazy("Fri"),
    gettext_lazy("Sat"),
    gettext_lazy("Sun"),
)


def heatmap_figure(scope: Scope, filters: Filters) -> Figure:
    grid = contact_heatmap(contact_frame(scope, filters, ("weekday", "hour", "channel")))
    rows = [
        [str(WEEKDAYS[r["weekday"]]), r["hour"], r["attempts"], r["rpc"], _ratio(r["rpc_rate"])]
        for r in grid.filter(pl.col("attempts") > 0).iter_rows(named=True)
    ]
    return Figure(
        "heatmap",
        _("Right-party contacts by weekday and hour"),
        [
            ("weekday", _("Weekday")),
            ("hour", _("Hour")),
            ("attempts", _("Call attempts")),
            ("rpc", _("Right-party contacts")),
            ("rpc_rate", _("Right-party contact rate")),
        ],
        rows,
        note=str(CONTACT_NOTE),
        extra={"weekdays": [str(w) for w in WEEKDAYS]},
        drill=[
            _drill(filters, kind="slot", weekday=r["weekday"], hour=r["hour"])
            for r in grid.filter(pl.col("attempts") > 0).iter_rows(named=True)
        ],
    )


def leaderboard_figure(scope: Scope, filters: Filters) -> Figure:
    contacts = contact_frame(scope, filters, ("day", "user_id", "channel"))
    money = portfolio_frame(scope, filters, ("day", "assignee_id"))
    board = leaderboard_from_rollups(contacts, money).filter(pl.col("user_id") > 0)
    if scope.user_id is not None:
        board = board.filter(pl.col("user_id") == scope.user_id)
    names = _user_names(set(board["user_id"].to_list()))
    rows = [
        [
            names.get(r["user_id"], f"#{r['user_id']}"),
            r["attempts"],
            r["rpc"],
            r["promises"],
            yuan(r["promised_fen"]),
            _ratio(r["kept_rate"]),
            yuan(r["recovered_fen"]),
        ]
        for r in board.iter_rows(named=True)
    ]
    return Figure(
        "leaderboard",
        _("Collectors"),
        [
            ("collector", _("Collector")),
            ("attempts", _("Call attempts")),
            ("rpc", _("Right-party contacts")),
            ("promises", _("Promises")),
            ("promised", _("Promised (yuan)")),
            ("kept_rate", _("Promise-kept rate")),
            ("recovered", _("Recovered (yuan)")),
        ],
        rows,
        drill=[_drill(filters, kind="collector", assignee=r) for r in board["user_id"].to_list()],
    )


def _channel(code: str) -> str:
    return str(Channel(code).label) if code in Channel.values else code


def channel_figure(scope: Scope, filters: Filters) -> Figure:
    """Per channel: attempts and reached (the contact rollup), yuan recovered after it (the channel rollup:
    ``kpis.attributed_payments`` rolled up nightly by the paying case's team, collector, product, bucket)."""
    q = _portfolio_q(scope, filters) & Q(day__range=(filters.first, filters.last))
    if filters.bucket:
        q &= Q(bucket=filters.bucket)
    sums = ChannelDay.objects.filter(q).values("channel").annotate(**_sums(("recovered_fen",))).order_by("channel")
    attributed = _read(sums.values_list("channel", "recovered_fen"), {"channel": pl.Utf8, "recovered_fen": pl.Int64})
    table = channel_table(contact_frame(scope, filters, ("channel",)), attributed)
    rows = [
        [
            _channel(r["channel"]),
            r["attempts"],
            r["reached"],
            _ratio(r["reach_rate"]),
            yuan(r["recovered_fen"]),
            yuan(round(r["recovered_fen_per_attempt"])) if r["recovered_fen_per_attempt"] is not None else None,
        ]
        for r in table.iter_rows(named=True)
    ]
    return Figure(
        "channels",
        _("Channels"),
        [
            ("channel", _("Channel")),
            ("attempts", _("Attempts")),
            ("reached", _("Reached (answered, delivered)")),
            ("reach_rate", _("Reach rate")),
            ("recovered", _("Recovered after it (yuan)")),
            ("recovered_per_attempt", _("Recovered per attempt (yuan)")),
        ],
        rows,
        note=str(CONTACT_NOTE),
    )


def vintage_table(scope: Scope, filters: Filters) -> pl.DataFrame:
    """``kpis.vintage_recovery`` over the period, summed from the vintage rollups (a collector's rows, else the
    per-team copy): one row per placement month and day read, summed by the kernel's ``vintage_from_rollup``
    (a test holds it to the KPI over the facts)."""
    model = VintageDay if scope.user_id is not None else VintageTeamDay
    q = _portfolio_q(scope, filters) & Q(day__range=(filters.first, filters.last))
    if filters.bucket:
        q &= Q(bucket=filters.bucket)
    columns = ("cases", "balance_fen", "placed", "placed_fen", "paid_fen")
    rows = model.objects.filter(q).values("vintage", "day").annotate(**_sums(columns)).order_by()
    schema = {"vintage": pl.Utf8, "day": pl.Date, **{c: pl.Int64 for c in columns}}
    frame = _read(rows.values_list("vintage", "day", *columns), schema)
    return vintage_from_rollup(frame, filters.first)


def vintage_figure(scope: Scope, filters: Filters) -> Figure:
    """Recovery by placement month (``kpis.vintage_recovery``): owed, the balance on the period's first day of
    the cases open then and the balance of the cases placed later in the period on their placement day;
    recovered, what they paid in the period."""
    table = vintage_table(scope, filters)
    rows = [
        [
            r["vintage"] or str(NOT_OPEN),
            r["cases"],
            yuan(r["balance_fen"]),
            yuan(r["recovered_fen"]),
            _ratio(r["recovery_rate"]),
        ]
        for r in table.iter_rows(named=True)
    ]
    return Figure(
        "vintage",
        _("Recovery by placement month"),
        [
            ("vintage", _("Placed in")),
            ("cases", _("Cases")),
            ("balance", _("Owed at the start or at placement (yuan)")),
            ("recovered", _("Recovered in the period (yuan)")),
            ("recovery_rate", _("Recovery rate")),
        ],
        rows,
        note=str(VINTAGE_NOTE),
    )


def _case_scope(scope: Scope, filters: Filters, prefix: str = "case__") -> Q:
    """The scope and the team filter on rows that belong to a case (product and bucket are not applied: a
    payment or a plan is counted for the case, whatever bucket it stood in that day)."""
    q = Q()
    if scope.team_id is not None:
        q &= Q(**{f"{prefix}team_id": scope.team_id})
    if scope.user_id is not None:
        q &= Q(**{f"{prefix}assignee_id": scope.user_id})
    if filters.team_id is not None:
        q &= Q(**{f"{prefix}team_id": filters.team_id})
    return q


def selfservice_figure(scope: Scope, filters: Filters) -> Figure:
    """The share of payments, plans and promises that came through the debtor's self-service page in the
    period: online payments (WeChat Pay, Alipay) among the posted payments, the plans and promises the debtor
    gave on the page (its events) among all accepted in the period."""
    in_cases = _case_scope(scope, filters)
    # The period's days in the installation's zone, as the daily facts count them.
    start = timezone.make_aware(datetime.combine(filters.first, time(0)))
    end = timezone.make_aware(datetime.combine(filters.last + timedelta(days=1), time(0)))
    # One statement per table, each figure a filtered aggregate: nine round trips were four.
    online = Q(source=PaymentSource.ONLINE)
    paid = Payment.objects.filter(
        in_cases, status=PaymentStatus.POSTED, paid_on__range=(filters.first, filters.last)
    ).aggregate(
        n_all=Count("id"),
        n_self=Count("id", filter=online),
        fen_all=Sum("amount"),
        fen_self=Sum("amount", filter=online),
    )
    events = SelfServiceEvent.objects.filter(in_cases, at__gte=start, at__lt=end).aggregate(
        plans=Count("id", filter=Q(kind=EventKind.PLAN)), promises=Count("id", filter=Q(kind=EventKind.PROMISE))
    )
    plans_all = RepaymentPlan.objects.filter(in_cases, accepted_on__range=(filters.first, filters.last)).count()
    # The whole portfolio's from the hours the database keeps (cases.counts): counting the period's promises
    # read every one of them on each view (300,000 at a million cases). A team's are counted through its cases.
    if in_cases:
        promises_all = Promise.objects.filter(in_cases, created_at__gte=start, created_at__lt=end).count()
    else:
        promises_all = promises_created(start, end)

    def fen(total: Any) -> int:
        return to_fen(total) if total is not None else 0

    def share(part: int, whole: int) -> float | None:
        return _ratio(part / whole) if whole else None

    paid_all, paid_self = paid["n_all"], paid["n_self"]
    fen_all, fen_self = fen(paid["fen_all"]), fen(paid["fen_self"])
    plans_self, promises_self = events["plans"], events["promises"]
    rows: list[list[Any]] = [
        [_("Payments"), paid_all, paid_self, share(paid_self, paid_all)],
        [_("Yuan paid"), yuan(fen_all), yuan(fen_self), share(fen_self, fen_all)],
        [_("Plans accepted"), plans_all, plans_self, share(plans_self, plans_all)],
        [_("Promises to pay"), promises_all, promises_self, share(promises_self, promises_all)],
    ]
    return Figure(
        "selfservice",
        _("Through self-service"),
        [("what", _("What")), ("all", _("All")), ("self_service", _("Through self-service")), ("share", _("Share"))],
        rows,
        note=_("A bank transfer with the case's reference arrives through the bank statement and is counted as such."),
    )


def current_experiment() -> Experiment | None:
    """The experiment the readout shows: the active one, else the last that ended."""
    return Experiment.objects.order_by("-active", "-id").first()


METRICS = {
    "promise_kept": gettext_lazy("Promise-kept rate"),
    "rpc_rate": gettext_lazy("Right-party contact rate"),
    "recovery_rate": gettext_lazy("Recovery rate"),
    "contacts_per_1000_yuan": gettext_lazy("Call attempts per 1,000 yuan recovered"),
}
VERDICTS = {"significant": gettext_lazy("significant"), "not significant yet": gettext_lazy("not significant yet")}


DEFAULT_EFFECT = 0.05  # the promise-kept difference the readout sizes the sample for


def warm_readout(today: date) -> None:
    """Stores the readout of the dashboard's default period (the nightly job, once the day's facts are
    written), so the first look at the dashboard does not read every case of the period."""
    last = today - timedelta(days=1)
    stored_readout(last - timedelta(days=DEFAULT_DAYS - 1), last, minimum_effect=DEFAULT_EFFECT)


def experiment_figure(scope: Scope, filters: Filters, minimum_effect: float | None = DEFAULT_EFFECT) -> Figure:
    """Each arm's figures with 95% intervals and each challenger against the champion, over the whole
    portfolio's facts of the period (an experiment is the portfolio's, not a team's)."""
    experiment = current_experiment()
    figures, comparisons = stored_readout(filters.first, filters.last, minimum_effect=minimum_effect)
    rows = [
        [f.arm, str(METRICS.get(f.metric, f.metric)), _ratio(f.value), _ratio(f.low), _ratio(f.high), f.n]
        for f in figures
    ]
    compared = [
        [
            c.arm,
            c.baseline,
            str(METRICS.get(c.metric, c.metric)),
            _ratio(c.difference),
            _ratio(c.low),
            _ratio(c.high),
            _ratio(c.p_value),
            c.needed_per_arm,
            str(VERDICTS.get(c.verdict, c.verdict)),
        ]
        for c in comparisons
    ]
    return Figure(
        "experiment",
        _("Experiment readout"),
        [
            ("arm", _("Arm")),
            ("metric", _("Figure")),
            ("value", _("Estimate")),
            ("low", _("Interval low")),
            ("high", _("Interval high")),
            ("n", _("n")),
        ],
        rows,
        extra={
            "experiment": None
            if experiment is None
            else {"id": experiment.pk, "key": experiment.key, "active": experiment.active},
            "arms": [] if experiment is None else list(experiment.arms.order_by("name").values_list("name", flat=True)),
            "comparison_labels": [
                _("Arm"),
                _("Baseline"),
                _("Figure"),
                _("Difference"),
                _("Interval low"),
                _("Interval high"),
                _("p-value"),
                _("Needed per arm"),
                _("Verdict"),
            ],
            "comparisons": compared,
        },
    )


FIGURES: dict[str, Callable[[Scope, Filters], Figure]] = {
    "trend": trend_figure,
    "roll": roll_figure,
    "heatmap": heatmap_figure,
    "leaderboard": leaderboard_figure,
    "channels": channel_figure,
    "vintage": vintage_figure,
    "selfservice": selfservice_figure,
    "experiment": experiment_figure,
}
# The experiment compares the whole portfolio's arms: shown to those who may read the strategy.
PORTFOLIO_WIDE = frozenset({"experiment"})


def figure(name: str, scope: Scope, filters: Filters) -> Figure:
    """One figure by name, for the scope (a portfolio-wide figure only for an everyone or a team scope)."""
    if name not in FIGURES:
        raise FilterError("figure", _("no such figure: %(value)s") % {"value": name[:40]})
    if name in PORTFOLIO_WIDE and scope.user_id is not None:
        raise PermissionDenied(_("The experiment readout is for team leads and administrators."))
    return FIGURES[name](scope, filters)


def figure_names(scope: Scope) -> list[str]:
    return [n for n in FIGURES if n not in PORTFOLIO_WIDE or scope.user_id is None]


# The figures read from the rollups alone, which only ``facts.compute_day`` writes: kept between looks
# (analytics.stored). Not the leaderboard (it names the collectors as they are named now), the self-service
# share (payments and promises of the live tables) or the experiment (stored by its own readout).
STORED = frozenset({"trend", "roll", "heatmap", "channels", "vintage"})


def _stored_key(name: str, scope: Scope, filters: Filters) -> str:
    """What a stored figure depends on besides its period: the scope, the filters and the language of its
    labels."""
    parts = (name, scope.team_id, scope.user_id, filters.team_id, filters.product, filters.bucket, get_language())
    return "|".join("" if p is None else str(p) for p in parts)


def _figure_data(fig: Figure) -> dict[str, Any]:
    return {
        "key": fig.key,
        "title": fig.title,
        "columns": [list(c) for c in fig.columns],
        "rows": fig.rows,
        "drill": fig.drill,
        "note": fig.note,
        "extra": fig.extra,
    }


def _figure_of(data: dict[str, Any]) -> Figure:
    columns = [(key, label) for key, label in data["columns"]]
    return Figure(data["key"], data["title"], columns, data["rows"], data["drill"], data["note"], data["extra"])


def figures(names: list[str], scope: Scope, filters: Filters) -> list[Figure]:
    """``figure`` for each name, the ``STORED`` ones from the store when their period's facts are unchanged
    since (two queries for all of them), computed and stored otherwise."""
    kept = [n for n in names if n in STORED]
    keys = {n: _stored_key(n, scope, filters) for n in kept}
    written = written_count(filters.first, filters.last) if kept else 0
    found = stored_figures(list(keys.values()), filters.first, filters.last, written) if kept else {}
    out = []
    for name in names:
        if name in keys and keys[name] in found:
            out.append(_figure_of(found[keys[name]]))
            continue
        fig = figure(name, scope, filters)
        if name in keys:
            store_figure(keys[name], filters.first, filters.last, written, _figure_data(fig))
        out.append(fig)
    return out


# Drill-down: the cases behind a figure ----------------------------------------------------------------------

CASE_COLUMNS = ("case_id", "bucket", "dpd", "balance_fen", "product", "team_id", "assignee_id", "arm")


@dataclass(frozen=True)
class Drill:
    kind: str
    day: date
    from_bucket: str = ""
    assignee: int | None = None
    weekday: int | None = None  # a heatmap cell: 0 Monday … 6 Sunday, and the local hour
    hour: int | None = None


def parse_drill(params: Mapping[str, str], filters: Filters) -> Drill:
    kind = (params.get("kind") or "day").strip()
    if kind not in ("day", "roll", "collector", "slot"):
        raise FilterError("kind", _("no such drill-down: %(value)s") % {"value": kind[:40]})
    day = _day(params, "day", filters.last)
    from_bucket = (params.get("from_bucket") or "").strip()
    if kind == "roll" and from_bucket not in BUCKET_ORDER:
        raise FilterError("from_bucket", _("no such bucket: %(value)s") % {"value": from_bucket[:40]})
    assignee_text = (params.get("assignee") or "").strip()
    assignee = None
    if kind == "collector":
        if not assignee_text.isdigit() or len(assignee_text) > 18:
            raise FilterError("assignee", _("not a user number: %(value)s") % {"value": assignee_text[:40]})
        assignee = int(assignee_text)
    slot: dict[str, int | None] = {"weekday": None, "hour": None}
    if kind == "slot":
        for name, top in (("weekday", 6), ("hour", 23)):
            text = (params.get(name) or "").strip()
            if not text.isdigit() or int(text) > top:
                raise FilterError(
                    name, _("not a number from 0 to %(top)s: %(value)s") % {"top": top, "value": text[:40]}
                )
            slot[name] = int(text)
    return Drill(kind, day, from_bucket, assignee, slot["weekday"], slot["hour"])


def drill_cases(scope: Scope, filters: Filters, drill: Drill) -> Figure:
    """The cases behind a figure, at most DRILL_LIMIT, in the scope: a day's paying cases (a trend's
    point), a roll-rate row (the cases of that bucket ROLL_DAYS earlier and where they stand), a
    collector's cases on the period's last day (a leaderboard row), the cases called in a heatmap cell
    (weekday and hour) with the day of the call."""
    if drill.kind == "collector" and scope.user_id is not None and drill.assignee != scope.user_id:
        raise PermissionDenied(_("You may see only your own figures."))
    q = _portfolio_q(scope, filters)
    if filters.bucket and drill.kind != "roll":
        q &= Q(bucket=filters.bucket)
    if drill.kind == "day":
        paid = MoneyDay.objects.filter(day=drill.day, paid_fen__gt=0, case_id=OuterRef("case_id"))
        cases = CaseDay.objects.filter(q, Exists(paid), day=drill.day)
        title = _("Cases with payments on %(day)s") % {"day": drill.day.isoformat()}
    elif drill.kind == "slot":
        # The heatmap cell's calls and visits: a collector's own, else everyone's on the cases in scope. Only the
        # period's days of that weekday are read (four or five), newest first.
        weekday, hour = drill.weekday or 0, drill.hour or 0  # parse_drill requires both for a slot
        days = [d for d in _days(filters) if d.weekday() == weekday]
        called = ContactDay.objects.filter(
            day=OuterRef("day"), case_id=OuterRef("case_id"), hour=hour, channel__in=CALL_CHANNELS,
            attempts__gt=0, **({"user_id": scope.user_id} if scope.user_id is not None else {}),
        )  # fmt: skip
        cases = CaseDay.objects.filter(q, Exists(called))
        title = _("Cases called on %(weekday)s at %(hour)s:00 in the period") % {
            "weekday": WEEKDAYS[weekday],
            "hour": f"{hour:02d}",
        }
    elif drill.kind == "collector":
        cases = CaseDay.objects.filter(q, day=filters.last, assignee_id=drill.assignee)
        title = _("Cases of the collector on %(day)s") % {"day": filters.last.isoformat()}
    else:
        earlier = drill.day - timedelta(days=ROLL_DAYS)
        cases = CaseDay.objects.filter(q, day=earlier, bucket=drill.from_bucket)
        title = _("Cases in %(bucket)s on %(earlier)s and where they stand on %(day)s") % {
            "bucket": drill.from_bucket,
            "earlier": earlier.isoformat(),
            "day": drill.day.isoformat(),
        }
    if drill.kind == "slot":
        # Day by day, newest first, each in case order: the index on (day, case) reads only as far as the limit.
        rows: list[tuple[Any, ...]] = []
        for day in sorted(days, reverse=True):
            found = cases.filter(day=day).order_by("case_id").values_list(*CASE_COLUMNS, "day")
            rows += found[: DRILL_LIMIT - len(rows)]
            if len(rows) >= DRILL_LIMIT:
                break
    else:
        rows = list(cases.order_by("case_id").values_list(*CASE_COLUMNS, "day")[:DRILL_LIMIT])
    later: dict[int, str] = {}
    if drill.kind == "roll":
        found = CaseDay.objects.filter(day=drill.day, case_id__in=[r[0] for r in rows]).values_list("case_id", "bucket")
        later = dict(found)
    names = _user_names({r[6] for r in rows if r[6]})
    teams = dict(Team.objects.filter(pk__in={r[5] for r in rows if r[5]}).values_list("pk", "name"))
    out = []
    for case_id, bucket, dpd, balance, product, team, assignee, arm, day in rows:
        row: list[Any] = [day.isoformat()] if drill.kind == "slot" else []
        row += [
            case_id,
            bucket,
            dpd,
            yuan(balance),
            str(Product(product).label) if product in Product.values else product,
            teams.get(team, ""),
            names.get(assignee, ""),
            arm,
        ]
        if drill.kind == "roll":
            row.append(later.get(case_id, _("Closed")))
        out.append(row)
    columns = [
        ("case", _("Case")),
        ("bucket", _("Bucket")),
        ("dpd", _("Days past due")),
        ("balance", _("Balance (yuan)")),
        ("product", _("Product")),
        ("team", _("Team")),
        ("assignee", _("Collector")),
        ("arm", _("Arm")),
    ]
    if drill.kind == "roll":
        columns.append(("now", _("Bucket on %(day)s") % {"day": drill.day.isoformat()}))
    if drill.kind == "slot":
        columns.insert(0, ("day", _("Day")))
    return Figure("cases", title, columns, out, extra={"limit": DRILL_LIMIT, "truncated": len(rows) == DRILL_LIMIT})


def _user_names(ids: set[int]) -> dict[int, str]:
    return {u.pk: u.get_full_name() or u.username for u in User.objects.filter(pk__in=ids)}
