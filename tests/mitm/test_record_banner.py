"""What `postmock record` tells the user: open addresses warned about, the CA trust command."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from postmock_core.mitm.record_banner import RecordBanner, is_loopback, trust_command
from postmock_core.store.workspace import Workspace


@pytest.mark.parametrize("host, local", [
    ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("", False), ("192.168.1.20", False), ("example.com", False),
])
def test_only_loopback_counts_as_local(host: str, local: bool) -> None:
    assert is_loopback(host) is local


def test_every_address_reachable_from_elsewhere_is_warned_about_once(workspace: Workspace) -> None:
    warnings: list[str] = []
    banner = RecordBanner(workspace, say=lambda _: None, warn=warnings.append)
    banner.warn_if_open([("127.0.0.1", 8080), ("0.0.0.0", 8080), ("::", 8080), ("0.0.0.0", 8080)])
    assert [w.split(",")[0] for w in warnings] == ["listening on 0.0.0.0:8080",
                                                   "listening on [::]:8080"]
    assert all("--listen-host 127.0.0.1" in w for w in warnings)


def test_the_trust_command_sets_each_variable_in_one_shell_command(tmp_path: Path) -> None:
    ca = tmp_path / "a folder with 'quotes'" / "mitmproxy-ca-cert.pem"
    script = f"{trust_command(ca)}; echo \"$SSL_CERT_FILE|$REQUESTS_CA_BUNDLE|$CURL_CA_BUNDLE\""
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True, timeout=30)
    assert out.stdout.strip() == "|".join([str(ca)] * 3)
    assert trust_command(ca).count(shlex.quote(str(ca))) == 3
