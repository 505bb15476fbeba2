"""The README documents every setting and command, and CI runs the README's test command."""
from dataclasses import fields
from pathlib import Path

from mapservice.cli import main
from mapservice.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    for f in fields(Settings):
        assert f"MAPSERVICE_{f.name.upper()}" in README


def test_every_command_is_documented():
    for name in main.commands:
        assert f"mapservice {name}" in README


def test_ci_runs_the_readme_test_command():
    commands = [line.strip() for line in README.splitlines()[:12] if line.startswith("    ")]
    assert commands[0] == "pip install . && mapservice serve"
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
