"""Alice adds a number the debtor gives on the phone, and corrects a wrong one: spelled like every stored
number, unverified, audited; the old number is kept for the history of the calls made to it, marked invalid."""

from __future__ import annotations

from typing import Any

import pytest

from huikuan.audit.models import ChangeLog
from huikuan.cases.contact_points import ContactPointError, NewContact, add_contact_point
from huikuan.portfolio.models import ContactPoint, Validity
from tests.conftest import client_for
from tests.workbench.fixtures import CaseMaker


def test_a_number_typed_in_full_width_is_stored_in_ascii_unverified_and_audited(workday: dict[str, Any]) -> None:
    case, alice = workday["middle"], workday["personas"].alice
    answer = client_for(alice).post(
        f"/work/cases/{case.pk}/contacts/",
        {"kind": "mobile", "value": "１３８ ００１３ ８０００", "relation": "self", "reason": "债务人电话中告知新号码"},
    )
    assert answer.status_code == 302
    point = ContactPoint.objects.get(debtor=case.debtor, value="+8613800138000")
    assert answer["Location"] == f"/cases/{case.pk}/?contact={point.pk}#contacts"
    assert (point.validity, point.source, point.relation) == (Validity.UNVERIFIED, "collector", "self")
    log = ChangeLog.objects.get(action="contact:added", subject_id=str(point.pk))
    assert log.user == alice and log.after is not None
    assert log.after["reason"] == "债务人电话中告知新号码" and log.after["value"] == "138****8000"
    page = client_for(alice).get(answer["Location"]).content.decode()
    assert 'data-testid="contact-added"' in page and "138****8000" in page


def test_a_correction_marks_the_old_number_invalid_and_keeps_it(workday: dict[str, Any]) -> None:
    case, alice = workday["middle"], workday["personas"].alice
    old = ContactPoint.objects.get(debtor=case.debtor)
    new = add_contact_point(alice, case, NewContact("mobile", "13800138001", reason="原号码错一位", replaces=old.pk))
    old.refresh_from_db()
    assert (old.validity, new.validity) == (Validity.INVALID, Validity.UNVERIFIED)
    corrected = ChangeLog.objects.get(action="contact:corrected", subject_id=str(old.pk))
    assert corrected.after == {"validity": "invalid", "replaced_by": new.pk, "reason": "原号码错一位"}


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"kind": "mobile", "value": "12345"}, "value", "This is not a valid phone number."),
        ({"kind": "email", "value": "li@"}, "value", "This is not an e-mail address."),
        ({"kind": "postal", "value": "短"}, "value", "Give the address on one line"),
        ({"kind": "mobile", "value": "13800138001", "reason": ""}, "reason", "This field is required."),
        ({"kind": "mobile", "value": "13800138001", "relation": "spouse"}, "contact_name", "Give the name"),
        ({"kind": "fax", "value": "13800138001"}, "kind", "Choose the kind of contact."),
    ],
)
def test_what_cannot_be_stored_is_named_at_its_field(
    workday: dict[str, Any], fields: dict[str, str], field: str, words: str
) -> None:
    case = workday["middle"]
    form = {"relation": "self", "reason": "电话中告知"} | fields
    answer = client_for(workday["personas"].alice).post(
        f"/work/cases/{case.pk}/contacts/", form, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert answer.status_code == 400
    body = answer.content.decode()
    assert words in body and ('aria-invalid="true"' in body or 'class="field invalid"' in body)
    assert ContactPoint.objects.filter(debtor=case.debtor).count() == 1


def test_a_number_already_on_file_is_not_stored_twice(workday: dict[str, Any]) -> None:
    case = workday["middle"]
    existing = ContactPoint.objects.get(debtor=case.debtor)
    with pytest.raises(ContactPointError) as refused:
        add_contact_point(workday["personas"].alice, case, NewContact("home", existing.national, reason="电话中告知"))
    assert "value" in refused.value.errors
    assert ContactPoint.objects.filter(debtor=case.debtor).count() == 1


def test_who_may_change_contacts(workday: dict[str, Any], make_case: CaseMaker) -> None:
    p = workday["personas"]
    case = workday["middle"]
    assert client_for(p.quinn).get(f"/work/cases/{case.pk}/contacts/").status_code == 403
    assert client_for(p.bob).get(f"/work/cases/{case.pk}/contacts/").status_code == 404  # Alice's case
    assert client_for(p.lena).get(f"/work/cases/{case.pk}/contacts/").status_code == 200
    alice = client_for(p.alice)
    assert 'data-testid="edit-contacts"' in alice.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="edit-contacts"' not in client_for(p.quinn).get(f"/cases/{case.pk}/").content.decode()
    # A correction must name a point of this debtor.
    other = make_case(20, assignee=p.alice, name="赵六")
    foreign = ContactPoint.objects.get(debtor=other.debtor)
    with pytest.raises(ContactPointError):
        add_contact_point(p.alice, case, NewContact("mobile", "13800138009", reason="x", replaces=foreign.pk))
    foreign.refresh_from_db()
    assert foreign.validity == Validity.VALID
