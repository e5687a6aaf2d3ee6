"""Messages reverse their links against config.link_urls: the paths must be the site's own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import resolve, reverse

from huikuan.comms import link_urls as comms_links
from huikuan.selfservice import urls as selfservice_urls


def _names() -> list[tuple[str, dict[str, object]]]:
    """Every named link pattern with a value for each of its parameters (a number for an int, else text)."""
    patterns = [("comms", p) for p in comms_links.urlpatterns]
    patterns += [("selfservice", p) for p in selfservice_urls.urlpatterns if p.name]
    return [
        (
            f"{space}:{p.name}",
            {k: 7 if type(c).__name__ == "IntConverter" else "tok" for k, c in p.pattern.converters.items()},
        )
        for space, p in patterns
    ]


@pytest.mark.parametrize(("name", "kwargs"), _names())
def test_each_link_reverses_to_the_sites_own_path(name: str, kwargs: dict[str, object]) -> None:
    path = reverse(name, kwargs=kwargs, urlconf=settings.HUIKUAN_LINK_URLCONF)
    assert path == reverse(name, kwargs=kwargs)
    # And the site serves it with the view the link URLconf names.
    assert resolve(path).func == resolve(path, urlconf=settings.HUIKUAN_LINK_URLCONF).func


def test_the_link_urlconf_loads_neither_weasyprint_nor_the_models(tmp_path: Path) -> None:
    """The point of the separate URLconf: a nightly shard composing messages does not pay for the site's."""
    code = (
        "import django, sys; django.setup();"
        "from django.conf import settings; from django.urls import reverse;"
        "reverse('comms:opt_out', args=['x'], urlconf=settings.HUIKUAN_LINK_URLCONF);"
        "import huikuan.strategy.run;"
        "print(sorted(m for m in ('weasyprint', 'lightgbm', 'sklearn') if m in sys.modules))"
    )
    # Demo mode (the public demo secrets), settings of their own: the child only imports, it reads no database.
    env = {
        "HUIKUAN_VAR_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "HUIKUAN_DEMO": "1",
        "DJANGO_SETTINGS_MODULE": "huikuan.config.settings",
    }
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip().splitlines()[-1] == "[]"
