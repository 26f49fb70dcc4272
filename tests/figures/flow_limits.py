#!/usr/bin/env python3
"""Figures for the flow hardening: reference amplification and deep values.

Starts the fake Asana and `cardhost serve` (both on loopback), then:

1. amplification: saves a flow of Custom API Action whose body holds 1,000
   references to `$.input` (256 when the host refuses 1,000, its limit) and
   runs it with a 200 kB input; prints the save status, the run's answer
   size, the host's peak RSS (VmHWM) and how much the data dir grew;
2. depth: saves a flow whose body wraps `$.input` in 40 levels, runs it with
   an input 120 levels deep, lists the flow's runs, restarts the host and
   prints whether and how fast it became ready again.

Usage (debug or release binaries of any commit):

    cargo build -p cardhost -p cardhost-tests --bin cardhost --bin fake-asana
    python3 tests/figures/flow_limits.py target/debug/cardhost target/debug/fake-asana

Only the Python standard library is used; nothing leaves 127.0.0.1.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

FAKE = "127.0.0.1:17080"
HOST = "127.0.0.1:18080"
KEY = "figures-api-key-0123456789abcdef0123456789"
PAT = "2/1200000000000101/1200000000000901:8c3f1e0d6b2a4f7e9d5c1b3a7f0e2d4c"


def call(method, path, body=None, timeout=120):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://{HOST}{path}", data=data, method=method)
    req.add_header("authorization", f"Bearer {KEY}")
    if data is not None:
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_ready(proc, seconds=60):
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if proc.poll() is not None:
            return None
        try:
            with urllib.request.urlopen(f"http://{HOST}/healthz", timeout=1) as r:
                if r.status == 200:
                    return time.monotonic() - start
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.05)
    return None


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total


def nest(levels, inner):
    for _ in range(levels):
        inner = {"a": inner}
    return inner


def flow(body):
    return {
        "name": "figures",
        "steps": [{"id": "send", "card": "asana.custom-api-action", "connection": "team",
                   "input": {"method": "POST", "relative_url": "/tasks", "body": body}}],
    }


def main():
    cardhost, fake_bin = sys.argv[1], sys.argv[2]
    data = tempfile.mkdtemp(prefix="cardhost-figures-")
    os.chmod(data, 0o700)
    env = dict(os.environ)
    env.update({
        "CARDHOST_DATA_DIR": data, "CARDHOST_LISTEN": HOST, "CARDHOST_API_KEY": KEY,
        "CARDHOST_LOG": "warn",
        "ASANA_API_BASE_URL": f"http://{FAKE}/api/1.0",
        "ASANA_AUTHORIZATION_URL": f"http://{FAKE}/-/oauth_authorize",
        "ASANA_TOKEN_URL": f"http://{FAKE}/-/oauth_token",
        "ASANA_REVOKE_URL": f"http://{FAKE}/-/oauth_revoke",
    })
    fake = subprocess.Popen([fake_bin, "--listen", FAKE], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    host = subprocess.Popen([cardhost, "serve"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        if wait_ready(host) is None:
            sys.exit("the host did not start")
        status, body = call("POST", "/api/v1/connections",
                            {"connector": "asana", "nickname": "team", "access_token": PAT})
        assert status == 201, body

        refs = {f"k{i}": "$.input" for i in range(1000)}
        save_status, body = call("POST", "/api/v1/flows", flow(refs))
        print(f"amplification: save with 1000 references -> {save_status}")
        if save_status != 201:
            refs = {f"k{i}": "$.input" for i in range(256)}
            save_status, body = call("POST", "/api/v1/flows", flow(refs))
            print(f"amplification: save with 256 references -> {save_status}")
        flow_id = json.loads(body)["id"]
        before = dir_bytes(data)
        started = time.monotonic()
        status, answer = call("POST", f"/api/v1/flows/{flow_id}/runs",
                              {"input": {"blob": "x" * 200_000}})
        took = time.monotonic() - started
        print(f"amplification: run -> {status}, answer {len(answer) / 1e6:.2f} MB in {took:.2f} s, "
              f"host peak RSS {peak_rss_mb(host.pid):.0f} MB, data dir +{(dir_bytes(data) - before) / 1e6:.1f} MB")

        status, body = call("POST", "/api/v1/flows", flow(nest(40, "$.input")))
        deep_id = json.loads(body)["id"]
        status, answer = call("POST", f"/api/v1/flows/{deep_id}/runs", {"input": nest(120, 1)})
        print(f"depth: run with a 120-level input -> {status}")
        status, _ = call("GET", f"/api/v1/flows/{deep_id}/runs")
        print(f"depth: list the flow's runs -> {status}")
        host.send_signal(signal.SIGTERM)
        host.wait(timeout=30)
        host = subprocess.Popen([cardhost, "serve"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        ready = wait_ready(host)
        if ready is None:
            err = host.stderr.read().decode(errors="replace").strip().splitlines()
            print(f"depth: restart -> exited {host.poll()}: {err[-1] if err else ''}")
        else:
            print(f"depth: restart -> ready in {ready * 1000:.0f} ms")
    finally:
        for p in (host, fake):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()


if __name__ == "__main__":
    main()
