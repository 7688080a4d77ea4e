"""`flask --help`: every command and group says what it does, in English (for operators)."""
import re

import click

# Words that only French help would use: a cheap guard against a help line written in French.
FRENCH = re.compile(r"[éèêàùç’]|\b(des|les|du|une|fichiers?|courriels|brouillons|référentiel)\b", re.I)


def test_every_command_group_has_an_english_help_line(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["--help"])
    assert result.exit_code == 0, result.output
    listed = dict(re.findall(r"^  (\S+)\s+(.*)$", result.output.split("Commands:")[1], re.M))
    for name in ("communes", "outbox", "drafts", "components", "db", "demo", "backup", "create-db"):
        assert listed.get(name), f"flask {name}: no help line"
        assert not FRENCH.search(listed[name]), f"flask {name}: {listed[name]!r}"
    for name, command in app.cli.commands.items():
        if isinstance(command, click.Group):
            assert command.help and not FRENCH.search(command.help), name
            for sub_name, sub in command.commands.items():
                text = sub.help or sub.short_help or ""
                assert text.strip(), f"flask {name} {sub_name}: no help"
                if name != "db":  # Flask-Migrate's own, already English
                    assert not FRENCH.search(text), f"flask {name} {sub_name}: {text!r}"
                    for param in sub.params:
                        assert not FRENCH.search(getattr(param, "help", None) or ""), (name, sub_name, param.name)


def test_the_readme_lists_every_command(app):
    from pathlib import Path
    readme = (Path(app.root_path) / "README.md").read_text(encoding="utf-8")
    for name, command in app.cli.commands.items():
        if name in ("run", "shell", "routes"):  # Flask's own
            continue
        if isinstance(command, click.Group) and name != "db":
            for sub_name in command.commands:
                assert f"flask {name} {sub_name}" in readme, f"flask {name} {sub_name}"
        else:
            assert f"flask {name}" in readme, name
