"""The README, examples/README.md and docs/ as a newcomer follows them, literally.

Every `workforce COMMAND --option` they show must be a command with that option (a newcomer
copies it and gets "No such option" otherwise), every link and repository path must lead to a
file, every "see *Section* below/above" to a section that exists on that side, every
`workforce.module.name` they cite must import from there, every `name.py` docs/architecture.md
places in a package must be in it, examples/workforce.toml must hold every key with its default,
and the Python examples must run. No command is run: the commands are read from the typer app
itself, so the checks take seconds and fail as soon as an option is renamed without its
documentation.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import re
from pathlib import Path

import pytest
import typer.main

from workforce.cli import app
from workforce.demo.cli import main as demo_main

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = [REPO / "README.md", REPO / "examples" / "README.md", *sorted((REPO / "docs").glob("*.md"))]

_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
_OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")


def _name(path: Path) -> str:
    return str(path.relative_to(REPO))


def cli_options() -> dict[str, set[str]]:
    """Each command's path (`allocate`, `churn train`) and the options its --help lists."""
    commands: dict[str, set[str]] = {}

    def walk(command, path: str) -> None:
        for name, sub in (getattr(command, "commands", None) or {}).items():
            walk(sub, f"{path} {name}".strip())
        if not getattr(command, "commands", None):
            commands[path] = {opt for p in command.params for opt in (*getattr(p, "opts", []),
                                                                          *getattr(p, "secondary_opts", []))}

    walk(typer.main.get_command(app), "")
    return commands


def demo_generator_options() -> set[str]:
    """The options of `python -m workforce.demo`, read from its own --help."""
    text = io.StringIO()
    with contextlib.redirect_stdout(text), pytest.raises(SystemExit):
        demo_main(["--help"])
    return set(_OPTION.findall(text.getvalue()))


def shown_code(text: str) -> list[str]:
    """The code a document shows: each line of a fenced block (continuations joined, comments
    cut) and each inline code span (which may wrap a line)."""
    snippets = []
    for block in _FENCE.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            snippets.append(re.split(r"\s#\s", line)[0])
    for span in re.findall(r"`([^`]+)`", _FENCE.sub("", text)):
        snippets.append(" ".join(span.split()))
    return snippets


def shown_commands(text: str, commands: dict[str, set[str]]) -> list[tuple[str, str, list[str]]]:
    """(snippet, command, options) for every `workforce COMMAND ...` the text shows."""
    groups = {path.split()[0] for path in commands if " " in path}
    found = []
    for snippet in shown_code(text):
        for match in re.finditer(r"(?<![\w./-])workforce ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?(.*)", snippet):
            first, second, rest = match.groups()
            if first in groups and second:
                command = f"{first} {second}"
            else:
                command = first
                rest = f" {second or ''}{rest}"
            found.append((snippet, command, _OPTION.findall(rest)))
    return found


@pytest.mark.parametrize("document", DOCUMENTS, ids=_name)
def test_every_command_shown_exists_with_the_options_it_names(document):
    commands = cli_options()
    demo = demo_generator_options()
    wrong = []
    text = document.read_text()
    shown = shown_commands(text, commands)
    for snippet, command, options in shown:
        if command not in commands:
            # a group alone (`workforce churn`, `workforce census`) names its commands in prose
            if not any(path.startswith(f"{command} ") for path in commands):
                wrong.append(f"{snippet!r}: no command 'workforce {command}'")
            continue
        wrong += [f"{snippet!r}: 'workforce {command}' has no option {option}"
                  for option in options if option not in commands[command]]
    for snippet in shown_code(text):
        for match in re.finditer(r"python -m workforce\.demo\b(.*)", snippet):
            wrong += [f"{snippet!r}: 'python -m workforce.demo' has no option {option}"
                      for option in _OPTION.findall(match.group(1)) if option not in demo]
    assert not wrong, "\n".join(wrong)


def test_the_readme_shows_every_command():
    """The Commands table is the newcomer's map: every command of the app appears in it."""
    text = (REPO / "README.md").read_text()
    commands = cli_options()
    shown = {command for _, command, _ in shown_commands(text, commands)}
    for group, names in re.findall(r"`workforce ([a-z]+) ([a-z-]+(?: / [a-z-]+)+)`", text):  # `churn train / score`
        shown |= {f"{group} {name}" for name in names.split(" / ")}
    missing = sorted(path for path in commands if path not in shown)
    assert not missing, f"commands the README never shows: {missing}"


def test_the_checks_catch_a_renamed_option():
    """The parser above finds options and commands in prose as written, wrapped spans included."""
    commands = cli_options()
    text = ("Run `workforce allocate --workers W\n--no-such-option` or\n"
            "```\nworkforce churn train --history H  # --not-this\n```")
    shown = [(command, options) for _, command, options in shown_commands(text, commands)]
    assert shown == [("churn train", ["--history"]), ("allocate", ["--workers", "--no-such-option"])]
    assert "--no-such-option" not in commands["allocate"]


def _headings(lines: list[str]) -> list[tuple[int, str]]:
    return [(i, re.sub(r"^#+\s*", "", line).strip()) for i, line in enumerate(lines) if line.startswith("#")]


def _lead_ins(lines: list[str]) -> list[tuple[int, str]]:
    """Bold lead-ins (`* **Allocation** (...)`), which the README refers to like sections."""
    return [(i, bold.rstrip(".")) for i, line in enumerate(lines) for bold in re.findall(r"\*\*([^*]+)\*\*", line)]


@pytest.mark.parametrize("document", DOCUMENTS, ids=_name)
def test_section_references_lead_to_a_section_on_the_side_they_say(document):
    text = document.read_text()
    lines = text.splitlines()
    headings, lead_ins = _headings(lines), _lead_ins(lines)
    wrong = []
    for match in re.finditer(r"\b(?:see|See|under)\s+\*([^*]+)\*(\s+(?:below|above))?", text):
        name, side = " ".join(match.group(1).split()), (match.group(2) or "").strip()
        line = text.count("\n", 0, match.start())
        targets = ([i for i, h in headings if h == name or h.startswith(f"{name}:") or h.startswith(f"{name} ")]
                   or [i for i, b in lead_ins if b == name])
        if not targets:
            wrong.append(f"line {line + 1}: *{name}* is no section or lead-in")
        elif side == "below" and not any(i > line for i in targets):
            wrong.append(f"line {line + 1}: *{name}* is above, not below (line {targets[0] + 1})")
        elif side == "above" and not any(i < line for i in targets):
            wrong.append(f"line {line + 1}: *{name}* is below, not above (line {targets[0] + 1})")
    assert not wrong, f"{_name(document)}:\n" + "\n".join(wrong)


def _slug(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


@pytest.mark.parametrize("document", DOCUMENTS, ids=_name)
def test_links_lead_to_files_and_anchors_that_exist(document):
    wrong = []
    for target in re.findall(r"\]\(([^)\s]+)\)", document.read_text()):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        file = (document.parent / path).resolve() if path else document
        if not file.exists():
            wrong.append(f"{target}: no such file")
        elif anchor and anchor not in {_slug(h) for _, h in _headings(file.read_text().splitlines())}:
            wrong.append(f"{target}: no such heading")
    assert not wrong, f"{_name(document)}:\n" + "\n".join(wrong)


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        try:
            for part in parts[cut:]:
                obj = getattr(obj, part)
        except AttributeError:
            return False
        return True
    return False


@pytest.mark.parametrize("document", DOCUMENTS, ids=_name)
def test_python_names_cited_import_from_where_they_say(document):
    cited = set(re.findall(r"`(workforce(?:\.[A-Za-z_]\w*)+)", document.read_text()))
    files = {name for name in cited if re.search(r"\.(toml|py|md|csv|json|xlsx)$", name)}
    wrong = sorted(name for name in cited - files if not _resolves(name))
    assert not wrong, f"{_name(document)} cites names that do not import: {wrong}"


def test_architecture_places_each_file_in_its_package():
    """docs/architecture.md's module table names a package's files (`model.py (train, ...)`):
    each must be there, so a reader looking for the code finds it."""
    text = (REPO / "docs" / "architecture.md").read_text()
    wrong = []
    for module, row in re.findall(r"^\| `(workforce\.[\w.]+)` \| (.*) \|$", text, re.M):
        package = REPO / module.replace(".", "/")
        if not package.is_dir():
            continue
        for file in set(re.findall(r"(?<![\w/])([a-z_]+\.py)\b", row)):
            if not (package / file).is_file():
                wrong.append(f"{module}: {file}")
    assert not wrong, f"files docs/architecture.md places where they are not: {wrong}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=_name)
def test_repository_paths_named_exist(document):
    """A path a document names in code (`benchmarks/census_bench.py`, `workforce/data/dfe/`) is one a
    reader can open."""
    named = set(re.findall(r"`((?:workforce|benchmarks|tools|docs|examples|tests)/[\w./-]*)`", document.read_text()))
    missing = sorted(path for path in named if not (REPO / path).exists())
    assert not missing, f"{_name(document)} names paths that do not exist: {missing}"


def test_every_command_that_writes_takes_force():
    """The README: 'every command that writes takes --force'. A command writes when it has an
    output option (--out, --report, --problems)."""
    lacking = [path for path, options in cli_options().items()
               if options & {"--out", "--report", "--problems"} and "--force" not in options]
    assert not lacking, f"commands that write without --force: {lacking}"
    assert "--force" in demo_generator_options()


def _settings_keys(text: str) -> dict[str, object]:
    """Every key of a settings file, dotted (`plans.costs.on_cost_rate`); a `{ value = ... }` is one key."""
    import tomllib

    def flat(table: dict, prefix: str) -> dict[str, object]:
        out: dict[str, object] = {}
        for key, value in table.items():
            if isinstance(value, dict) and "value" not in value:
                out.update(flat(value, f"{prefix}{key}."))
            else:
                out[f"{prefix}{key}"] = value
        return out

    return flat(tomllib.loads(text), "")


def test_example_settings_list_every_key_with_its_default_and_range():
    """The README (Settings file): examples/workforce.toml 'lists every key with its default'. Each
    caseload, allocation and plan key the product writes is there with the default value; an
    uncertain one gives its default range, as low and high or, for a range relative to the value
    (the agency day rates), by its factor in the comments."""
    from workforce.allocation.config import AllocationConfig
    from workforce.config import allocation_settings_toml, plan_settings_toml
    from workforce.plans.assumptions import Assumptions

    text = (REPO / "examples" / "workforce.toml").read_text()
    example = _settings_keys(text)
    defaults = {**_settings_keys(plan_settings_toml(Assumptions())),
                **_settings_keys(allocation_settings_toml(AllocationConfig()))}
    value = lambda v: v.get("value") if isinstance(v, dict) else v  # noqa: E731
    assert not sorted(set(defaults) - set(example)), "keys missing from examples/workforce.toml"
    wrong = [f"{key}: {value(example[key])!r}, default {value(default)!r}"
             for key, default in defaults.items() if value(example[key]) != value(default)]
    for key, default in defaults.items():
        if not (isinstance(default, dict) and "low" in default):
            continue
        given = example[key]
        if isinstance(given, dict) and "low" in given:
            if (given["low"], given["high"]) != (default["low"], default["high"]):
                wrong.append(f"{key}: range {given['low']}-{given['high']}, default {default['low']}-{default['high']}")
        elif f"x{default['low'] / default['value']:g}" not in text:
            wrong.append(f"{key}: its range x{default['low'] / default['value']:g} to "
                         f"x{default['high'] / default['value']:g} of the value is not said")
    assert not wrong, "\n".join(wrong)


def test_python_examples_run_as_written(shared_dir):
    """Each ```python block of the documents runs as shown, with only its example folder of
    downloads ('downloads/') pointed at the public DfE files in ../shared, as a reader would point
    it at theirs."""
    blocks = [(document, block) for document in DOCUMENTS
              for block in re.findall(r"^```python\n(.*?)^```", document.read_text(), re.S | re.M)]
    assert blocks, "no Python examples found: has the fence changed?"
    for document, block in blocks:
        code = block.replace('"downloads/"', repr(str(shared_dir / "data" / "dfe")))
        exec(compile(code, f"{_name(document)} example", "exec"), {})


def test_every_command_is_listed_in_one_sentence():
    """`workforce --help` is a newcomer's first command: each command's summary (the first
    paragraph of its help) is one line, so the list does not break mid-sentence into lines of
    the docstring's own wrapping (as churn train, score, evaluate and audit, explain, plan,
    demand, benchmark and forecast did)."""
    broken = []

    def walk(command, path: str) -> None:
        summary = (command.help or "").strip().split("\n\n")[0]
        if "\n" in summary:
            broken.append(path or "workforce")
        for name, sub in (getattr(command, "commands", None) or {}).items():
            walk(sub, f"{path} {name}".strip())

    walk(typer.main.get_command(app), "")
    assert not broken, f"commands whose --help summary runs over several lines: {broken}"
