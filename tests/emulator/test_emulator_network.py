"""Network shaping of the emulator (a distant service), observed through its counters."""

from __future__ import annotations

import argparse

import pytest
import requests

from hexoframe.emulator import DEMO_USERS
from hexoframe.emulator.cli import banner, build_parser, byte_rate, byte_size, duration
from hexoframe.emulator.server import Emulator

ME = (DEMO_USERS["athlete"]["email"], DEMO_USERS["athlete"]["password"])
HR = "data/?datatype=19&record=37700"


def test_shaped_request_is_held_back_by_latency_and_link(hexoskin_emulator_factory):
    emu = hexoskin_emulator_factory(latency=0.05, bandwidth=2_000_000)
    r = requests.get(emu.api_url + HR, auth=ME, timeout=30)
    assert r.status_code == 200
    s = emu.network_stats
    assert s["requests"] == 1
    assert s["peak_concurrency"] == 1
    # what went on the wire: the status line and headers plus exactly the body
    head = len(b"HTTP/1.1 200 OK\r\n") + sum(len(f"{k}: {v}\r\n") for k, v in r.raw.headers.items())
    assert s["bytes"] == head + 2 + len(r.content)
    assert s["delay"] == pytest.approx(0.05 + s["bytes"] / 2_000_000)
    assert (s["latency"], s["bandwidth"]) == (0.05, 2_000_000.0)


def test_unshaped_emulator_adds_nothing_but_counts(hexoskin_emulator_factory):
    emu = hexoskin_emulator_factory()
    for _ in range(3):
        assert requests.get(emu.api_url + "record/", auth=ME, timeout=30).status_code == 200
    s = emu.network_stats
    assert (s["requests"], s["delay"], s["latency"], s["bandwidth"]) == (3, 0.0, 0.0, None)
    emu.reset_stats()
    assert emu.network_stats["requests"] == emu.network_stats["bytes"] == 0


def test_link_is_shared_in_order(hexoskin_emulator_factory):
    """Each chunk books the link after the previous one: delay is the sum of all bytes."""
    emu = hexoskin_emulator_factory(bandwidth=10_000_000)
    sizes = []
    for _ in range(2):
        r = requests.get(emu.api_url + HR, auth=ME, timeout=30)
        sizes.append(len(r.content))
    s = emu.network_stats
    assert s["requests"] == 2
    assert s["bytes"] > sum(sizes)
    assert s["delay"] == pytest.approx(s["bytes"] / 10_000_000)


@pytest.mark.parametrize(
    ("kwargs", "word"), [({"latency": -0.1}, "latency"), ({"bandwidth": 0}, "bandwidth")]
)
def test_bad_shaping_refused(kwargs, word):
    with pytest.raises(ValueError, match=word):
        Emulator(**kwargs)


@pytest.mark.parametrize(
    ("text", "seconds"), [("80ms", 0.08), ("0.08", 0.08), ("2s", 2.0), ("1500us", 0.0015)]
)
def test_duration(text, seconds):
    assert duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "rate"),
    [("20MB/s", 20e6), ("20000000", 20e6), ("512KiB/s", 524288.0), ("1.5mb", 1.5e6)],
)
def test_byte_rate(text, rate):
    assert byte_rate(text) == pytest.approx(rate)


@pytest.mark.parametrize("text", ["fast", "-5", "0", "20 parsecs", "MB/s"])
def test_byte_rate_refuses(text):
    with pytest.raises(argparse.ArgumentTypeError, match="bandwidth"):
        byte_rate(text)


def test_cli_options_reach_the_emulator(capsys):
    args = build_parser().parse_args(["--latency", "80ms", "--bandwidth", "20MB/s"])
    assert (args.latency, args.bandwidth) == (0.08, 20e6)
    assert build_parser().parse_args(["--latency", "0.2"]).latency == 0.2
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["--latency", "soon"])
    assert exc.value.code == 2
    assert "is not a duration" in capsys.readouterr().err
    text = banner(Emulator(latency=args.latency, bandwidth=args.bandwidth))
    assert "Network shaping: 80 ms per request, link 20 MB/s shared" in text
    assert "Network shaping" not in banner(Emulator())


@pytest.mark.parametrize(("text", "size"), [("1GB", 10**9), ("512MiB", 512 * 2**20), ("4e6", 4e6)])
def test_byte_size(text, size):
    assert byte_size(text) == size


@pytest.mark.parametrize("text", ["big", "0", "-1MB", "20MB/s"])
def test_byte_size_refuses(text):
    with pytest.raises(argparse.ArgumentTypeError, match="is not a size"):
        byte_size(text)


def test_answer_cache_bound(hexoskin_emulator_factory):
    """Answers beyond ``answer_cache`` bytes are dropped oldest first; the CLI sets it."""
    assert build_parser().parse_args(["--answer-cache", "1GB"]).answer_cache == 10**9
    assert build_parser().parse_args([]).answer_cache == 128_000_000

    def cached(emu, start):  # an hour of ECG as JSON (~1.1 MB), asked for twice
        url = f"{emu.url}/api/v1/data/?datatype=4113&record=37700&start={start}"
        return "X-HexoCache" in requests.get(url, auth=ME, timeout=30).headers

    small = hexoskin_emulator_factory(answer_cache=1_500_000)
    big = hexoskin_emulator_factory()
    for emu, kept in ((small, False), (big, True)):
        first = 438_926_745_856
        assert not cached(emu, first) and cached(emu, first)
        assert not cached(emu, first + 256)  # a second answer evicts the first in 1.5 MB
        assert cached(emu, first) is kept
