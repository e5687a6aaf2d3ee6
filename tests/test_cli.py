import subprocess
import sys
from pathlib import Path

from huikuan.cli import resolve

ROOT = Path(__file__).resolve().parents[1]


def test_two_word_subcommands_map_to_management_commands() -> None:
    known = {"import_accounts", "strategy_run", "generate", "migrate"}
    assert resolve(["import", "accounts", "f.csv", "--dry-run"], known) == [
        "import_accounts",
        "f.csv",
        "--dry-run",
    ]
    assert resolve(["generate", "--debtors", "5"], known) == ["generate", "--debtors", "5"]
    assert resolve(["migrate"], known) == ["migrate"]


def test_huikuan_import_dry_run_from_the_command_line(tmp_path: Path) -> None:
    # Demo mode: the command runs with the public demo secrets, as `make demo` does.
    env = {"HUIKUAN_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HUIKUAN_DEMO": "1"}
    python = sys.executable
    subprocess.run([python, "-m", "huikuan.cli", "migrate", "-v0"], check=True, env=env, cwd=tmp_path)
    result = subprocess.run(
        [
            python,
            "-m",
            "huikuan.cli",
            "import",
            "accounts",
            str(ROOT / "examples" / "accounts-zh.csv"),
            "--mapping",
            str(ROOT / "examples" / "mapping-zh.yaml"),
            "--dry-run",
        ],
        env={**env, "LANGUAGE_CODE": "en"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "would import 6 rows" in result.stdout
