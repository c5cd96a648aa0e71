"""The tests themselves cannot reach the network: a verifier that tried would fail here."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request

import pytest
from conftest import NETGUARD_DIR
from netguard import NetworkBlocked


def test_refuses_outbound_connection_in_process() -> None:
    # create_connection resolves first, so the name lookup is what is refused.
    with pytest.raises(NetworkBlocked, match="resolving the host name '93.184.215.14'"):
        socket.create_connection(("93.184.215.14", 443), timeout=1)


def test_refuses_raw_connect_in_process() -> None:
    with socket.socket() as sock, pytest.raises(NetworkBlocked, match="open a network connection to \\('93.184.215.14', 443\\)"):
        sock.connect(("93.184.215.14", 443))


def test_refuses_name_lookup_in_process() -> None:
    with pytest.raises(NetworkBlocked, match="resolving the host name 'www.w3.org'"):
        urllib.request.urlopen("https://www.w3.org/ns/credentials/v2", timeout=1)


def test_refuses_outbound_connection_in_subprocess() -> None:
    code = "import socket; socket.create_connection(('93.184.215.14', 443), timeout=1)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                          env=dict(os.environ, PYTHONPATH=str(NETGUARD_DIR)), timeout=60)
    assert proc.returncode != 0
    assert "NetworkBlocked: test tried to reach the network: resolving the host name '93.184.215.14'" in proc.stderr


def test_loopback_stays_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=1) as client:
            client.sendall(b"ping")
            accepted, _ = server.accept()
            with accepted:
                assert accepted.recv(4) == b"ping"
