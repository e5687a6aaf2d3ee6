from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from huikuan.kernel import contacts, pii
from huikuan.kernel.ledger import Balance
from huikuan.kernel.localtime import local_day, zone_name
from huikuan.portfolio.fields import MoneyField


class DebtorKind(models.TextChoices):
    PERSON = "person", _("Person")
    COMPANY = "company", _("Company")


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    UNKNOWN = "unknown", _("Unknown")


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident ID card")
    CREDIT_CODE = "credit_code", _("Unified social credit code")
    PASSPORT = "passport", _("Passport")
    OTHER = "other", _("Other")


def default_time_zone() -> str:
    """The zone of a debtor who has none recorded: the DEFAULT_DEBTOR_TIME_ZONE setting."""
    return str(settings.DEFAULT_DEBTOR_TIME_ZONE)


def debtor_zone(time_zone: str | None) -> str:
    """The zone a debtor lives in: their own, else the setting's."""
    return zone_name(time_zone, default_time_zone())


def debtor_today(time_zone: str | None, now: datetime) -> date:
    """The debtor's calendar day at the instant ``now`` (``kernel.localtime.local_day`` with the setting's
    zone for a debtor who has none): the day every action dates a debtor's payment, promise or plan by."""
    return local_day(now, time_zone, default_time_zone())


class Debtor(models.Model):
    customer_no = models.CharField(_("customer number"), max_length=64)
    kind = models.CharField(_("kind"), max_length=10, choices=DebtorKind.choices, default=DebtorKind.PERSON)
    name = models.CharField(_("name"), max_length=200)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, default=Gender.UNKNOWN)
    id_type = models.CharField(_("ID type"), max_length=20, choices=IdType.choices, blank=True)
    id_hash = models.CharField(_("ID hash"), max_length=64, blank=True, editable=False)
    id_last4 = models.CharField(_("ID last 4"), max_length=4, blank=True)
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    monthly_income = MoneyField(_("monthly income"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=50, default=default_time_zone)
    # The US state (or other region) whose law governs the debt: its limitation period and the disclosures
    # owed on a time-barred debt (kernel.regions.region_code spells it). A database default too, so the bulk
    # writers that insert debtors by SQL need not name it.
    region = models.CharField(_("region"), max_length=40, blank=True, default="", db_default="")
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    # The content hash of the file row that last wrote this debtor (kernel.intake.content_hash): a file
    # row with the same hash is skipped by the next import, unread, so a replayed file writes nothing.
    # Empty for a debtor no import wrote; a database default so the bulk writers need not name it.
    import_hash = models.CharField(
        _("import content hash"), max_length=32, blank=True, default="", db_default="", editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("debtor")
        verbose_name_plural = _("debtors")
        # In Meta rather than db_index: on PostgreSQL db_index adds a LIKE-pattern index per text field
        # that nothing queries, and every index costs each imported debtor a write.
        indexes = [
            models.Index(fields=["name"], name="debtor_name"),
            models.Index(fields=["id_hash"], name="debtor_id_hash"),
        ]
        # Unique by a constraint, not unique=True, for the same reason: lookups and the import's upsert
        # compare whole numbers, never LIKE.
        constraints = [models.UniqueConstraint(fields=["customer_no"], name="debtor_customer_no_unique")]

    def __str__(self) -> str:
        return f"{pii.mask_text(self.name)} ({self.customer_no})"

    @property
    def zone(self) -> str:
        """The zone this debtor's days and hours are reckoned in (the setting's when none is recorded)."""
        return debtor_zone(self.time_zone)

    def today(self, now: datetime) -> date:
        """This debtor's calendar day at the instant ``now``."""
        return debtor_today(self.time_zone, now)

    def set_id_number(self, raw: str) -> None:
        self.id_hash = pii.hash_id_number(raw, settings.PII_HASH_KEY)
        self.id_last4 = pii.normalise_id_number(raw)[-4:]


class ContactKind(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    HOME = "home", _("Home phone")
    WORK = "work", _("Work phone")
    EMAIL = "email", _("E-mail")
    POSTAL = "postal", _("Postal address")


PHONE_KINDS = frozenset({ContactKind.MOBILE, ContactKind.HOME, ContactKind.WORK})


class Relation(models.TextChoices):
    """Whose a contact point is; ``kernel.contacts.owner_of`` says what each means to the rules."""

    SELF = contacts.SELF, _("Debtor")
    SPOUSE = "spouse", _("Spouse")
    RELATIVE = "relative", _("Relative")
    COLLEAGUE = "colleague", _("Colleague")
    GUARANTOR = contacts.GUARANTOR, _("Guarantor")
    EMERGENCY = "emergency", _("Emergency contact")
    OTHER = "other", _("Other")


class Validity(models.TextChoices):
    UNVERIFIED = "unverified", _("Unverified")
    VALID = "valid", _("Valid")
    INVALID = "invalid", _("Invalid")


class ContactPoint(models.Model):
    # No index of its own: the unique (debtor, value) index serves lookups by debtor, and each
    # index costs every imported contact a write. No foreign-key constraint in the database either:
    # PostgreSQL checks one row by row, with an index lookup and a row lock on the debtor, and an import
    # writes three to four contacts per debtor (about an eighth of the database's work on a first load).
    # Every writer takes the debtor id from a debtor row it has just read or written in the same
    # transaction (the import joins by customer number), debtors are not deleted by the product, and a
    # delete through the admin or the ORM still cascades, as Django applies on_delete itself.
    debtor = models.ForeignKey(
        Debtor,
        on_delete=models.CASCADE,
        related_name="contact_points",
        verbose_name=_("debtor"),
        db_index=False,
        db_constraint=False,
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ContactKind.choices)
    # Phones in ASCII E.164 (+8613812341234), e-mail addresses folded and lower-cased, postal addresses as
    # written: every writer spells them through kernel.identifiers.
    value = models.CharField(_("value"), max_length=300)
    relation = models.CharField(_("relation"), max_length=20, choices=Relation.choices, default=Relation.SELF)
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    validity = models.CharField(_("validity"), max_length=12, choices=Validity.choices, default=Validity.UNVERIFIED)
    do_not_contact = models.BooleanField(_("do not contact"), default=False)
    dnc_reason = models.CharField(_("do-not-contact reason"), max_length=200, blank=True)
    dnc_date = models.DateField(_("do-not-contact date"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=30, default="import")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        # One point per number (or address) and debtor, whatever kind it is filed under: a number filed as
        # both mobile and home phone is one line, and the gate's per-number call cap counts by point. Not
        # unique across debtors: spouses who both owe share a home line, a guarantor stands for several.
        constraints = [models.UniqueConstraint(fields=["debtor", "value"], name="contact_point_one_per_number")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.masked}"

    @property
    def is_phone(self) -> bool:
        return self.kind in PHONE_KINDS

    @property
    def national(self) -> str:
        return self.value[3:] if self.value.startswith("+86") else self.value.lstrip("+")

    @property
    def masked(self) -> str:
        if self.is_phone:
            return pii.mask_phone(self.national)
        if self.kind == ContactKind.EMAIL:
            return pii.mask_email(self.value)
        return pii.mask_text(self.value, keep=3)

    @property
    def tail(self) -> str:
        return pii.phone_tail(self.national) if self.is_phone else self.masked


class Product(models.TextChoices):
    CREDIT_CARD = "credit_card", _("Credit card")
    CONSUMER_LOAN = "consumer_loan", _("Consumer loan")
    B2B_INVOICE = "b2b_invoice", _("B2B invoice")


class Account(models.Model):
    debtor = models.ForeignKey(Debtor, on_delete=models.PROTECT, related_name="accounts", verbose_name=_("debtor"))
    contract_no = models.CharField(_("contract number"), max_length=64)
    product = models.CharField(_("product"), max_length=20, choices=Product.choices)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    original_amount = MoneyField(_("original amount"))
    open_date = models.DateField(_("open date"))
    due_date = models.DateField(_("due date"), db_index=True)
    annual_interest_rate = models.DecimalField(
        _("annual interest rate"), max_digits=7, decimal_places=4, default=Decimal("0")
    )
    daily_penalty_rate = models.DecimalField(
        _("daily penalty rate"), max_digits=7, decimal_places=5, default=Decimal("0")
    )
    # The content hash of the file row that last wrote this account, and the balance it stated (principal,
    # interest, fee and penalty in fen, '|' between): the next import skips a row with that hash while the
    # snapshot still holds that balance. Once anything else has moved it (a payment, a waiver) the row is
    # processed again, as it was before there were hashes.
    import_hash = models.CharField(
        _("import content hash"), max_length=32, blank=True, default="", db_default="", editable=False
    )
    import_balance = models.CharField(
        _("imported balance state"), max_length=80, blank=True, default="", db_default="", editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        # Not unique=True: on PostgreSQL that adds a LIKE-pattern twin index nothing queries, and each
        # imported account would write it.
        constraints = [models.UniqueConstraint(fields=["contract_no"], name="account_contract_no_unique")]

    def __str__(self) -> str:
        return self.contract_no

    @property
    def masked_contract(self) -> str:
        return f"****{self.contract_no[-4:]}"


class EntryKind(models.TextChoices):
    PRINCIPAL = "principal", _("Principal")
    INTEREST = "interest", _("Interest")
    FEE = "fee", _("Fee")
    PENALTY = "penalty", _("Late penalty")
    PAYMENT = "payment", _("Payment")
    WAIVER = "waiver", _("Waiver")
    REVERSAL = "reversal", _("Reversal")
    ADJUSTMENT = "adjustment", _("Adjustment")


class LedgerEntry(models.Model):
    """Append-only: an entry is never updated or deleted; a mistake is undone by a reversal."""

    # Lookups by account use the unique (account, reference) index; the two rarely set links are indexed
    # only where set (Meta.indexes). Every index costs each posted entry a write.
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="entries", verbose_name=_("account"), db_index=False
    )
    kind = models.CharField(_("kind"), max_length=12, choices=EntryKind.choices)
    reference = models.CharField(_("external reference"), max_length=100)
    effective_date = models.DateField(_("effective date"))
    principal = MoneyField(_("principal"), default=0)
    interest = MoneyField(_("interest"), default=0)
    fee = MoneyField(_("fee"), default=0)
    penalty = MoneyField(_("penalty"), default=0)
    credit = MoneyField(_("credit"), default=0)
    reversal_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
        verbose_name=_("reverses"),
        db_index=False,
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("created by"),
        db_index=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["effective_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "reference"], name="ledger_reference_unique_per_account")
        ]
        indexes = [
            models.Index(
                fields=["reversal_of"], condition=models.Q(reversal_of__isnull=False), name="ledger_reversal_of_set"
            ),
            models.Index(
                fields=["created_by"], condition=models.Q(created_by__isnull=False), name="ledger_created_by_set"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.amount}"

    @property
    def amount(self) -> Decimal:
        return self.principal + self.interest + self.fee + self.penalty


class AccountBalance(models.Model):
    """The ledger's sums per account, rewritten in the same transaction as every entry."""

    account = models.OneToOneField(
        Account, primary_key=True, on_delete=models.CASCADE, related_name="balance", verbose_name=_("account")
    )
    principal = MoneyField(_("principal"), default=0)
    interest = MoneyField(_("interest"), default=0)
    fee = MoneyField(_("fee"), default=0)
    penalty = MoneyField(_("penalty"), default=0)
    credit = MoneyField(_("credit"), default=0)
    # Not indexed: no query picks balances by their total (they are read by account), and the index cost
    # each imported account a write and each posted payment a non-HOT update.
    total = MoneyField(_("total owed"), default=0)
    entry_count = models.PositiveIntegerField(_("entries"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("account balance")
        verbose_name_plural = _("account balances")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.total}"

    def as_kernel(self) -> Balance:
        return Balance(self.principal, self.interest, self.fee, self.penalty, self.credit)


class ImportBatch(models.Model):
    """One accepted import: which file (by content hash), by whom, and what it changed."""

    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    rows = models.PositiveIntegerField(_("rows"))
    debtors_created = models.PositiveIntegerField(_("debtors created"), default=0)
    accounts_created = models.PositiveIntegerField(_("accounts created"), default=0)
    accounts_updated = models.PositiveIntegerField(_("accounts updated"), default=0)
    entries_posted = models.PositiveIntegerField(_("ledger entries posted"), default=0)
    cases_created = models.PositiveIntegerField(_("cases created"), default=0)
    # Rows skipped because their content hash and their account's balance were as the last import left them.
    rows_unchanged = models.PositiveIntegerField(_("rows unchanged"), default=0, db_default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"
