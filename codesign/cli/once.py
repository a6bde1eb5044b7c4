"""Commands whose options take one value each: an option given twice is refused, not its first value dropped.

click keeps the last of ``--part xcvu9p --part xcu250`` silently; a setting the user gave is applied or refused, so
a second value of an option that takes one is a usage error (exit 2) naming the option and both values. Flags
(``--force --force``) and options meant to repeat (``multiple=True``) are left alone.
"""

from __future__ import annotations

from collections import Counter

import click


def _values(option: click.Option, args: list[str]) -> list[str]:
    """The values given to ``option`` in ``args`` (``--opt VALUE`` and ``--opt=VALUE``), in order."""
    out, i = [], 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            break
        for name in option.opts:
            if arg == name and i + 1 < len(args):
                out.append(args[i + 1])
                i += 1
            elif arg.startswith(name + "="):
                out.append(arg[len(name) + 1 :])
        i += 1
    return out


def _is_path(option: click.Option) -> bool:
    """An option naming a file or folder (``--out``, ``--junit``, ``--records``)."""
    return isinstance(option.type, click.Path) or option.name == "out"


def _refuse_option_as_value(command: click.Command, ctx: click.Context, opts: dict, order: list) -> None:
    """Refuse a value that is another option (``--out --part xcvu9p`` made a folder named '--part'), or a path that
    starts with '-' (written ./-name when meant)."""
    names = {name for p in command.get_params(ctx) for name in (*p.opts, *p.secondary_opts)}
    for option in dict.fromkeys(order):
        if not isinstance(option, click.Option) or option.is_flag or option.count:
            continue
        given = opts.get(option.name)
        for value in given if isinstance(given, (list, tuple)) else [given]:
            if not isinstance(value, str) or not value.startswith("-"):
                continue
            if value in names or _is_path(option):
                path = f"; a path that starts with '-' is written ./{value}" if _is_path(option) else ""
                raise click.UsageError(f"option {option.opts[0]} got {value!r} as its value, which looks like an option"
                                       f" (starts with '-'): was the value left out? (accepted: {option.opts[0]} "
                                       f"followed by its value{path})", ctx)  # fmt: skip


class OnceCommand(click.Command):
    """A command refusing a one-value option given more than once, or given another option as its value."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Parse as click does, after refusing an option that takes one value and was given twice."""
        if not ctx.resilient_parsing:
            opts, _, order = self.make_parser(ctx).parse_args(args=list(args))
            _refuse_option_as_value(self, ctx, opts, order)
            counts = Counter(p for p in order if isinstance(p, click.Option) and not (p.multiple or p.count
                                                                                    or p.is_flag))  # fmt: skip
            for option, n in counts.items():
                if n > 1:
                    given = ", then ".join(repr(v) for v in _values(option, list(args))) or f"{n} times"
                    raise click.UsageError(f"option {option.opts[0]} given {n} times ({given}): it takes one value "
                                           "and only one could be applied (accepted: the option once)", ctx)  # fmt: skip
        return super().parse_args(ctx, args)


class OnceGroup(click.Group):
    """A group whose commands (and sub-groups) are :class:`OnceCommand`\\s."""

    command_class = OnceCommand
    group_class = type  # sub-groups are OnceGroups too
