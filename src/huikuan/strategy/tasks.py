"""The strategy's Celery tasks, where Celery's autodiscovery looks for them; they live in executors.py."""

from huikuan.strategy.executors import execute_run_task, finish_run_task, nightly_run, run_shard_task

__all__ = ["execute_run_task", "finish_run_task", "nightly_run", "run_shard_task"]
