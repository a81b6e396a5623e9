"""`cskg completion bash|zsh|fish`: a shell completion script, made from cskg's own parser.

The script knows the commands, their options and the choices of each option as the parser
declares them when it is printed (so `eval "$(cskg completion bash)"` in a shell's start-up
file keeps it current); a library query's name (an argument whose metavar is `QUERY_NAME`) is
asked of cskg when completed (`cskg queries --names`, with the line's `--root` and `--dist`),
so a new query is offered at once. Any other value completes as a file name.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from cskg.cli.options import Command

SHELLS = ("bash", "zsh", "fish")


@dataclass
class Words:
    """What completes on a command line after a command (or before one, for cskg itself): its
    options, each option's values (its choices; `[QUERY_NAME]` for query names; None for a
    file), what its arguments are (the same), and for cskg itself the commands' help."""

    options: list[str] = field(default_factory=list)
    values: dict[str, list[str] | None] = field(default_factory=dict)
    arguments: list[str] | None = None
    helps: dict[str, str] = field(default_factory=dict)  # option or command -> its help


def words_of(parser: argparse.ArgumentParser) -> dict[str, Words]:
    """The words of cskg (key "") and of each of its commands (the parser made with every
    command's arguments: `cskg.cli.build_parser()`)."""
    spec = {"": Words()}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            spec[""].arguments = list(action.choices)
            spec[""].helps.update({c.dest: c.help or "" for c in action._choices_actions})
            for name, subparser in action.choices.items():
                spec[name] = Words()
                for each in subparser._actions:
                    _add(spec[name], each)
        else:
            _add(spec[""], action)
    return spec


def _add(words: Words, action: argparse.Action) -> None:
    if action.help is argparse.SUPPRESS:
        return
    values = _values(action)
    if not action.option_strings:
        words.arguments = (words.arguments or []) + values if values else words.arguments
        return
    words.options += action.option_strings
    for option in action.option_strings:
        words.helps[option] = (action.help or "").split(";")[0]
        if action.nargs != 0:
            words.values[option] = values


def _values(action: argparse.Action) -> list[str] | None:
    from cskg.cli.query import QUERY_NAME

    if action.choices:
        return [str(choice) for choice in action.choices]
    return [QUERY_NAME] if action.metavar == QUERY_NAME else None


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete in")


def completion_command(parser: Callable[[], argparse.ArgumentParser]) -> Command:
    """`cskg completion`, writing the script for what `parser()` declares (cskg's parser, with
    every command's arguments: `cskg.cli.build_parser`)."""

    def run(args: argparse.Namespace) -> int:
        write = {"bash": bash_script, "zsh": zsh_script, "fish": fish_script}[args.shell]
        sys.stdout.write(write(words_of(parser())))
        return 0

    return Command(
        "completion",
        "a shell completion script (commands, options, query names) for bash, zsh or fish",
        _arguments,
        run,
    )


# -- bash (and zsh, through its bash emulation) --------------------------------------------------

_BASH = """\
# bash completion for cskg, made by `cskg completion bash`; enable it with
#   eval "$(cskg completion bash)"    (in ~/.bashrc)
_cskg() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local command="" i
    local -a globals=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            @GLOBAL_VALUED@) globals+=("${COMP_WORDS[i]}" "${COMP_WORDS[i+1]}"); ((i++)) ;;
            -*) ;;
            *) command=${COMP_WORDS[i]}; break ;;
        esac
    done
    local options="" words=""
    case $command in
@COMMANDS@
        *) return ;;
    esac
    case "$command $prev" in
@VALUES@
    esac
    if [[ $cur == -* ]]; then
        words=$options
    elif [[ $words == @QUERY@ ]]; then
        words=$("${COMP_WORDS[0]}" "${globals[@]}" queries --names 2>/dev/null)
    fi
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _cskg cskg
"""


def bash_script(spec: dict[str, Words]) -> str:
    from cskg.cli.query import QUERY_NAME

    commands, values = [], []
    for name, words in spec.items():
        arguments = " ".join(words.arguments or [])
        commands.append(
            f'        "{name}") options={_sh(" ".join(words.options))}; words={_sh(arguments)} ;;'
        )
        for option, choices in words.values.items():
            key = f'"{name} {option}"'
            if choices is None:  # a file (bash's default, `-o default`)
                values.append(f"        {key}) return ;;")
            else:
                values.append(f"        {key}) words={_sh(' '.join(choices))}; options=$words ;;")
    global_valued = "|".join(option for option in spec[""].values if option.startswith("--"))
    return (
        _BASH.replace("@GLOBAL_VALUED@", global_valued)
        .replace("@COMMANDS@", "\n".join(commands))
        .replace("@VALUES@", "\n".join(values))
        .replace("@QUERY@", QUERY_NAME)
    )


def zsh_script(spec: dict[str, Words]) -> str:
    return (
        "# zsh completion for cskg, made by `cskg completion zsh`; enable it with\n"
        '#   eval "$(cskg completion zsh)"    (in ~/.zshrc, after compinit)\n'
        "# (zsh runs the bash completion through its bash emulation, bashcompinit)\n"
        "autoload -U +X bashcompinit && bashcompinit\n" + bash_script(spec)
    )


def _sh(text: str) -> str:
    return shlex.quote(text)


# -- fish -----------------------------------------------------------------------------------------

_FISH = """\
# fish completion for cskg, made by `cskg completion fish`; enable it with
#   cskg completion fish > ~/.config/fish/completions/cskg.fish
function __cskg_command --description 'the cskg command on the line, or nothing'
    set -l words (commandline -opc)
    set -e words[1]
    while set -q words[1]
        switch $words[1]
            case @GLOBAL_VALUED@
                set -e words[1]
            case '-*'
            case '*'
                echo $words[1]
                return 0
        end
        set -e words[1]
    end
    return 1
end
function __cskg_on --argument-names name --description 'whether the command is $name'
    set -l command (__cskg_command)
    test "$command" = "$name"
end
function __cskg_queries --description 'the names of the query library'
    set -l words (commandline -opc)
    set -l globals
    for i in (seq 2 (count $words))
        if contains -- $words[$i] @GLOBAL_VALUED@
            set -a globals $words[$i] $words[(math $i + 1)]
        end
    end
    $words[1] $globals queries --names 2>/dev/null
end
"""


def fish_script(spec: dict[str, Words]) -> str:
    from cskg.cli.query import QUERY_NAME

    lines = []
    for name, words in spec.items():
        when = f"__cskg_on {name}" if name else "not __cskg_command"
        for option in words.options:
            flag = f"-l {option[2:]}" if option.startswith("--") else f"-s {option[1:]}"
            choices = words.values.get(option, [])
            if choices is None:
                flag += " -r"  # a value: a file
            elif choices:
                values = "(__cskg_queries)" if choices == [QUERY_NAME] else " ".join(choices)
                flag += f" -x -a {_sh(values)}"
            lines.append(f"complete -c cskg -n {_sh(when)} {flag} -d {_sh(words.helps[option])}")
        if words.arguments == [QUERY_NAME]:
            lines.append(f"complete -c cskg -n {_sh(when)} -a '(__cskg_queries)'")
        elif words.arguments:
            for argument in words.arguments:
                text = words.helps.get(argument, "")
                lines.append(f"complete -c cskg -n {_sh(when)} -f -a {argument} -d {_sh(text)}")
    global_valued = " ".join(option for option in spec[""].values if option.startswith("--"))
    return _FISH.replace("@GLOBAL_VALUED@", global_valued) + "\n".join(lines) + "\n"
