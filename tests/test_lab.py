"""JupyterLab starts headless on a free local port and lists the analysis notebooks."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from toolkit.notebooks import NOTEBOOK_DIR, NOTEBOOKS

READY_TIMEOUT = 60  # seconds for the server to answer


def _free_port() -> int:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]
    except OSError as exc:  # an environment without local sockets: nothing to test here
        pytest.skip(f"cannot bind a local TCP port for jupyter lab ({exc})")


def _get(url: str, token: str) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read().decode("utf-8"))


def _tail(log) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-3000:]


def test_jupyter_lab_lists_the_notebooks(tmp_path):
    if importlib.util.find_spec("jupyterlab") is None:
        pytest.skip("jupyterlab is not installed in this environment (pip install jupyterlab)")
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    # keep the server's runtime files, settings and workspaces out of the user's home
    env.update(
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
    )
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port_retries=0", f"--ServerApp.token={token}", f"--ServerApp.root_dir={NOTEBOOK_DIR}",
        "--ServerApp.open_browser=False", "--LabApp.news_url=None",  # as make lab: no network
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers often run as root; Lab refuses unless told
        command.append("--ServerApp.allow_root=True")
    log = tmp_path / "lab.log"
    url = f"http://127.0.0.1:{port}/api/contents"
    with log.open("wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
        try:
            listing, started = None, time.monotonic()
            while listing is None:
                if server.poll() is not None:
                    pytest.fail(f"jupyter lab exited with code {server.returncode}:\n{_tail(log)}")
                if time.monotonic() - started > READY_TIMEOUT:
                    pytest.fail(f"jupyter lab did not answer within {READY_TIMEOUT} s:\n{_tail(log)}")
                with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError):
                    listing = _get(url, token)
                time.sleep(0.25 if listing is None else 0)
            print(f"\njupyter lab answered after {time.monotonic() - started:.1f} s")
            found = {item["name"]: item["type"] for item in listing["content"]}
            for stem in NOTEBOOKS:
                assert found.get(f"{stem}.ipynb") == "notebook", (stem, sorted(found))
            first = _get(f"{url}/{NOTEBOOKS[0]}.ipynb", token)
            assert first["type"] == "notebook" and first["content"]["cells"]
            with pytest.raises(urllib.error.HTTPError, match="403"):
                _get(url, "wrong-token")
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
    assert server.returncode is not None
