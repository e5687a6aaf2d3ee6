"""`huikuan comms templates`: load the default templates (screened, activated) and list them with SMS length."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from huikuan.comms.models import TemplateVersion, VersionStatus
from huikuan.comms.templates import seed_default_templates
from huikuan.kernel.comms.sms import sms_length


class Command(BaseCommand):
    help = "Load the default message templates and list the active versions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-load", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_load"]:
            self.stdout.write(f"loaded {seed_default_templates()} template(s)")
        for version in TemplateVersion.objects.filter(status=VersionStatus.ACTIVE).select_related("template"):
            extra = ""
            if version.template.channel == "sms":
                extra = "  (template length " + sms_length(version.body).describe() + ")"
            self.stdout.write(f"{version}{extra}")
