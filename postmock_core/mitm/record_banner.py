"""What `postmock record` says once its proxy servers listen: where it records, where to point
clients, and how they trust mitmproxy's CA for HTTPS."""

from __future__ import annotations

import ipaddress
import shlex
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from mitmproxy import ctx

from postmock_core.store.workspace import Workspace

__all__ = ["CA_FILE", "RecordBanner", "is_loopback", "trust_command"]

CA_FILE = "mitmproxy-ca-cert.pem"
# How clients name a server of each mode; the others (WireGuard, DNS, ...) are a bare address.
_SCHEMES = {"regular": "http", "upstream": "http", "reverse": "http", "socks5": "socks5"}


def is_loopback(host: str) -> bool:
    """True for an address only this machine reaches (127.0.0.0/8, ::1)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def trust_command(ca: Path) -> str:
    """One shell command after which curl, Python's ssl (urllib, httpx) and requests trust `ca`."""
    path = shlex.quote(str(ca))
    return f"export SSL_CERT_FILE={path} REQUESTS_CA_BUNDLE={path} CURL_CA_BUNDLE={path}"


def _url(scheme: str, address: tuple[Any, ...]) -> str:
    host = str(address[0])
    where = f"{f'[{host}]' if ':' in host else host}:{address[1]}"
    return f"{scheme}://{where}" if scheme else where


def _usage(server: Any) -> list[str]:
    """How a client uses one running mitmproxy server (a `ServerInstance`)."""
    mode, addrs = server.mode, list(server.listen_addrs)
    if not addrs:
        return [f"postmock: {mode.description} started"]
    scheme = _SCHEMES.get(mode.type_name, "")
    lines = [f"postmock: {mode.description} at {' and '.join(_url(scheme, a) for a in addrs)}"]
    first = _url("http", addrs[0])
    if mode.type_name in ("regular", "upstream"):
        lines.append(f"    point clients at it: export HTTP_PROXY={first} HTTPS_PROXY={first}")
    elif mode.type_name == "reverse":
        lines.append(f"    call {first} (or {_url('https', addrs[0])}) in place of {mode.data}")
    elif mode.type_name == "socks5":
        lines.append(f"    point clients at it: export ALL_PROXY={_url('socks5h', addrs[0])}")
    elif mode.type_name == "wireguard" and hasattr(server, "client_conf"):
        lines.append("    WireGuard client configuration:")
        lines += [f"      {line}".rstrip() for line in (server.client_conf() or "").splitlines()]
    return lines


class RecordBanner:
    """mitmproxy addon: prints the banner when the proxy runs, and warns about open addresses."""

    def __init__(self, workspace: Workspace, say: Callable[[str], None], warn: Callable[[str], None]) -> None:
        self.workspace = workspace
        self.say = say
        self.warn = warn

    def running(self) -> None:
        opts = ctx.options
        record = f"postmock: recording into {self.workspace.history_dir}"
        if opts.postmock_record_filter:
            record += f" (only flows matching {opts.postmock_record_filter!r})"
        if not opts.postmock_record:
            record += " (paused: postmock_record=false)"
        lines = [record]
        servers = list(ctx.master.addons.get("proxyserver").servers)
        for server in servers:
            lines += _usage(server)
        ca = Path(opts.confdir).expanduser() / CA_FILE
        lines.append(f"postmock: for HTTPS, clients trust mitmproxy's CA certificate {ca}; for curl and Python:")
        lines.append(f"    {trust_command(ca)}")
        lines.append("postmock: Ctrl-C stops, stores what is left and says how many exchanges were recorded")
        for line in lines:
            self.say(line)
        self.warn_if_open(a for s in servers for a in s.listen_addrs)

    def warn_if_open(self, addresses: Iterable[tuple[Any, ...]]) -> None:
        """Warn once about each address that other machines may reach."""
        for address in dict.fromkeys(addresses):
            if not is_loopback(str(address[0])):
                self.warn(f"listening on {_url('', address)}, not only on this machine: anyone who "
                          f"reaches it can use this proxy, and what they send is recorded; "
                          f"--listen-host 127.0.0.1 keeps it local")
