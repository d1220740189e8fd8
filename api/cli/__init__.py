"""The ``c360`` command line. ``main`` turns every expected failure into one line + exit code."""

from __future__ import annotations

import os
import sys

import typer

from graph.errors import C360Error

try:  # Typer >= 0.22 vendors Click; older releases use the click package.
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - depends on the installed Typer
    from click import exceptions as click_exceptions  # type: ignore[no-redef]


def main(argv: list[str] | None = None) -> None:
    """Entry point: exit 0 ok, 1 a job failed, 2 bad input or set-up; no traceback unless --debug."""
    from api.cli.app import app

    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("C360_DEBUG") == "1"
    args = [a for a in args if a != "--debug"]
    try:
        result = app(args=args, prog_name="c360", standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("c360: aborted", file=sys.stderr)
        sys.exit(130)
    except click_exceptions.UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            sys.exit(2)  # the help text was printed
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        print(f"c360: {exc.format_message()}{hint}", file=sys.stderr)
        sys.exit(2)
    except C360Error as exc:
        if debug:
            raise
        print(f"c360: {exc.message}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("c360: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(result if isinstance(result, int) else 0)
