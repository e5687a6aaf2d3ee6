from django.contrib import admin

from huikuan.compliance.models import ContactDecision, StopRequest, TextFlag
from huikuan.org.admin_scoping import CaseScopedAdmin


@admin.register(ContactDecision)
class ContactDecisionAdmin(CaseScopedAdmin):
    case_path = "case__"
    list_display = ["created_at", "case", "channel", "source", "allowed", "rule_ids", "next_allowed_at", "review_state"]
    list_filter = ["allowed", "source", "channel", "review_state", "pack"]
    search_fields = ["=case__debtor__customer_no"]
    raw_id_fields = ["case", "contact_point"]
    readonly_fields = [
        "case",
        "contact_point",
        "channel",
        "source",
        "at",
        "allowed",
        "rule_ids",
        "reasons",
        "next_allowed_at",
        "pack",
        "user",
        "overridden_by",
        "override_reason",
        "overridden_at",
    ]
    date_hierarchy = "created_at"


@admin.register(TextFlag)
class TextFlagAdmin(CaseScopedAdmin):
    case_path = "case__"
    list_display = ["created_at", "case", "source", "category", "severity", "rule_id", "excerpt", "review_state"]
    list_filter = ["category", "severity", "source", "review_state"]
    search_fields = ["=case__debtor__customer_no", "excerpt", "rule_id"]
    raw_id_fields = ["case"]
    readonly_fields = ["case", "source", "subject", "excerpt", "category", "severity", "rule_id", "suggestion", "user"]
    date_hierarchy = "created_at"


@admin.register(StopRequest)
class StopRequestAdmin(CaseScopedAdmin):
    case_path = "debtor__case__"
    # An SMS opt-out's note holds the number it came from and the reply's text.
    personal_fields = ("note",)
    list_display = ["created_at", "debtor", "channel", "source", "withdrawn_at"]
    list_filter = ["channel", "source"]
    search_fields = ["=debtor__customer_no"]
    raw_id_fields = ["debtor"]
