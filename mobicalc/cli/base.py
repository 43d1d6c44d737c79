"""What every command shares beyond its options: writing the output, exit codes, Ctrl-C, errors.

A failed write never exits 0; a ``MobicalcError`` from the library becomes a
usage error (exit 2) in one line; Ctrl-C is one line and exit 130.
"""

import atexit
import codecs
import contextlib
import gc
import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from typing import Any, NoReturn

import click

from mobicalc.cli.exits import Exit
from mobicalc.errors import MissingDependency, MobicalcError, OutputError, Refused
from mobicalc.render import render_chunks
from mobicalc.render.target import detect
from mobicalc.views.model import Report


def write(output: str | Iterable[str]) -> None:
    """Write the whole output to stdout, piece by piece as it is made (``render_chunks``), or end
    with the exit code for what went wrong.

    A reader that went away (``| head -1``) ends the run quietly, mid-stream too; a closed or
    full stdout is said on stderr. A failed write never exits 0. The pieces are made outside the
    handling of write errors: a fault in making them is never taken for a failed write.
    """
    stream = sys.stdout
    with _write_errors():
        if stream is None:  # started with stdout closed (>&-)
            raise OSError("standard output is closed")
        descriptor = _descriptor(stream)
        if descriptor is not None:
            stream.flush()
            encoder = codecs.getincrementalencoder(stream.encoding)(stream.errors or "strict")
    for text in (output,) if isinstance(output, str) else output:
        with _write_errors():
            if descriptor is None:  # not a file (a test's capture)
                stream.write(text)
            else:
                _write_all(descriptor, encoder.encode(text))
    with _write_errors():
        if descriptor is None:
            stream.flush()
        else:
            _write_all(descriptor, encoder.encode("", final=True))


@contextlib.contextmanager
def _write_errors() -> Iterator[None]:
    """A broken pipe exits 141; any other failed write (a closed or full stdout) 74, said on stderr."""
    try:
        yield
    except BrokenPipeError:
        drop_stdout()
        raise SystemExit(Exit.BROKEN_PIPE) from None
    except (OSError, ValueError) as error:  # ValueError: a stream closed under us
        drop_stdout()
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        click.echo(f"mobicalc: cannot write the output: {reason}", err=True)
        raise SystemExit(Exit.OUTPUT_ERROR) from None


def _descriptor(stream: Any) -> int | None:
    try:
        return int(stream.fileno())
    except (OSError, ValueError, AttributeError):  # io.UnsupportedOperation is both
        return None


def _write_all(descriptor: int, data: bytes) -> None:
    """Every byte, or an error: a pipe whose reader goes away mid-write takes part of a large write
    without an error, which Python's buffered streams then lose; the next write raises it."""
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def drop_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so that no flush at exit fails again or complains."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass


def emit(report: Report, output_format: str, wide: bool) -> None:
    """Render a command's report for stdout and write it; Rich is loaded only for a capable terminal."""
    stream = sys.stdout
    if stream is not None and hasattr(stream, "reconfigure"):
        # A character the terminal's encoding lacks (in a table's name) is escaped, not fatal.
        with contextlib.suppress(ValueError, OSError):
            stream.reconfigure(errors="backslashreplace")
    write(
        render_chunks(
            report, output_format, detect(stream, wide) if stream is not None else detect(sys.stderr, wide)
        )
    )


def _show_help(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """--help, written as every output is: a closed, full or broken stdout gets its exit code."""
    if value and not ctx.resilient_parsing:
        write(ctx.get_help() + "\n")
        ctx.exit()


def show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        from importlib.metadata import version

        write(f"mobicalc, version {version('mobicalc')}\n")
        ctx.exit()


class MissingDependencyError(click.ClickException):
    """An optional dependency is missing or broken: one line, "Error: ...", no usage text."""

    exit_code = Exit.MISSING_DEPENDENCY


class OutputFailed(click.ClickException):
    """A file could not be written (a full device): exit 74, in one line."""

    exit_code = Exit.OUTPUT_ERROR


class RefusedError(click.ClickException):
    """A request refused as a whole (a model TensorFlow cannot build or count): exit 2, in one line."""

    exit_code = Exit.USAGE


def usage_error(error: MobicalcError, ctx: click.Context) -> click.ClickException:
    """The library's error as Click's: a usage error (exit 2) naming the option it concerns, or exit 3
    for a missing dependency."""
    from mobicalc.count.network import VariantError
    from mobicalc.errors import NetworkError
    from mobicalc.model.architecture import ArchitectureError

    if isinstance(error, MissingDependency):
        return MissingDependencyError(str(error))
    if isinstance(error, VariantError):
        return click.UsageError(f"--minimalistic: {error}", ctx)
    if isinstance(error, ArchitectureError):
        return click.BadParameter(str(error), ctx, param_hint="'--arch'")
    arch = ctx.params.get("arch")
    if isinstance(error, NetworkError) and arch:
        return click.UsageError(f"{arch}: {error}", ctx)
    if isinstance(error, Refused):
        return RefusedError(str(error))
    if isinstance(error, OutputError):
        return OutputFailed(str(error))
    return click.UsageError(str(error), ctx)


class WritingCommand(click.Command):
    """A command whose --help goes through ``write`` (Click's own echo would leave a traceback), and
    whose ``MobicalcError`` is a usage error (exit 2), or exit 3 for a missing dependency."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.callback = _show_help
        return option

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MobicalcError as error:
            raise usage_error(error, ctx) from None


def command(**settings: Any) -> Callable[[Callable[..., Any]], click.Command]:
    """A command of mobicalc's group (``@click.command`` with ``WritingCommand``)."""
    return click.command(cls=WritingCommand, **settings)


class LazyCommands(MutableMapping[str, click.Command]):
    """A group's commands by name, each imported from its module when first asked for: a command
    loads only its own code (``mobicalc --help`` loads them all, for their short help)."""

    def __init__(self, where: Mapping[str, str]) -> None:
        self.where = dict(where)
        """Each command's ``module:attribute``."""
        self.loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self.loaded:
            module, _, attribute = self.where[name].partition(":")
            self.loaded[name] = getattr(importlib.import_module(module), attribute)
        return self.loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self.where.setdefault(name, "")
        self.loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self.where[name]
        self.loaded.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self.where)

    def __len__(self) -> int:
        return len(self.where)


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while a sweep makes its million records, which hold no cycles:
    Python would otherwise scan them again and again (a third of a large sweep's time). As it was
    afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextlib.contextmanager
def unlimited_digits() -> Iterator[None]:
    """Counts are exact ints of any size: printing one of over 4,300 digits (Python's guard for
    parsing untrusted text) must not crash. Lifted while a command runs, then as it was."""
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(limit)


class InterruptibleGroup(WritingCommand, click.Group):
    """Ctrl-C in any command: one line on stderr and exit 130, not Click's "Aborted!" and exit 1.

    Its commands, like itself, write their --help through ``write``.
    """

    command_class = WritingCommand

    def invoke(self, ctx: click.Context) -> Any:
        with unlimited_digits():
            return self._invoke(ctx)

    def _invoke(self, ctx: click.Context) -> Any:
        signalled = []

        def on_sigint(signum: int, frame: Any) -> None:
            signalled.append(signum)
            raise KeyboardInterrupt

        main_thread = threading.current_thread() is threading.main_thread()
        ours = main_thread and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        previous = signal.signal(signal.SIGINT, on_sigint) if ours else None
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            interrupted(hard=bool(signalled))
        finally:
            if previous is not None and not signalled:
                signal.signal(signal.SIGINT, previous)


def interrupted(hard: bool = False) -> NoReturn:
    """Report an interrupt (on a fresh line after a terminal's ^C) and exit with Exit.INTERRUPTED.

    After a real SIGINT (``hard``), a further Ctrl-C is ignored, so shutting down
    prints no traceback, and an exit hook makes the code stick: an extension
    module (TensorFlow's) that saw the KeyboardInterrupt can leave CPython
    believing it went unhandled, and CPython then ends by killing itself with
    SIGINT instead of exiting 130.
    """
    click.echo("\ninterrupted" if sys.stderr.isatty() else "interrupted", err=True)
    if hard:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        atexit.register(_exit_now, Exit.INTERRUPTED)  # runs first: atexit hooks run last in, first out
    raise SystemExit(Exit.INTERRUPTED)


def _exit_now(code: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
