"""Issue 8 items 8 and 9: the emulator's own bad input gets clear answers, never a traceback.

- ``hexoframe emulator --port 99999`` / ``--db /nonexistent/x.db`` printed tracebacks;
- a deeply nested JSON body to POST/PUT/PATCH was a 500 (RecursionError).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests


def _run(*argv: str) -> subprocess.CompletedProcess:
    code = "import sys; from hexoframe.emulator.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "argv, status, words",
    [
        (["--port", "99999"], 2, "99999 is not a port (0 to 65535)"),
        (["--port", "-1"], 2, "-1 is not a port"),
        (["--port", "http"], 2, "'http' is not a port number"),
        (["--db", "/nonexistent/x.db"], 1, "cannot start (database '/nonexistent/x.db')"),
    ],
)
def test_bad_arguments_exit_with_one_line(argv, status, words):
    done = _run(*argv)
    assert done.returncode == status
    assert words in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
@pytest.mark.parametrize("depth", [2_000, 100_000])
def test_deeply_nested_body_is_a_400(hexoskin_emulator, method, depth, athlete_auth):
    body = "[" * depth + "]" * depth
    url = hexoskin_emulator.url + "/api/v1/range/" + ("" if method == "POST" else "58979/")
    r = requests.request(
        method,
        url,
        data=body,
        auth=athlete_auth,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert r.status_code == 400
    assert "nested too deeply" in r.text or "JSON object" in r.text
