"""Running mitmproxy in-process with the recorder, for `postmock record`.

The proxy is the one `mitmdump -s "$(postmock addon record)"` runs (the same addons, any
mitmproxy mode and option), listening on 127.0.0.1 unless told otherwise. `RecordBanner`
says where it listens and how clients trust its CA once the servers are up.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mitmproxy import exceptions, options
from mitmproxy.addons import errorcheck
from mitmproxy.proxy import mode_specs
from mitmproxy.tools.dump import DumpMaster

from postmock_core.errors import PostmockError
from postmock_core.mitm.addons import record_addons
from postmock_core.mitm.filterexpr import compile_filter
from postmock_core.mitm.options import HOME_OPTION
from postmock_core.mitm.record_banner import RecordBanner
from postmock_core.store.workspace import Workspace

__all__ = ["RecordSettings", "check_modes", "run_record_proxy"]


@dataclass(frozen=True)
class RecordSettings:
    """What `postmock record` was asked for: mitmproxy modes, address, filter, raw options."""

    modes: tuple[str, ...] = ("regular",)
    listen_host: str = "127.0.0.1"
    port: int | None = None
    filter: str | None = None
    sets: tuple[str, ...] = ()


def check_modes(modes: Sequence[str]) -> None:
    """Raise `PostmockError` naming the first mode spec mitmproxy cannot parse."""
    for spec in modes:
        try:
            mode_specs.ProxyMode.parse(spec)
        except ValueError as e:
            raise PostmockError(f"--mode {spec!r}: {e}; `postmock record --help` lists the modes") from None


class QuietErrorCheck(errorcheck.ErrorCheck):
    """Exit when startup logged an error, as mitmdump does, without a line of its own: the
    errors were already printed, and `postmock: error: ...` is the last word."""

    name = "errorcheck"

    async def shutdown_if_errored(self) -> None:
        await asyncio.sleep(0)  # let pending log records arrive first, as the original does
        if self.logger.has_errored:
            sys.exit(1)


def _apply(opts: options.Options, settings: RecordSettings, ws: Workspace) -> None:
    check_modes(settings.modes)
    if settings.filter:
        compile_filter(settings.filter)  # a bad expression is one line here, not a log at startup
    for spec in settings.sets:
        if spec.partition("=")[0].strip() == HOME_OPTION:
            raise PostmockError(f"--set {spec!r}: choose the workspace with --home DIR instead")
    try:
        opts.update(mode=list(settings.modes), listen_host=settings.listen_host,
                    postmock_home=str(ws.root), postmock_record_filter=settings.filter or None)
        if settings.port is not None:
            opts.update(listen_port=settings.port)
    except exceptions.OptionsError as e:
        raise PostmockError(str(e)) from None
    for spec in settings.sets:
        try:
            opts.set(spec)
        except exceptions.OptionsError as e:
            raise PostmockError(f"--set {spec!r}: {str(e).rstrip('.')}; `mitmdump --options` lists "
                                f"mitmproxy's options") from None
    _check_ports(opts)


def _check_ports(opts: options.Options) -> None:
    """Refuse a TCP port already taken, in one line, before mitmproxy starts."""
    for spec in opts.mode:
        mode = mode_specs.ProxyMode.parse(spec)
        host, port = mode.listen_host(opts.listen_host), mode.listen_port(opts.listen_port)
        if not port or mode.transport_protocol == "udp":
            continue
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as mitmproxy binds
            try:
                s.bind((host, port))
            except OSError as e:
                raise PostmockError(f"cannot listen on {host or '*'}:{port} ({e.strerror}); another proxy "
                                    f"may be running there: choose another port with --port N") from None


async def run_record_proxy(ws: Workspace, settings: RecordSettings,
                           say: Callable[[str], None], warn: Callable[[str], None]) -> int:
    """Record through mitmproxy until SIGINT/SIGTERM; return 0, or 1 when it could not start.

    `say` gets the banner, `warn` the warnings about it. On the way out the recorder hands
    everything to its writer and waits until it is stored.
    """
    opts = options.Options()
    # with_termlog=False: mitmproxy's warnings and errors reach the CLI's own log handler.
    master = DumpMaster(opts, with_termlog=False, with_dumper=True)
    default_check = master.addons.get("errorcheck")
    default_check.finish()
    master.addons.remove(default_check)
    master.addons.add(QuietErrorCheck(), *record_addons(), RecordBanner(ws, say, warn))
    _apply(opts, settings, ws)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, master.shutdown)
    try:
        await master.run()
    except SystemExit as e:  # the error check stops startup this way
        return int(e.code or 1)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return 0
