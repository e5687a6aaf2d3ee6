from tests.workbench.fixtures import make_case, run, workday

__all__ = ["make_case", "run", "workday"]
