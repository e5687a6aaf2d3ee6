"""The script library in force: the admin's version from the database, else the one shipped with the code."""

from __future__ import annotations

from functools import lru_cache

from huikuan.kernel.scripts import Library, default_library, load_library
from huikuan.workbench.models import ScriptLibraryVersion


@lru_cache(maxsize=4)
def _parsed(source: str) -> Library:
    return load_library(source)


def current_library() -> Library:
    """One query; parsing is cached on the text, so a new version takes effect on the next page."""
    source = ScriptLibraryVersion.objects.filter(in_force=True).values_list("source", flat=True).first()
    return _parsed(source) if source else default_library()
