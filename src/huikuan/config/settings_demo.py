"""Settings of every run that is not a real installation: the test suite, mypy, makemessages, the benchmarks.

They are the production settings in demo mode (HUIKUAN_DEMO=1, which `make demo` sets too): the public demo
secrets are accepted and the site is served over plain HTTP. The variable is set in the environment, not
only here, so the processes these runs start (a Celery worker, a strategy shard, a `huikuan` command) load
the same way.
"""

import os

os.environ.setdefault("HUIKUAN_DEMO", "1")

from huikuan.config.settings import *  # noqa: F403
