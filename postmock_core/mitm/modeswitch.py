"""The addon that lets `postmock mode record|mock` switch a running recording proxy.

It publishes the proxy's mode in the workspace and applies each new switch request by setting
postmock_mode (and postmock_mock) exactly as mitmproxy's own `set` command would, so a bad
request is refused by the same checks and the proxy keeps its mode. See `mock.proxycontrol`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Any

from mitmproxy import ctx, exceptions

from postmock_core.errors import PostmockError
from postmock_core.mitm.options import add_home_option
from postmock_core.mock import proxycontrol
from postmock_core.store.watch import file_signature
from postmock_core.store.workspace import Workspace

__all__ = ["POLL_INTERVAL", "ModeSwitch"]

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.25  # seconds between looks at the switch request: one stat, off the hot path
_WATCHED = {"postmock_home", "postmock_mode", "postmock_mock", "mode", "listen_host", "listen_port"}


class ModeSwitch:
    """mitmproxy addon: publish this proxy's mode; apply `postmock mode` requests."""

    def __init__(self) -> None:
        self.ws: Workspace | None = None
        self.answered = 0
        self.error: str | None = None
        self.is_running = False
        self._sig: Any = None
        self._task: asyncio.Task[None] | None = None

    def load(self, loader: Any) -> None:
        add_home_option(loader)

    def configure(self, updated: set[str]) -> None:
        if "postmock_home" in updated:
            old = self.ws
            try:
                self.ws = Workspace.open(ctx.options.postmock_home or None)
            except PostmockError:
                return  # the recorder reports a bad postmock_home
            if old is not None and old.root != self.ws.root and self.is_running:
                proxycontrol.unpublish(old, os.getpid())
                self._skip_old_requests()
        if self.is_running and updated & _WATCHED:
            self._publish()

    def running(self) -> None:
        self.is_running = True
        self._skip_old_requests()
        self._publish()
        self._task = asyncio.get_running_loop().create_task(self._watch())

    def done(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self.ws is not None and self.is_running:
            with contextlib.suppress(OSError, PostmockError):
                proxycontrol.unpublish(self.ws, os.getpid())

    # -- internals ------------------------------------------------------------------------------
    def _skip_old_requests(self) -> None:
        # A request written before this proxy started was meant for others.
        assert self.ws is not None
        last = proxycontrol.read_request(self.ws)
        self.answered = last.seq if last else 0
        self._sig = file_signature(self.ws.root / "proxies" / "switch.json")

    def _publish(self) -> None:
        if self.ws is None:
            return
        opts = ctx.options
        port = opts.listen_port or 8080
        status = proxycontrol.ProxyStatus(
            pid=os.getpid(), mode=opts.postmock_mode, mock=opts.postmock_mock, answered=self.answered,
            error=self.error, listen=[f"{spec} at {opts.listen_host or '*'}:{port}" for spec in opts.mode])
        try:
            proxycontrol.publish(self.ws, status)
        except (OSError, PostmockError) as e:
            log.warning("postmock: cannot publish this proxy's mode for `postmock mode`: %s", e)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(POLL_INTERVAL)
            try:
                self._check()
            except Exception:  # the watcher must outlive any bad request file
                log.exception("postmock: could not apply a `postmock mode` request")

    def _check(self) -> None:
        assert self.ws is not None
        sig = file_signature(self.ws.root / "proxies" / "switch.json")
        if sig == self._sig:
            return
        self._sig = sig
        request = proxycontrol.read_request(self.ws)
        if request is None or request.seq <= self.answered:
            return
        changes = {"postmock_mode": request.mode}
        if request.mock is not None:
            changes["postmock_mock"] = request.mock
        try:
            ctx.options.update(**changes)
            self.error = None
        except exceptions.OptionsError as e:
            self.error = str(e)
            log.warning("postmock: `postmock mode %s` refused: %s", request.mode, e)
        self.answered = request.seq
        self._publish()
