"""Shell completion: the scripts `cskg completion bash|zsh|fish` print, run in the real shells.

What a script should offer is read from cskg itself (its commands, each command's options and
choices, the query library), never written out here.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REAL_ROOT

from cskg.cli import COMMANDS, build_parser, main
from cskg.query.library import load_library
from cskg.query.results import RESULT_FORMATS

#: the `cskg` the scripts call back for query names: this environment's
CSKG = str(Path(sys.executable).with_name("cskg"))


def script(shell: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["completion", shell]) == 0
    return capsys.readouterr().out


def names(prefix: str, root: Path = REAL_ROOT) -> list[str]:
    return sorted(q.name for q in load_library(root / "queries") if q.name.startswith(prefix))


def options(command: str) -> list[str]:
    parser = build_parser(command)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return [
        flag
        for action in sub.choices[command]._actions
        if action.help is not argparse.SUPPRESS
        for flag in action.option_strings
    ]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CSKG_ROOT", "CSKG_DIST")}
    env["PATH"] = f"{Path(CSKG).parent}{os.pathsep}{env.get('PATH', '')}"
    env["LC_ALL"] = "C"  # `sort` in the order Python sorts
    return env


def run_shell(argv: list[str], cwd: Path = REAL_ROOT) -> str:
    """What a shell (`argv`: the shell and its script) prints, run where cskg is on PATH; it
    must succeed and print nothing on stderr."""
    done = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, env=_env(), timeout=120)
    assert done.returncode == 0 and not done.stderr, done.stderr
    return done.stdout


def bash_complete(text: str, *lines: list[str], cwd: Path = REAL_ROOT) -> list[list[str]]:
    """What bash offers for each command line (its words, the last one being completed), as
    bash's programmable completion calls the function `complete -F` names."""
    calls = "\n".join(
        "COMP_WORDS=({}); COMP_CWORD={}; COMPREPLY=(); $function; "
        "printf '%s\\n' \"${{COMPREPLY[@]}}\" | sort; echo ---".format(
            " ".join(f"'{word}'" for word in words), len(words) - 1
        )
        for words in lines
    )
    program = f"{text}\nfunction=$(complete -p cskg | sed -E 's/.*-F ([^ ]+).*/\\1/')\n{calls}\n"
    output = run_shell(["bash", "--norc", "--noprofile", "-c", program], cwd)
    answers = output.split("---\n")[:-1]
    return [[word for word in answer.splitlines() if word] for answer in answers]


def test_bash_completes_commands_options_choices_and_query_names(capsys, tmp_path):
    text = script("bash", capsys)
    commands = [each.name for each in COMMANDS]
    offered = bash_complete(
        text,
        ["cskg", "qu"],
        ["cskg", "query", "serv"],
        ["cskg", "query", ""],
        ["cskg", "build", "--"],
        ["cskg", "query", "--format", "t"],
        ["cskg", "--root", str(REAL_ROOT), "queries", "ca"],
        ["cskg", ""],
    )
    assert offered[0] == ["queries", "query"] == sorted(c for c in commands if c.startswith("qu"))
    assert offered[1] == names("serv") and "services-gap" in offered[1]
    assert offered[2] == names("") and len(offered[2]) > 20
    assert offered[3] == sorted(o for o in options("build") if o.startswith("--"))
    assert offered[4] == sorted(f for f in RESULT_FORMATS if f.startswith("t"))
    assert offered[5] == names("ca")
    assert offered[6] == sorted(commands) and "completion" in offered[6]


def test_bash_asks_for_the_names_each_time(capsys, tmp_path):
    """A query added after the script was made is offered, from the line's --root."""
    text = script("bash", capsys)
    (tmp_path / "queries").mkdir()
    line = ["cskg", "--root", str(tmp_path), "query", "zz"]
    assert bash_complete(text, line) == [[]]
    (tmp_path / "queries" / "zz-new-question.rq").write_text(
        "# title: new\n# question: new?\nSELECT * WHERE { ?s ?p ?o } LIMIT 1\n", encoding="utf-8"
    )
    assert bash_complete(text, line) == [["zz-new-question"]] == [names("zz", tmp_path)]
    # a value that is a file (here --out's) is left to bash's file names
    assert bash_complete(text, ["cskg", "build", "--out", ""]) == [[]]


def test_the_hidden_names_option_lists_the_library(capsys):
    assert main(["--root", str(REAL_ROOT), "queries", "--names"]) == 0
    assert capsys.readouterr().out.split() == [q.name for q in load_library(REAL_ROOT / "queries")]
    with pytest.raises(SystemExit):
        main(["queries", "--help"])
    assert "--names" not in capsys.readouterr().out  # hidden: for the scripts only


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completes_commands_and_query_names(capsys, tmp_path):
    path = tmp_path / "cskg.fish"
    path.write_text(script("fish", capsys), encoding="utf-8")

    def complete(line: str) -> list[str]:
        output = run_shell(["fish", "--no-config", "-c", f"source {path}; complete -C {line!r}"])
        return sorted(row.split("\t")[0] for row in output.splitlines())

    assert complete("cskg qu") == ["queries", "query"]
    assert complete("cskg query serv") == names("serv")
    assert complete(f"cskg --root {REAL_ROOT} query ca") == names("ca")
    assert complete("cskg query --format t") == sorted(f for f in RESULT_FORMATS if f[0] == "t")
    assert "--reference" in complete("cskg build --")


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_runs_the_completion_through_its_bash_emulation(capsys, tmp_path):
    """zsh's completion system loads the script; its function gives the words, which zsh then
    matches against what is typed (zsh filters by the prefix itself)."""
    path = tmp_path / "cskg.zsh"
    path.write_text(script("zsh", capsys), encoding="utf-8")
    program = (
        f"autoload -U compinit && compinit -u -D; source {path}; setopt ksharrays; "
        "for line in 'cskg qu' 'cskg query serv'; do COMP_WORDS=(${=line}); "
        "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); _cskg; "
        "print -l -- ${(M)COMPREPLY[@]:#${COMP_WORDS[COMP_CWORD]}*}; print -- ---; done"
    )
    output = run_shell(["zsh", "-f", "-c", program])
    first, second = (sorted(a.split()) for a in output.split("---\n")[:2])
    assert first == ["queries", "query"]
    assert second == names("serv")
    assert "complete -o default -F _cskg cskg" in path.read_text(encoding="utf-8")


def test_a_wrong_shell_is_a_one_line_error():
    done = subprocess.run(
        [CSKG, "completion", "tcsh"], capture_output=True, text=True, timeout=60, env=_env()
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "invalid choice: 'tcsh'" in done.stderr
