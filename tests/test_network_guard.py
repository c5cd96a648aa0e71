"""The tests themselves cannot reach the network: a verifier that tried would fail here."""

import socket
import urllib.request

import pytest

from conftest import run_subprocess


def test_refuses_outbound_connection_in_process() -> None:
    with pytest.raises(RuntimeError, match="network"):
        socket.create_connection(("93.184.215.14", 443), timeout=1)


def test_refuses_name_lookup_in_process() -> None:
    with pytest.raises(Exception, match="reach the network"):
        urllib.request.urlopen("https://www.w3.org/ns/credentials/v2", timeout=1)


def test_refuses_outbound_connection_in_subprocess(tmp_path) -> None:
    import subprocess
    import sys
    from conftest import NETGUARD_DIR
    import os

    code = "import socket; socket.create_connection(('93.184.215.14', 443), timeout=1)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(NETGUARD_DIR)))
    assert proc.returncode != 0 and "tried to reach the network" in proc.stderr or "network connection" in proc.stderr


def test_loopback_stays_allowed() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    client = socket.create_connection(server.getsockname(), timeout=1)
    client.close()
    server.close()
