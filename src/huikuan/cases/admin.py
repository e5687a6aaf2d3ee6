from django.contrib import admin

from huikuan.cases.models import Case, Interaction, Promise
from huikuan.org.admin_scoping import CaseScopedAdmin


@admin.register(Case)
class CaseAdmin(CaseScopedAdmin):
    list_display = ["id", "debtor", "status", "hold_reason", "oldest_due_date", "assignee", "team"]
    list_filter = ["status", "hold_reason", "team", "assignee"]
    search_fields = ["=debtor__customer_no", "=debtor__accounts__contract_no"]
    list_select_related = ["debtor", "assignee", "team"]
    raw_id_fields = ["debtor"]
    readonly_fields = ["oldest_due_date", "opened_at"]


@admin.register(Interaction)
class InteractionAdmin(CaseScopedAdmin):
    case_path = "case__"
    list_display = ["at", "case", "channel", "party", "outcome", "user"]
    list_filter = ["channel", "outcome", "party"]
    search_fields = ["=case__debtor__customer_no"]
    raw_id_fields = ["case", "contact_point"]
    date_hierarchy = "at"


@admin.register(Promise)
class PromiseAdmin(CaseScopedAdmin):
    case_path = "case__"
    list_display = ["case", "amount", "due_date", "state", "paid_amount", "channel"]
    list_filter = ["state", "channel"]
    search_fields = ["=case__debtor__customer_no"]
    raw_id_fields = ["case", "interaction"]
    date_hierarchy = "due_date"
