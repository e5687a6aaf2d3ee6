"""The `huikuan` command: manage.py with the project's settings and two-word subcommands.

`huikuan import accounts FILE` runs the management command `import_accounts FILE`,
`huikuan strategy run` runs `strategy_run`; any single word is passed through to Django as is
(`huikuan migrate`, `huikuan runserver`, `huikuan generate`).
"""

from __future__ import annotations

import os
import sys


def resolve(argv: list[str], known: set[str]) -> list[str]:
    if len(argv) >= 2 and f"{argv[0]}_{argv[1]}" in known:
        return [f"{argv[0]}_{argv[1]}", *argv[2:]]
    return argv


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["scoring"] and args[1:2] in (["train-file"], ["evaluate-file"]):
        # Modelling on a file needs neither settings nor a database: it runs before Django starts, and the
        # model libraries are loaded for it alone, not for every other command.
        from huikuan.scoring.files import main as files_main

        sys.exit(files_main(args[1:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huikuan.config.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line, get_commands

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        # A configuration mistake (a demo secret outside the demo, a bad schedule) is the operator's to fix:
        # the message says what, a traceback would only bury it.
        sys.exit(f"huikuan: {exc}")
    execute_from_command_line(["huikuan", *resolve(args, set(get_commands()))])


if __name__ == "__main__":
    main()
