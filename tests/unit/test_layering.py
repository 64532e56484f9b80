"""The three layers hold: the import contracts in .importlinter pass on the code, and fail on a
copy of the code with a forbidden import added (so the guard is shown able to fail)."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("segmentation", "explain", "service", "dashboard")
CONTRACTS = {
    "pure-core": "The core (segmentation, explain) uses no service, web framework or database",
    "explain-leaf": "explain is a leaf: it imports nothing from segmentation",
    "service-no-web": "The service layer uses no web framework and no dashboard",
}
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
        "sys.exit(lint_imports_command())", "--no-cache", "--no-logo"]


def lint(root: Path) -> subprocess.CompletedProcess:
    """Run every contract of root/.importlinter on the packages under root."""
    return subprocess.run([*LINT, "--config", str(root / ".importlinter")], cwd=root,
                          capture_output=True, text=True, timeout=240)


def verdicts(output: str) -> dict[str, str]:
    """{contract name: "KEPT" | "BROKEN"} from lint-imports' report (which may add how many
    imports a contract's ignore_imports let through)."""
    found = re.findall(r"^(.+?) (KEPT|BROKEN)(?: \(\d+ ignored imports?\))?$", output,
                       flags=re.MULTILINE)
    return {name.strip(): verdict for name, verdict in found}


@pytest.fixture
def copy_of_the_code(tmp_path) -> Path:
    """The packages and the contracts, copied to a folder of their own."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def test_the_code_keeps_every_layering_contract():
    proc = lint(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert verdicts(proc.stdout) == {name: "KEPT" for name in CONTRACTS.values()}


@pytest.mark.parametrize("module, line, broken", [
    ("segmentation/_bad.py", "import sqlalchemy\n", "pure-core"),
    ("segmentation/_bad.py", "from service import store\n", "pure-core"),
    ("explain/_bad.py", "import flask\n", "pure-core"),
    ("explain/_bad.py", "from segmentation.errors import InputError\n", "explain-leaf"),
    ("service/_bad.py", "from dashboard import ids\n", "service-no-web"),
    ("service/_bad.py", "import dash\n", "service-no-web"),
])
def test_a_forbidden_import_breaks_its_contract(copy_of_the_code, module, line, broken):
    (copy_of_the_code / module).write_text(f'"""A deliberate layering violation."""\n{line}')
    proc = lint(copy_of_the_code)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    expected = {name: "KEPT" for name in CONTRACTS.values()} | {CONTRACTS[broken]: "BROKEN"}
    assert verdicts(proc.stdout) == expected
    assert module.replace("/", ".").removesuffix(".py") in proc.stdout


def test_an_import_for_type_hints_only_is_allowed(copy_of_the_code):
    (copy_of_the_code / "explain/_hints.py").write_text(
        '"""Type hints may name the core\'s classes."""\nfrom typing import TYPE_CHECKING\n\n'
        "if TYPE_CHECKING:\n    from segmentation.result import RunResult\n")
    assert lint(copy_of_the_code).returncode == 0


def test_the_core_reads_no_environment():
    pattern = re.compile(r"\bos\.environ\b|\bgetenv\(|\bos\.putenv\(")
    readers = [str(path.relative_to(ROOT)) for package in ("segmentation", "explain")
               for path in (ROOT / package).rglob("*.py") if pattern.search(path.read_text())]
    assert readers == []
