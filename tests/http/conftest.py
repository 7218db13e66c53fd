"""Fixtures shared by the HTTP tests of the Civic Plan API.

The harness (tools/test.sh) starts the server and a throwaway PostgreSQL
cluster before running pytest, and sets:

  CIVIC_BASE_URL          the server (default http://127.0.0.1:8899)
  CIVIC_SERVER_LOG        the server's combined stdout/stderr log
  CIVIC_PG_DIR, CIVIC_PG_PORT
                          the throwaway cluster (tools/pg.sh crash|start)
  CIVIC_CORS_TEST_ORIGIN  an origin the server is configured to allow
  CIVIC_SERVER_PID        the Kore parent (server.py finds its workers)

and these change how the suite runs:

  CIVIC_TEST_SHUFFLE      a seed: run the modules, and the tests inside each,
                          in an order shuffled with it (printed in the header
                          and before the summary)
  CIVIC_TEST_WAIT_S       how long a wait polls before it fails (30 s)

Every request has a timeout, every loop in the tests is bounded in count and
in time, and every wait polls up to one limit (waiting.py). Tests only talk to
the loopback server, and depend on no other test having run before them.
After each module, the server must still have the workers it had, and its
log no sign of a dead worker or a sanitizer report (server.py).
"""

import json
import os
import random
import socket
import time
import urllib.parse

import pytest
import requests
from requests.structures import CaseInsensitiveDict

import partners as p
import server
import waiting

BASE_URL = os.environ.get("CIVIC_BASE_URL", "http://127.0.0.1:8899").rstrip("/")
CORS_ORIGIN = os.environ.get("CIVIC_CORS_TEST_ORIGIN", "http://allowed.test")
TIMEOUT = waiting.WAIT_LIMIT_S  # no request waits longer for its answer
SHUFFLE = os.environ.get("CIVIC_TEST_SHUFFLE", "")

PROBLEM_TITLES = {
    "not-found": "Not Found",
    "method-not-allowed": "Method Not Allowed",
    "invalid-parameter": "Invalid Parameter",
    "not-acceptable": "Not Acceptable",
    "service-unavailable": "Service Unavailable",
    "too-many-requests": "Too Many Requests",
    "internal-error": "Internal Server Error",
}


def pytest_report_header(config):
    if SHUFFLE:
        return "shuffled: CIVIC_TEST_SHUFFLE=%s" % SHUFFLE
    return None


def pytest_terminal_summary(terminalreporter):
    """The seed again (pytest -q prints no header), before the summary."""
    if SHUFFLE:
        terminalreporter.write_line("shuffled: CIVIC_TEST_SHUFFLE=%s" % SHUFFLE)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "last: run after every other test (a test that leaves the "
        "published data heavy: every later change reloads it in each worker)")


def pytest_collection_modifyitems(session, config, items):
    """With CIVIC_TEST_SHUFFLE, a shuffled order: the modules in a random
    order, and the tests of each module in a random order (each module's
    tests stay together, so that its module-scoped fixtures are set up
    once). The same seed gives the same order. In either order, the tests
    marked last go after all the others."""
    if SHUFFLE:
        _shuffle(items)
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)


def _shuffle(items):
    rng = random.Random(SHUFFLE)
    modules = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::")[0], []).append(item)
    names = sorted(modules)
    rng.shuffle(names)
    items[:] = []
    for name in names:
        tests = modules[name]
        rng.shuffle(tests)
        items.extend(tests)


@pytest.fixture(scope="module", autouse=True)
def server_stays_healthy():
    """After every module: the server has the workers it had before it (a
    worker that died was restarted under another pid), and its log gained
    no sign of a dead worker or of a sanitizer report."""
    before = server.worker_pids() if server.SERVER_PID else None
    yield
    trouble = server.new_log_trouble() if server.LOG else []
    if before is not None and server.worker_pids() != before:
        trouble.append("workers %s became %s" % (sorted(before), sorted(server.worker_pids())))
    assert not trouble, "the server after this module:\n" + "\n".join(trouble[:20])


def pytest_sessionfinish(session, exitstatus):
    """What the log gained after the last module's check."""
    if not server.LOG or not os.path.isfile(server.LOG):
        return
    trouble = server.new_log_trouble()
    if trouble:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        reporter.write_line("server log, after the last module: FAILED", red=True)
        for line in trouble[:20]:
            reporter.write_line("  " + line)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


class RawResponse:
    """A response read off a raw socket (for requests http.client would refuse
    or rewrite). `status_code` is None when the server closed the connection
    without answering."""

    def __init__(self, status_code, reason, headers, content, header_list):
        self.status_code = status_code
        self.reason = reason
        self.headers = headers
        self.header_list = header_list
        self.content = content

    def json(self):
        return json.loads(self.content.decode("utf-8"))

    def __repr__(self):
        return "<RawResponse %s %r>" % (self.status_code, self.content[:200])


def _parse_raw(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep or not head:
        return RawResponse(None, "", CaseInsensitiveDict(), data, [])
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None
    reason = parts[2] if len(parts) == 3 else ""
    headers = CaseInsensitiveDict()
    header_list = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name, value = name.strip(), value.strip()
        header_list.append((name, value))
        if name in headers:
            headers[name] = headers[name] + ", " + value
        else:
            headers[name] = value
    return RawResponse(status, reason, headers, body, header_list)


class Api:
    """A small client for the server under test."""

    def __init__(self, base_url):
        self.base_url = base_url
        parsed = urllib.parse.urlsplit(base_url)
        self.host = parsed.hostname
        self.port = parsed.port or 80
        self.session = requests.Session()

    def url(self, path):
        return self.base_url + path

    def request(self, method, path, fresh=False, **kwargs):
        """One request; fresh=True uses a new connection (Connection: close)."""
        kwargs.setdefault("timeout", TIMEOUT)
        kwargs.setdefault("allow_redirects", False)
        if fresh:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("Connection", "close")
            with requests.Session() as s:
                return s.request(method, self.url(path), headers=headers, **kwargs)
        return self.session.request(method, self.url(path), **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def head(self, path, **kwargs):
        return self.request("HEAD", path, **kwargs)

    def options(self, path, **kwargs):
        return self.request("OPTIONS", path, **kwargs)

    def raw(self, method, target, headers=(), timeout=TIMEOUT):
        """Send one request with exactly this target (str or bytes) on a new
        connection, with Connection: close, and read until the server closes
        it. Fails the test if that takes longer than `timeout` seconds."""
        if isinstance(target, str):
            target = target.encode("utf-8")
        lines = [method.encode("ascii") + b" " + target + b" HTTP/1.1",
                 ("Host: %s:%d" % (self.host, self.port)).encode("ascii"),
                 b"Connection: close"]
        for name, value in headers:
            lines.append(("%s: %s" % (name, value)).encode("latin-1"))
        data = b"\r\n".join(lines) + b"\r\n\r\n"
        deadline = time.monotonic() + timeout
        chunks = []

        def late():
            pytest.fail("no complete answer within %.1f s to %s %r; got so far: %r"
                        % (timeout, method, target[:120], b"".join(chunks)[:500]))

        with socket.create_connection((self.host, self.port), timeout=timeout) as s:
            s.sendall(data)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    late()
                s.settimeout(left)
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    late()
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
        return _parse_raw(b"".join(chunks))


@pytest.fixture(scope="session")
def api():
    client = Api(BASE_URL)
    yield client
    client.session.close()


@pytest.fixture(scope="session")
def cors_origin():
    return CORS_ORIGIN


def media_type(response):
    """(type/subtype lowercased, {param: value}) of the Content-Type."""
    value = response.headers.get("Content-Type", "")
    parts = [p.strip() for p in value.split(";")]
    params = {}
    for p in parts[1:]:
        name, _, v = p.partition("=")
        params[name.strip().lower()] = v.strip().strip('"').lower()
    return parts[0].lower(), params


def header_tokens(response, name):
    """The comma-separated values of a header, as a list (case kept)."""
    value = response.headers.get(name)
    if value is None:
        return []
    return [t.strip() for t in value.split(",") if t.strip()]


def assert_json(response):
    mtype, params = media_type(response)
    assert mtype == "application/json", response.headers.get("Content-Type")
    assert params.get("charset", "utf-8") == "utf-8", response.headers.get("Content-Type")
    return response.json()


def assert_problem(response, status, slug, instance=None):
    """Assert an RFC 9457 problem document as SPEC.md describes it and return
    its body. `instance` is the request path (without the query)."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    mtype, params = media_type(response)
    assert mtype == "application/problem+json", response.headers.get("Content-Type")
    assert params.get("charset", "utf-8") == "utf-8", response.headers.get("Content-Type")
    body = response.json()
    assert body["type"] == "/problems/" + slug, body
    assert body["title"] == PROBLEM_TITLES[slug], body
    assert body["status"] == status, body
    assert isinstance(body["detail"], str) and body["detail"].strip(), body
    if instance is not None:
        assert body["instance"] == instance, body
    else:
        # The request target: a path, or "*" (asterisk-form, RFC 9112 3.2.4).
        assert isinstance(body["instance"], str) and (
            body["instance"].startswith("/") or body["instance"] == "*"), body
    assert body["request_id"] == response.headers.get("X-Request-Id"), (
        body, response.headers.get("X-Request-Id"))
    assert response.headers.get("Cache-Control") == "no-store", response.headers
    return body


def assert_invalid_parameter(response, parameter, instance):
    """A 400 invalid-parameter problem that names `parameter` in errors[]."""
    body = assert_problem(response, 400, "invalid-parameter", instance)
    errors = body.get("errors")
    assert isinstance(errors, list) and errors, body
    for e in errors:
        assert isinstance(e.get("detail"), str) and e["detail"].strip(), body
    assert parameter in [e.get("parameter") for e in errors], body
    return body


@pytest.fixture(scope="session")
def problem():
    """assert_problem as a fixture, for the test modules."""
    return assert_problem


@pytest.fixture(scope="session")
def invalid_parameter():
    return assert_invalid_parameter


@pytest.fixture(scope="session")
def json_body():
    return assert_json


@pytest.fixture(scope="session")
def tokens():
    return header_tokens


@pytest.fixture(scope="session")
def mtype():
    return media_type


@pytest.fixture
def survey():
    """A new open survey of the seed plan, made over the API: its id."""
    return p.make_survey()["id"]


@pytest.fixture
def partner():
    """A new partner key, made over the API."""
    return p.create_key()
