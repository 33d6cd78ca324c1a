"""The apps depend one way (docs/adr/0010-app-layers.md): import-linter's contracts hold, and a
merge still reaches the schools feed's rows without the register importing it."""

import subprocess
import sys
from pathlib import Path

from registry.models import Child, ChildAccessLog
from registry.services.children import _linked_models

ROOT = Path(__file__).resolve().parent.parent


def test_import_linter_contracts_hold_so_the_register_never_imports_the_schools_feed():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


def test_no_module_of_the_register_names_the_schools_feed_in_an_import():
    offending = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "registry").rglob("*.py")
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if line.lstrip().startswith(("from schools_feed", "import schools_feed"))
    ]
    assert offending == []


def test_a_merge_moves_the_schools_feed_rows_but_never_the_access_log():
    labels = {model._meta.label for model in _linked_models()}

    assert {"schools_feed.Notification", "schools_feed.NotificationEvent"} <= labels
    assert "schools_feed.DestinationCheck" in labels
    assert ChildAccessLog._meta.label not in labels
    assert not any(label.startswith("registry.Historical") for label in labels)
    assert all(model._meta.get_field("child").related_model is Child for model in _linked_models())


def test_no_module_imports_the_project_inside_a_function_to_dodge_a_cycle():
    # An app's ready() is where Django lets an app reach its models and the apps below it.
    inside_functions = [
        f"{path.relative_to(ROOT)}:{number}"
        for package in ("registry", "schools_feed", "ehe_register")
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and path.name != "apps.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if line.startswith((" ", "\t"))
        and line.lstrip().startswith(
            ("from registry", "from schools_feed", "from ehe_register", "import registry")
        )
    ]
    assert inside_functions == []
