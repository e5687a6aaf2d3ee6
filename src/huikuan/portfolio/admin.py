from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from huikuan.audit.admin import ReadOnlyAdmin
from huikuan.org.admin_scoping import CaseScopedAdmin
from huikuan.portfolio.models import Account, AccountBalance, ContactPoint, Debtor, LedgerEntry


class ContactPointInline(admin.TabularInline):
    model = ContactPoint
    extra = 0
    fields = ["kind", "masked", "relation", "contact_name", "validity", "do_not_contact", "dnc_reason"]
    readonly_fields = ["masked"]


@admin.register(Debtor)
class DebtorAdmin(CaseScopedAdmin):
    case_path = "case__"
    list_display = ["customer_no", "masked_name", "kind", "gender", "id_last4", "time_zone", "region"]
    list_filter = ["kind", "gender", "preferred_language"]
    search_fields = ["=customer_no", "=accounts__contract_no", "=id_last4"]
    exclude = ["id_hash"]
    personal_fields = ("address",)
    inlines = [ContactPointInline]

    @admin.display(description=_("name"))
    def masked_name(self, obj: Debtor) -> str:
        return str(obj).split(" (")[0]


@admin.register(ContactPoint)
class ContactPointAdmin(CaseScopedAdmin):
    case_path = "debtor__case__"
    list_display = ["debtor", "kind", "masked", "relation", "validity", "do_not_contact"]
    list_filter = ["kind", "relation", "validity", "do_not_contact"]
    search_fields = ["=debtor__customer_no"]
    raw_id_fields = ["debtor"]
    personal_fields = ("value",)


class BalanceInline(admin.StackedInline):
    model = AccountBalance
    can_delete = False
    readonly_fields = [
        "principal",
        "interest",
        "fee",
        "penalty",
        "credit",
        "total",
        "entry_count",
        "updated_at",
    ]


@admin.register(Account)
class AccountAdmin(CaseScopedAdmin):
    case_path = "debtor__case__"
    list_display = ["contract_no", "debtor", "product", "currency", "original_amount", "due_date", "total"]
    list_filter = ["product", "currency"]
    search_fields = ["=contract_no", "=debtor__customer_no"]
    list_select_related = ["debtor", "balance"]
    raw_id_fields = ["debtor"]
    inlines = [BalanceInline]
    date_hierarchy = "due_date"

    @admin.display(description=_("total owed"))
    def total(self, obj: Account) -> Any:
        return obj.balance.total


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin, CaseScopedAdmin):
    """Append-only: posting goes through the ledger actions, never through an admin form."""

    case_path = "account__debtor__case__"
    list_display = ["effective_date", "account", "kind", "amount", "reference", "created_by", "created_at"]
    list_filter = ["kind"]
    search_fields = ["=account__contract_no", "=reference"]
    list_select_related = ["account", "created_by"]
    date_hierarchy = "effective_date"
