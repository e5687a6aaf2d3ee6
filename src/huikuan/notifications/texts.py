"""A notification in words, in the reader's language: the row keeps the figures, the text is made when read."""

from __future__ import annotations

from django.utils.translation import gettext as _

from huikuan.notifications.models import NoticeKind, Notification


def describe(notice: Notification) -> str:
    p: dict[str, object] = {"case": notice.case_id or "—"}
    p |= {k: v for k, v in notice.params.items() if isinstance(v, str | int) and not isinstance(v, bool)}
    kind = notice.kind
    if kind == NoticeKind.WAIVER_APPROVED:
        return _("Case #%(case)s: %(by)s approved the waiver of %(amount)s (%(reason)s).") % _defaults(p)
    if kind == NoticeKind.WAIVER_REJECTED:
        text = _("Case #%(case)s: %(by)s rejected the waiver of %(amount)s (%(reason)s).") % _defaults(p)
        if notice.params.get("plan_reverted"):
            text += " " + _(
                "The plan that waited for it is a proposal again and the earlier arrangement stays in force: "
                "tell the debtor, then offer another option or cancel the proposal."
            )
        return text
    if kind == NoticeKind.CASE_ASSIGNED:
        return _("Case #%(case)s was reassigned to you by %(by)s (%(reason)s).") % _defaults(p)
    if kind == NoticeKind.CALLBACK_DUE:
        return _("Case #%(case)s: the debtor asked to be called back at %(at)s.") % _defaults(p)
    if kind == NoticeKind.PROMISE_DUE:
        return _("Case #%(case)s: a promise of %(amount)s falls due today (%(due)s).") % _defaults(p)
    if kind == NoticeKind.HEARING_DUE:
        return _("Case #%(case)s: the court hearing is at %(at)s (%(court)s).") % _defaults(p)
    if kind == NoticeKind.QA_COACHING:
        return _("Case #%(case)s: %(by)s scored your call %(score)s and left a coaching note: %(note)s") % {
            "case": p["case"],
            "by": p.get("by", "—"),
            "score": p.get("score", "—"),
            "note": p.get("note", "—"),
        }
    if kind == NoticeKind.SELF_SERVICE and notice.params.get("what") == "dispute":
        return _("Case #%(case)s: the debtor disputed the debt on the self-service page (%(reason)s).") % _defaults(p)
    if kind == NoticeKind.SELF_SERVICE and notice.params.get("what") == "callback":
        return _("Case #%(case)s: the debtor asked on the self-service page to be called back at %(at)s.") % _defaults(
            p
        )
    return str(NoticeKind(kind).label) if kind in NoticeKind.values else kind


def _defaults(params: dict[str, object]) -> dict[str, object]:
    """Every placeholder present: an older row without one of them still reads, with a dash."""
    return {name: params.get(name, "—") for name in ("case", "by", "amount", "reason", "at", "due", "court")}
