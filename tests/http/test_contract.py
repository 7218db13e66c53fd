"""The OpenAPI contract (docs/openapi.json) against the linter, the routes the
server is configured with, and what the running server sends.

- the document lints clean with the pinned Redocly CLI and redocly.yaml, and with
  the pinned Spectral CLI and .spectral.yaml (the OWASP API Security ruleset);
- its paths and methods are exactly the routes of SPEC.md (issues 2 to 4)
  and of the router (src/route.c's table, every one with a handler in
  src/router.c; conf/app.conf hands every request to the router), and its
  problem types those the code sends;
- /openapi.json is docs/openapi.json byte for byte, /docs is the Swagger UI
  page that loads only same-origin assets; the document names no server
  address (`servers` is `/`), and no parameter only the server issues
  (cursor, entity tags, key and response ids) has an example or default the
  page would pre-fill (test_docs_browser.py tries the page in Chromium);
- every public GET route, OPTIONS and 405 on every path, 401 on every
  protected operation, and the error responses conform to the document:
  status documented for the operation, media type, required headers and body
  schema. With CIVIC_ADMIN_KEY (set by tools/test.sh), more answers of the
  protected routes are checked, all without changing any state.

The static tests need no server; the others use the `api` fixture (the server
at CIVIC_BASE_URL, default http://127.0.0.1:8899).
"""

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

import waiting

try:
    import jsonschema
except ImportError:  # Debian: python3-jsonschema
    jsonschema = None

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = ROOT / "docs" / "openapi.json"
INDEX_HTML = ROOT / "docs" / "index.html"
APP_CONF = ROOT / "conf" / "app.conf"
ROUTE_C = ROOT / "src" / "route.c"
ROUTER_C = ROOT / "src" / "router.c"

READ = {"get", "head", "options"}

# The routes of SPEC.md (issue 2 and the issue 3 and 4 additions), as templates,
# with the methods each serves.
SPEC_METHODS = {
    "/healthz": READ,
    "/readyz": READ,
    "/metrics": READ,
    "/openapi.json": READ,
    "/docs": READ,
    "/docs/swagger-ui.css": READ,
    "/docs/swagger-ui-bundle.js": READ,
    "/dashboard": READ,
    "/dashboard/dashboard.js": READ,
    "/dashboard/dashboard.css": READ,
    "/v1/plans": READ | {"post"},
    "/v1/plans/{plan}": READ | {"patch"},
    "/v1/plans/{plan}/goals": READ | {"post"},
    "/v1/plans/{plan}/goals/{goal}": READ | {"patch", "delete"},
    "/v1/plans/{plan}/objectives": READ | {"post"},
    "/v1/plans/{plan}/objectives/{objective}": READ | {"patch", "delete"},
    "/v1/plans/{plan}/priorities": READ,
    "/v1/plans/{plan}/priorities/{year}": READ | {"put"},
    "/v1/plans/{plan}/history": READ,
    "/v1/surveys": READ | {"post"},
    "/v1/surveys/{survey}": READ | {"patch"},
    "/v1/surveys/{survey}/responses": READ | {"post"},
    "/v1/surveys/{survey}/responses/batch": {"post", "options"},
    "/v1/surveys/{survey}/responses/export": READ,
    "/v1/surveys/{survey}/responses/{response}": READ,
    "/v1/surveys/{survey}/responses/{response}/void": {"post", "options"},
    "/v1/surveys/{survey}/tallies": READ,
    "/v1/surveys/{survey}/tallies/stream": READ,
    "/v1/keys": READ | {"post"},
    "/v1/keys/{key}": {"patch", "delete", "options"},
    "/v1/audit": READ,
    # Progress on the plan (initiatives, indicators, status rules, the roll-up, import and export).
    "/v1/plans/{plan}/indicators": READ | {"post"},
    "/v1/plans/{plan}/indicators/{indicator}": READ | {"patch"},
    "/v1/plans/{plan}/indicators/{indicator}/targets": {"post", "options"},
    "/v1/plans/{plan}/indicators/{indicator}/observations": {"post", "options"},
    "/v1/plans/{plan}/indicators/{indicator}/overrides": {"post", "options"},
    "/v1/plans/{plan}/initiatives": READ | {"post"},
    "/v1/plans/{plan}/initiatives/{initiative}": READ | {"patch"},
    "/v1/plans/{plan}/initiatives/{initiative}/updates": {"post", "options"},
    "/v1/plans/{plan}/objectives/{objective}/updates": {"post", "options"},
    "/v1/plans/{plan}/progress": READ,
    "/v1/plans/{plan}/observations": READ,
    "/v1/plans/{plan}/imports": {"post", "options"},
    "/v1/plans/{plan}/export": READ,
    "/v1/status-rules": READ,
    "/v1/status-rules/{rule}": READ,
}
SPEC_ROUTES = set(SPEC_METHODS)

# The operations that need a key (every other one needs none; the tallies take
# one optionally).
PROTECTED = {
    ("/v1/keys", "get"), ("/v1/keys", "head"), ("/v1/keys", "post"),
    ("/v1/keys/{key}", "patch"), ("/v1/keys/{key}", "delete"),
    ("/v1/surveys", "post"),
    ("/v1/surveys/{survey}", "patch"),
    ("/v1/surveys/{survey}/responses", "get"), ("/v1/surveys/{survey}/responses", "head"),
    ("/v1/surveys/{survey}/responses", "post"),
    ("/v1/surveys/{survey}/responses/batch", "post"),
    ("/v1/surveys/{survey}/responses/export", "get"),
    ("/v1/surveys/{survey}/responses/export", "head"),
    ("/v1/surveys/{survey}/responses/{response}", "get"),
    ("/v1/surveys/{survey}/responses/{response}", "head"),
    ("/v1/surveys/{survey}/responses/{response}/void", "post"),
    ("/v1/plans", "post"),
    ("/v1/plans/{plan}", "patch"),
    ("/v1/plans/{plan}/goals", "post"),
    ("/v1/plans/{plan}/goals/{goal}", "patch"), ("/v1/plans/{plan}/goals/{goal}", "delete"),
    ("/v1/plans/{plan}/objectives", "post"),
    ("/v1/plans/{plan}/objectives/{objective}", "patch"),
    ("/v1/plans/{plan}/objectives/{objective}", "delete"),
    ("/v1/plans/{plan}/priorities/{year}", "put"),
    ("/v1/audit", "get"), ("/v1/audit", "head"),
    ("/metrics", "get"), ("/metrics", "head"),
    ("/v1/plans/{plan}/indicators", "post"), ("/v1/plans/{plan}/indicators/{indicator}", "patch"),
    ("/v1/plans/{plan}/indicators/{indicator}/targets", "post"),
    ("/v1/plans/{plan}/indicators/{indicator}/observations", "post"),
    ("/v1/plans/{plan}/indicators/{indicator}/overrides", "post"),
    ("/v1/plans/{plan}/initiatives", "post"), ("/v1/plans/{plan}/initiatives/{initiative}", "patch"),
    ("/v1/plans/{plan}/initiatives/{initiative}/updates", "post"),
    ("/v1/plans/{plan}/objectives/{objective}/updates", "post"),
    ("/v1/plans/{plan}/imports", "post"),
}
# /metrics takes an admin key or the scrape token (CIVIC_METRICS_TOKEN).
METRICS_SECURITY = [{"bearerAuth": []}, {"metricsToken": []}]
OPTIONAL_KEY = {("/v1/surveys/{survey}/tallies", "get"), ("/v1/surveys/{survey}/tallies", "head"),
                ("/v1/surveys/{survey}/tallies/stream", "get"),
                ("/v1/surveys/{survey}/tallies/stream", "head")}
# The plan routes take a key optionally (an admin key shows draft plans): an
# Authorization header that is not a live key gets 401; a partner key reads
# like none, so there is no 403.
PLAN_READS = {(p, m) for p in SPEC_METHODS if p.startswith("/v1/plans") for m in ("get", "head")}

# GET routes anyone reads, with an ETag (the seed survey's results are public:
# it is closed and its results_visibility is after_close).
# The tallies' event stream never ends: test_tally_stream.py reads it.
STREAM_ROUTES = {"/v1/surveys/{survey}/tallies/stream"}
# The seed has no indicators or initiatives (no made-up measures): test_progress.py checks
# those items against the contract with its own.
NO_SEED_ITEM = {"/v1/plans/{plan}/indicators/{indicator}", "/v1/plans/{plan}/initiatives/{initiative}"}
PUBLIC_GET_ROUTES = sorted(p for p, m in SPEC_METHODS.items()
                           if "get" in m and all((p, x) not in PROTECTED for x in ("get", "head"))
                           and p not in STREAM_ROUTES and p not in NO_SEED_ITEM)
# Public reads from the database: never cached, no ETag (issue 4).
UNCACHED_PUBLIC_GET_ROUTES = {"/v1/plans/{plan}/history"}
ETAG_GET_ROUTES = [p for p in PUBLIC_GET_ROUTES if p not in UNCACHED_PUBLIC_GET_ROUTES]

# Seed ids that make every documented path concrete; the response and key ids
# name nothing.
SEED_IDS = {
    "plan": "independence-2021",
    "goal": "quality",
    "objective": "reduce-blight",
    "survey": "community-survey-2020-21",
    "response": "00000000-0000-4000-8000-000000000000",
    "key": "key_0000000000000000",
    "year": "2021",
    "indicator": "no-such-indicator",
    "initiative": "no-such-initiative",
    "rule": "ratio",
}

ADMIN_KEY = os.environ.get("CIVIC_ADMIN_KEY", "")
UNKNOWN_KEY = "cpk_" + "A" * 43
CHALLENGE = 'Bearer realm="civicplan"'
INVALID_TOKEN = 'Bearer realm="civicplan", error="invalid_token"'

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture(scope="module")
def doc():
    with OPENAPI.open(encoding="utf-8") as f:
        return json.load(f)


def template(path):
    """'/v1/plans/{plan}/goals' -> '/v1/plans/{}/goals'."""
    return re.sub(r"\{[^/{}]+\}", "{}", path)


# --------------------------------------------------------------- the linter

def test_openapi_document_lints_clean_with_redocly():
    if not (ROOT / "node_modules" / ".bin" / "redocly").exists():
        pytest.fail("node_modules/.bin/redocly is missing: run `npm ci` in the repository root")
    env = dict(os.environ, REDOCLY_TELEMETRY="off", REDOCLY_SUPPRESS_UPDATE_NOTICE="true",
               NO_COLOR="1")
    # --no: never download anything, use the pinned local devDependency.
    run = subprocess.run(
        ["npx", "--no", "redocly", "lint", "--format=json", "docs/openapi.json"],
        cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=6 * waiting.WAIT_LIMIT_S)   # a guard against a hung tool only
    assert run.returncode == 0, "redocly lint failed:\n" + run.stdout[-6000:] + run.stderr[-3000:]
    report = json.loads(run.stdout)
    problems = ["%s %s: %s" % (p.get("severity"), p.get("ruleId"), p.get("message"))
                for p in report.get("problems", [])]
    assert report["totals"] == {"errors": 0, "warnings": 0, "ignored": 0}, "\n".join(problems)


def test_openapi_document_lints_clean_with_spectral_and_the_owasp_ruleset():
    """.spectral.yaml: Spectral's OpenAPI rules and the OWASP API Security ruleset, with the rules
    that do not fit this API turned off there, each with its reason. Nothing may be reported, at
    any severity."""
    if not (ROOT / "node_modules" / ".bin" / "spectral").exists():
        pytest.fail("node_modules/.bin/spectral is missing: run `npm ci` in the repository root")
    run = subprocess.run(
        ["npx", "--no", "spectral", "lint", "--quiet", "--format=json", "--fail-severity=hint",
         "--ruleset", ".spectral.yaml", "docs/openapi.json"],
        cwd=ROOT, env=dict(os.environ, NO_COLOR="1"), capture_output=True, text=True,
        timeout=6 * waiting.WAIT_LIMIT_S)   # a guard against a hung tool only
    # The JSON array, then (without --quiet) a summary line: read the array alone.
    start, end = run.stdout.find("["), run.stdout.rfind("]")
    assert start != -1 and end > start, "spectral gave no report:\n" + run.stdout[-3000:] + run.stderr[-3000:]
    results = json.loads(run.stdout[start:end + 1])
    found = ["%s %s at %s: %s" % ({0: "error", 1: "warn", 2: "info", 3: "hint"}.get(r["severity"]), r["code"],
                                   "/".join(map(str, r["path"])), r["message"]) for r in results]
    assert not found, "%d finding(s):\n%s" % (len(found), "\n".join(found[:60]))
    assert run.returncode == 0, "spectral lint failed:\n" + run.stdout[-3000:] + run.stderr[-3000:]


# --------------------------------------------------------------- route inventory

def conf_routes(text, catch_all=False):
    """The route templates of the domain blocks of a Kore 4.1.0 config.

    Exact routes start with '/'; anything else is a regex, of which only
    `^...$` anchored paths made of literal segments and `[^/]+` are
    understood. The catch-all (`^`) is left out unless catch_all is set."""
    routes = {}
    depth = 0
    in_domain = False
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        if words[0] == "domain" and line.endswith("{"):
            in_domain, depth = True, 1
            continue
        if in_domain:
            depth += line.count("{") - line.count("}")
            if depth <= 0:
                in_domain = False
                continue
            if words[0] == "route" and len(words) >= 3:
                path = words[1]
                if path in ("^", "^/"):
                    if catch_all:
                        routes[path] = words[2]
                    continue
                if not path.startswith("/"):
                    body = path
                    assert body.startswith("^") and body.endswith("$"), (
                        "conf/app.conf:%d: regex route %r is not anchored with ^...$" % (lineno, path))
                    body = body[1:-1].replace("[^/]+", "{}")
                    assert re.fullmatch(r"(/[A-Za-z0-9._{}-]+)+", body), (
                        "conf/app.conf:%d: cannot turn %r into a path template" % (lineno, path))
                    path = body
                routes[path] = words[2]
    return routes


def test_openapi_documents_exactly_the_routes_of_the_spec(doc):
    documented = set(doc["paths"])
    assert documented == SPEC_ROUTES, (
        "undocumented: %s; documented but not in SPEC.md: %s"
        % (sorted(SPEC_ROUTES - documented), sorted(documented - SPEC_ROUTES)))


def test_every_documented_path_has_the_methods_of_the_spec(doc):
    for path, item in doc["paths"].items():
        assert set(item) & HTTP_METHODS == SPEC_METHODS[path], path


def test_protected_operations_document_bearer_auth_and_401(doc):
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["type"] == "http" and schemes["bearerAuth"]["scheme"] == "bearer"
    assert doc.get("security") == []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            where = "%s %s" % (method.upper(), path)
            if (path, method) in PROTECTED:
                assert op.get("security") == (METRICS_SECURITY if path == "/metrics"
                                              else [{"bearerAuth": []}]), where
                assert "401" in op["responses"], where
            elif (path, method) in OPTIONAL_KEY:
                assert op.get("security") == [{}, {"bearerAuth": []}], where
                assert {"401", "403"} <= set(op["responses"]), where
            elif (path, method) in PLAN_READS:
                assert op.get("security") == [{}, {"bearerAuth": []}], where
                assert "401" in op["responses"], where
            else:
                assert op.get("security", []) == [], where
                assert "401" not in op["responses"], where


def _code_problem_types():
    """(slug, status, title) of every problem: src/problem.c's table, the one
    vocabulary (SQL names problems by code; the unit test of problem.c checks
    that every code it names is in the table)."""
    found = set()
    for m in re.finditer(r'\{\s*(\d{3}),\s*"/problems/([a-z-]+)",\s*"([^"]+)"\s*\}',
                         (ROOT / "src" / "problem.c").read_text(encoding="utf-8")):
        found.add((m.group(2), int(m.group(1)), m.group(3)))
    return found


def test_openapi_document_is_what_its_generator_makes(tmp_path):
    """docs/openapi.json is edited through tools/gen-openapi.py only."""
    out = tmp_path / "openapi.json"
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "gen-openapi.py"), str(out)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert out.read_bytes() == OPENAPI.read_bytes(), (
        "docs/openapi.json differs from what tools/gen-openapi.py makes: edit the "
        "generator and run it (python3 tools/gen-openapi.py)")


# --------------------------------------------------------------- the docs page's view of it

# Parameters whose value only the server issues: a page's cursor, an entity
# tag, a key's or a response's id.  The docs page (Swagger UI) fills a
# parameter with its example or default, and a made-up one is a 400 (cursor),
# 412 (If-Match), 404 (ids) or a needless 200 for a 304 there.
SERVER_ISSUED = {("query", "cursor"), ("header", "If-Match"), ("header", "If-None-Match"),
                 ("path", "key"), ("path", "response")}


def _resolve(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        assert node["$ref"].startswith("#/"), node["$ref"]
        target = doc
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _operation_parameters(doc):
    """(where, parameter) for every parameter of every operation, resolved."""
    for path, item in doc["paths"].items():
        shared = item.get("parameters", [])
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            for p in list(shared) + list(op.get("parameters", [])):
                yield "%s %s" % (method.upper(), path), _resolve(doc, p)


def test_the_document_names_no_server_address_so_the_docs_page_calls_its_own(doc):
    assert [s["url"] for s in doc["servers"]] == ["/"], doc["servers"]
    for path, item in doc["paths"].items():
        assert "servers" not in item, path
        for method, op in item.items():
            assert not (isinstance(op, dict) and "servers" in op), (method, path)


def test_no_server_issued_parameter_carries_an_example_or_a_default(doc):
    """Swagger UI pre-fills a parameter from its examples, its example, its
    content's example, its schema's example or default, or its default."""
    seen = set()
    for where, p in _operation_parameters(doc):
        if (p["in"], p["name"]) not in SERVER_ISSUED:
            continue
        seen.add((p["in"], p["name"]))
        what = "%s: %s parameter %r" % (where, p["in"], p["name"])
        assert not {"example", "examples", "default"} & set(p), (
            "%s has an example or default: the docs page would send it" % what)
        schemas = [p.get("schema")] + [m.get("schema") for m in p.get("content", {}).values()]
        for m in p.get("content", {}).values():
            assert not {"example", "examples"} & set(m), what
        for schema in schemas:
            schema = _resolve(doc, schema)
            if schema is not None:
                assert not {"example", "examples", "default"} & set(schema), (
                    "%s: its schema has an example or default: the docs page would send it" % what)
    assert seen == SERVER_ISSUED, "not in the document any more: %s" % sorted(SERVER_ISSUED - seen)


def test_problem_types_are_the_ones_the_code_sends(doc):
    code = _code_problem_types()
    assert len(code) >= 17, code
    problem = doc["components"]["schemas"]["Problem"]
    table = set((m.group(1), int(m.group(2)), m.group(3).strip()) for m in re.finditer(
        r"^\| `/problems/([a-z-]+)` \| (\d{3}) \| ([^|]+) \|", problem["description"], re.M))
    assert table == code, "in the code only: %s; in the document only: %s" % (
        sorted(code - table), sorted(table - code))
    assert set(problem["properties"]["type"]["enum"]) == {"/problems/" + s for s, _, _ in code}
    assert set(problem["properties"]["title"]["enum"]) == {t for _, _, t in code}
    assert set(problem["properties"]["status"]["enum"]) == {st for _, st, _ in code}


def router_routes():
    """{route kind: template} of src/route.c's table."""
    return dict(re.findall(r'\{\s*(ROUTE_[A-Z_]+),\s*"(/[^"]*)"\s*\}',
                           ROUTE_C.read_text(encoding="utf-8")))


def test_conf_app_conf_hands_every_request_to_the_router():
    routes = conf_routes(APP_CONF.read_text(encoding="utf-8"), catch_all=True)
    assert routes == {"^": "router_serve"}, routes


def test_every_route_of_the_router_has_a_handler():
    kinds = set(router_routes())
    handled = set(re.findall(r"^\t\[(ROUTE_[A-Z_]+)\] =", ROUTER_C.read_text(encoding="utf-8"), re.M))
    assert kinds and kinds == handled, (sorted(kinds - handled), sorted(handled - kinds))


def test_openapi_paths_are_the_routes_of_the_router(doc):
    served = {template(t) for t in router_routes().values()}
    documented = {template(p) for p in doc["paths"]}
    assert served, "no route found in the table of src/route.c"
    assert served == documented, (
        "served but undocumented in docs/openapi.json: %s; documented but not served by "
        "src/route.c: %s" % (sorted(served - documented), sorted(documented - served)))


def test_route_parser_reads_kore_syntax():
    conf = """
load ./build/civicplan.so
domain * {
\tattach default
\troute /healthz ops_healthz   # comment
\troute ^/v1/plans/[^/]+/goals$ resource_collection
\troute ^/v1/keys/[^/]+$ keys_item
\troute ^/ app_not_found
\troute ^ app_not_found
}
"""
    assert conf_routes(conf) == {"/healthz": "ops_healthz",
                                 "/v1/plans/{}/goals": "resource_collection",
                                 "/v1/keys/{}": "keys_item"}
    assert conf_routes(conf, catch_all=True)["^"] == "app_not_found"


# --------------------------------------------------------------- the docs page (static)

class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs = []
        self.inline_scripts = []
        self.csp = None
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name in ("src", "href"):
            if a.get(name) is not None:
                self.refs.append((tag, a[name]))
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp = a.get("content")
        self._in_script = tag == "script" and "src" not in a
        if self._in_script:
            self.inline_scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.inline_scripts[-1] += data


def test_docs_page_loads_only_same_origin_assets_and_its_inline_script_is_allowed_by_its_csp():
    page = _Refs()
    page.feed(INDEX_HTML.read_text(encoding="utf-8"))
    refs = dict((v, t) for t, v in page.refs)
    assert "/docs/swagger-ui.css" in refs and "/docs/swagger-ui-bundle.js" in refs, page.refs
    for tag, value in page.refs:
        assert value.startswith("/") and not value.startswith("//") or value.startswith("data:"), (
            "outside reference in docs/index.html: <%s> %s" % (tag, value))
    script = "".join(page.inline_scripts)
    assert '"/openapi.json"' in script and "validatorUrl: null" in script, script
    assert page.csp, "docs/index.html has no Content-Security-Policy meta"
    digest = base64.b64encode(hashlib.sha256(page.inline_scripts[0].encode()).digest()).decode()
    assert len(page.inline_scripts) == 1 and ("'sha256-%s'" % digest) in page.csp, (
        "the CSP's script hash does not match the inline script: use 'sha256-%s'" % digest)


# --------------------------------------------------------------- the server

def test_openapi_json_is_served_byte_for_byte(api, doc, mtype):
    r = api.get("/openapi.json")
    assert r.status_code == 200, r.content[:300]
    assert mtype(r)[0] == "application/json", r.headers.get("Content-Type")
    assert r.json() == doc
    assert r.content == OPENAPI.read_bytes(), "served /openapi.json differs from docs/openapi.json"


def test_docs_page_is_html_that_loads_the_openapi_document(api, mtype):
    r = api.get("/docs", headers={"Accept": "text/html"})
    assert r.status_code == 200, r.content[:300]
    assert mtype(r)[0] == "text/html", r.headers.get("Content-Type")
    assert "/openapi.json" in r.text
    assert "/docs/swagger-ui-bundle.js" in r.text and "/docs/swagger-ui.css" in r.text


@pytest.mark.parametrize("path,media,package_file", [
    ("/docs/swagger-ui.css", "text/css", "swagger-ui.css"),
    ("/docs/swagger-ui-bundle.js", "text/javascript", "swagger-ui-bundle.js"),
])
def test_docs_assets_are_the_pinned_swagger_ui_files(api, mtype, path, media, package_file):
    r = api.get(path, headers={"Accept": "*/*"})
    assert r.status_code == 200, r.content[:300]
    assert mtype(r)[0] == media, r.headers.get("Content-Type")
    local = ROOT / "node_modules" / "swagger-ui-dist" / package_file
    if local.exists():
        assert r.content == local.read_bytes(), "%s is not swagger-ui-dist's %s" % (path, package_file)


# --------------------------------------------------------------- conformance

class Contract:
    """Checks one response against the operation the document gives for it."""

    def __init__(self, doc):
        self.doc = doc
        if jsonschema is not None:
            self.resolver = jsonschema.RefResolver.from_schema(doc)

    def resolve(self, node):
        while isinstance(node, dict) and "$ref" in node:
            target = self.doc
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def validate(self, instance, schema, what):
        if jsonschema is None:
            return
        validator = jsonschema.Draft202012Validator(
            schema, resolver=self.resolver,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
        assert not errors, "%s does not match its schema:\n%s" % (
            what, "\n".join("at %s: %s" % ("/".join(map(str, e.path)), e.message[:300])
                            for e in errors[:10]))

    def check(self, template_path, method, response):
        what = "%s %s -> %s" % (method.upper(), template_path, response.status_code)
        op = self.doc["paths"][template_path][method]
        documented = op["responses"]
        assert str(response.status_code) in documented, (
            "%s: status not documented (documented: %s)" % (what, sorted(documented)))
        spec = self.resolve(documented[str(response.status_code)])
        for name, header in (spec.get("headers") or {}).items():
            header = self.resolve(header)
            value = response.headers.get(name)
            if value is None:
                assert not header.get("required"), "%s: required header %s missing" % (what, name)
                continue
            schema = header["schema"]
            if schema.get("type") == "integer":
                assert re.fullmatch(r"[0-9]+", value), "%s: %s: %r" % (what, name, value)
                value = int(value)
            self.validate(value, schema, "%s header %s (%r)" % (what, name, value))
        content = spec.get("content")
        if method == "head" or response.status_code in (204, 304) or not content:
            assert response.content == b"", "%s: unexpected body" % what
            return
        media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        assert media in content, "%s: Content-Type %r not documented (%s)" % (
            what, media, sorted(content))
        if media == "application/x-ndjson":
            # One SurveyResponse a line (the only NDJSON the service sends).
            item = {"$ref": "#/components/schemas/SurveyResponse"}
            for n, line in enumerate(response.content.decode("utf-8").splitlines()):
                self.validate(json.loads(line), item, "%s line %d" % (what, n + 1))
        elif media.endswith("json"):
            self.validate(response.json(), content[media]["schema"], what + " body")


@pytest.fixture(scope="module")
def contract(doc):
    return Contract(doc)


def concrete(path, **overrides):
    ids = dict(SEED_IDS, **overrides)
    return re.sub(r"\{([^/{}]+)\}", lambda m: ids[m.group(1)], path)


def test_jsonschema_is_available():
    assert jsonschema is not None, "install python3-jsonschema: the conformance tests need it"


@pytest.mark.parametrize("path", PUBLIC_GET_ROUTES)
def test_get_and_head_of_each_public_route_conform_to_the_contract(api, contract, path):
    accept = {"/docs": "text/html", "/docs/swagger-ui.css": "text/css",
              "/docs/swagger-ui-bundle.js": "text/javascript", "/dashboard": "text/html",
              "/dashboard/dashboard.css": "text/css",
              "/dashboard/dashboard.js": "text/javascript"}.get(path, "application/json")
    r = api.get(concrete(path), headers={"Accept": accept})
    assert r.status_code == 200, r.content[:300]
    contract.check(path, "get", r)
    h = api.head(concrete(path), headers={"Accept": accept})
    contract.check(path, "head", h)
    assert h.status_code == 200 and h.headers.get("ETag") == r.headers.get("ETag")


@pytest.mark.parametrize("path", ["/v1/plans/{plan}", "/v1/plans/{plan}/goals"])
def test_current_plan_conforms_to_the_contract(api, contract, path):
    r = api.get(concrete(path, plan="current"))
    assert r.status_code == 200, r.content[:300]
    contract.check(path, "get", r)


def test_a_page_with_a_next_link_conforms_to_the_contract(api, contract):
    r = api.get(concrete("/v1/plans/{plan}/objectives"), params={"limit": "5"})
    assert r.status_code == 200, r.content[:300]
    contract.check("/v1/plans/{plan}/objectives", "get", r)
    assert r.json()["next"] and r.headers.get("Link"), r.headers


@pytest.mark.parametrize("path", ETAG_GET_ROUTES)
def test_not_modified_and_options_conform_to_the_contract(api, contract, path):
    accept = {"Accept": "*/*"}
    r = api.get(concrete(path), headers=accept)
    etag = r.headers.get("ETag")
    assert r.status_code == 200 and etag, r.headers
    contract.check(path, "get", api.get(concrete(path), headers=dict(accept, **{"If-None-Match": etag})))
    contract.check(path, "options", api.options(concrete(path)))


@pytest.mark.parametrize("path,url,status", [
    ("/v1/plans/{plan}", "/v1/plans/no-such-plan", 404),
    ("/v1/plans/{plan}/goals", "/v1/plans/no-such-plan/goals", 404),
    ("/v1/plans/{plan}/goals/{goal}", "/v1/plans/independence-2021/goals/no-such-goal", 404),
    ("/v1/plans/{plan}/objectives/{objective}", "/v1/plans/independence-2021/objectives/no-such-objective", 404),
    ("/v1/surveys/{survey}", "/v1/surveys/no-such-survey", 404),
    ("/v1/plans", "/v1/plans?limit=0", 400),
    ("/v1/plans/{plan}/goals", "/v1/plans/independence-2021/goals?cursor=not-a-cursor", 400),
    ("/v1/plans/{plan}/objectives", "/v1/plans/independence-2021/objectives?goal=no-such-goal", 400),
    ("/v1/plans/{plan}/priorities", "/v1/plans/independence-2021/priorities?year=twenty", 400),
    ("/v1/surveys", "/v1/surveys?sort=title", 400),
    ("/v1/surveys/{survey}/tallies", "/v1/surveys/no-such-survey/tallies", 404),
    ("/v1/surveys/{survey}/tallies", "/v1/surveys/Not-A-Slug/tallies", 404),
])
def test_error_responses_conform_to_the_contract(api, contract, path, url, status):
    r = api.get(url)
    assert r.status_code == status, r.content[:300]
    contract.check(path, "get", r)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_method_not_allowed_conforms_to_the_contract(api, contract, method):
    r = api.request(method, concrete("/v1/plans/{plan}"), data=b"",
                    headers={"Content-Length": "0"})
    assert r.status_code == 405, r.content[:300]
    contract.check("/v1/plans/{plan}", "get", r)


def test_not_acceptable_conforms_to_the_contract(api, contract):
    r = api.get("/v1/plans", headers={"Accept": "text/html"})
    assert r.status_code == 406, r.content[:300]
    contract.check("/v1/plans", "get", r)


@pytest.mark.parametrize("path", ["/v1/plans", "/v1/surveys/{survey}", "/healthz"])
def test_cors_preflight_and_cors_get_conform_to_the_contract(api, contract, cors_origin, path):
    r = api.options(concrete(path), headers={"Origin": cors_origin,
                                              "Access-Control-Request-Method": "GET"})
    contract.check(path, "options", r)
    assert r.status_code == 204 and r.headers.get("Access-Control-Allow-Origin") == cors_origin, r.headers
    assert r.headers.get("Access-Control-Max-Age") == "600", r.headers
    r = api.get(concrete(path), headers={"Origin": cors_origin})
    contract.check(path, "get", r)
    assert r.headers.get("Access-Control-Allow-Origin") == cors_origin, r.headers


# --------------------------------------------------------------- issue 3: every path, no key

def documented_methods(doc, path):
    return sorted(m.upper() for m in doc["paths"][path] if m in HTTP_METHODS)


def allow_tokens(response):
    return sorted(t.strip() for t in response.headers.get("Allow", "").split(",") if t.strip())


def op_documenting(doc, path, status):
    """An operation of the path that documents this status (405 is documented
    on the operations of the path, since it is about the path)."""
    for method, op in doc["paths"][path].items():
        if method in HTTP_METHODS and str(status) in op.get("responses", {}):
            return method
    pytest.fail("no operation of %s documents %s" % (path, status))


def send(api, method, url, **kwargs):
    """A request that Kore accepts: bodies always have a Content-Length."""
    if method in ("POST", "PUT", "PATCH") and "json" not in kwargs and "data" not in kwargs:
        kwargs["data"] = b""
    return api.request(method, url, **kwargs)


@pytest.mark.parametrize("path", sorted(SPEC_ROUTES))
def test_options_of_every_path_lists_the_documented_methods(api, contract, doc, path):
    r = api.options(concrete(path))
    assert r.status_code == 204, r.content[:300]
    contract.check(path, "options", r)
    assert allow_tokens(r) == documented_methods(doc, path), r.headers.get("Allow")
    assert r.headers.get("Cache-Control") == "no-store", r.headers


@pytest.mark.parametrize("path", sorted(SPEC_ROUTES))
def test_a_method_the_path_does_not_serve_gets_405_with_the_documented_allow(api, contract, doc, path):
    method = next(m for m in ("PUT", "PATCH", "DELETE", "POST", "GET")
                  if m.lower() not in SPEC_METHODS[path])
    r = send(api, method, concrete(path))
    assert r.status_code == 405, (method, r.content[:300])
    contract.check(path, op_documenting(doc, path, 405), r)
    assert allow_tokens(r) == documented_methods(doc, path), r.headers.get("Allow")


@pytest.mark.parametrize("path,method", sorted(PROTECTED))
def test_a_protected_operation_without_a_key_gets_401_with_a_bearer_challenge(api, contract, path, method):
    kwargs = {"json": {}} if method in ("post", "put", "patch") else {}
    r = send(api, method.upper(), concrete(path), **kwargs)
    assert r.status_code == 401, r.content[:300]
    contract.check(path, method, r)
    assert r.headers.get("WWW-Authenticate") == CHALLENGE, r.headers
    if method != "head":
        assert r.json()["type"] == "/problems/unauthorized", r.json()


@pytest.mark.parametrize("path,method", sorted(PROTECTED))
def test_a_protected_operation_with_a_malformed_key_gets_401_invalid_token(api, contract, path, method):
    kwargs = {"json": {}} if method in ("post", "put", "patch") else {}
    r = send(api, method.upper(), concrete(path),
             headers={"Authorization": "Bearer not-a-key"}, **kwargs)
    assert r.status_code == 401, r.content[:300]
    contract.check(path, method, r)
    assert r.headers.get("WWW-Authenticate") == INVALID_TOKEN, r.headers


@pytest.mark.parametrize("path,method,query", [
    ("/v1/keys", "get", ""),
    ("/v1/keys/{key}", "delete", ""),
    ("/v1/surveys/{survey}/responses", "get", "?order=asc"),
    ("/v1/surveys/{survey}/responses/{response}", "get", ""),
])
def test_an_unknown_key_gets_401_invalid_token(api, contract, path, method, query):
    r = send(api, method.upper(), concrete(path) + query,
             headers={"Authorization": "Bearer " + UNKNOWN_KEY})
    assert r.status_code == 401, r.content[:300]
    contract.check(path, method, r)
    assert r.headers.get("WWW-Authenticate") == INVALID_TOKEN, r.headers


def test_public_tallies_ignore_the_authorization_header(api, contract):
    path = "/v1/surveys/{survey}/tallies"
    for auth in ("Bearer not-a-key", "Bearer " + UNKNOWN_KEY):
        r = api.get(concrete(path), headers={"Authorization": auth})
        assert r.status_code == 200, r.content[:300]
        contract.check(path, "get", r)
        assert r.headers.get("Cache-Control") == "no-cache", r.headers
    body = r.json()
    assert body["survey"] == SEED_IDS["survey"]
    assert [q["id"] for q in body["questions"]] == ["right-plan", "top-priorities"], body


@pytest.mark.parametrize("path,method", [
    ("/v1/keys", "POST"),
    ("/v1/keys/{key}", "DELETE"),
    ("/v1/surveys/{survey}", "PATCH"),
    ("/v1/surveys/{survey}/responses", "POST"),
    ("/v1/surveys/{survey}/responses/batch", "POST"),
    ("/v1/surveys/{survey}/tallies", "GET"),
])
def test_cors_preflight_of_the_new_routes_grants_the_path_methods(api, contract, doc, cors_origin, path, method):
    r = api.options(concrete(path), headers={"Origin": cors_origin,
                                              "Access-Control-Request-Method": method})
    contract.check(path, "options", r)
    assert r.status_code == 204 and r.headers.get("Access-Control-Allow-Origin") == cors_origin, r.headers
    granted = sorted(t.strip() for t in r.headers.get("Access-Control-Allow-Methods", "").split(","))
    assert granted == documented_methods(doc, path), r.headers
    assert "Authorization" in r.headers.get("Access-Control-Allow-Headers", ""), r.headers


def test_cors_preflight_for_a_method_the_path_does_not_serve_grants_nothing(api, contract, cors_origin):
    path = "/v1/keys/{key}"
    r = api.options(concrete(path), headers={"Origin": cors_origin,
                                              "Access-Control-Request-Method": "GET"})
    contract.check(path, "options", r)
    assert r.status_code == 204 and "Access-Control-Allow-Methods" not in r.headers, r.headers


# --------------------------------------------------------------- issue 3: with the admin key, no state change

admin_only = pytest.mark.skipif(not ADMIN_KEY, reason="CIVIC_ADMIN_KEY not set (run through tools/test.sh)")


def as_admin(headers=None):
    return dict(headers or {}, Authorization="Bearer " + ADMIN_KEY)


def pointers(r):
    return sorted(e["pointer"] for e in r.json().get("errors", []))


@admin_only
def test_key_list_and_its_head_conform_to_the_contract(api, contract):
    r = api.get("/v1/keys", params={"limit": "1"}, headers=as_admin())
    assert r.status_code == 200, r.content[:300]
    contract.check("/v1/keys", "get", r)
    assert r.headers.get("Cache-Control") == "private, no-store" and "ETag" not in r.headers, r.headers
    assert len(r.json()["items"]) == 1 and "key" not in r.json()["items"][0], r.json()
    h = api.head("/v1/keys", headers=as_admin())
    assert h.status_code == 200
    contract.check("/v1/keys", "head", h)


@admin_only
def test_admin_reads_of_the_responses_conform_to_the_contract(api, contract):
    path = "/v1/surveys/{survey}/responses"
    r = api.get(concrete(path), params={"order": "asc", "limit": "5"}, headers=as_admin())
    assert r.status_code == 200, r.content[:300]
    contract.check(path, "get", r)
    assert r.headers.get("Cache-Control") == "private, no-store" and "ETag" not in r.headers, r.headers
    contract.check(path, "head", api.head(concrete(path), headers=as_admin()))
    csv = api.get(concrete(path), headers=as_admin({"Accept": "text/csv"}))
    assert csv.status_code == 200, csv.content[:300]
    contract.check(path, "get", csv)
    assert csv.headers["Content-Type"].startswith("text/csv"), csv.headers
    header_row = csv.content.split(b"\r\n", 1)[0].decode()
    assert header_row.startswith("id,external_id,partner,created_at,submitted_at,channel,status,"
                                 "void_reason,right-plan,top-priorities/"), header_row
    item = "/v1/surveys/{survey}/responses/{response}"
    r = api.get(concrete(item), headers=as_admin())
    assert r.status_code == 404, r.content[:300]
    contract.check(item, "get", r)


@admin_only
def test_exports_and_their_refusals_conform_to_the_contract(api, contract):
    path = "/v1/surveys/{survey}/responses/export"
    for accept in ("text/csv", "application/x-ndjson"):
        r = api.get(concrete(path), params={"include_voided": "true"},
                    headers=as_admin({"Accept": accept}))
        assert r.status_code == 200, r.content[:300]
        assert r.headers["Content-Type"].startswith(accept), r.headers
        contract.check(path, "get", r)
    contract.check(path, "head", api.head(concrete(path), headers=as_admin()))
    for query, headers, status in (("?include_voided=1", {}, 400),
                                   ("", {"Accept": "application/json"}, 406)):
        r = api.get(concrete(path) + query, headers=as_admin(headers))
        assert r.status_code == status, r.content[:300]
        contract.check(path, "get", r)
    r = api.get("/v1/surveys/no-such-survey/responses/export", headers=as_admin())
    assert r.status_code == 404, r.content[:300]
    contract.check(path, "get", r)


@admin_only
@pytest.mark.parametrize("path,query", [
    ("/v1/keys", "?limit=0"),
    ("/v1/keys", "?sort=name"),
    ("/v1/surveys/{survey}/responses", "?order=sideways"),
    ("/v1/surveys/{survey}/responses", "?since=yesterday"),
    ("/v1/surveys/{survey}/responses", "?cursor=not-a-cursor"),
])
def test_bad_parameters_of_the_protected_collections_conform_to_the_contract(api, contract, path, query):
    r = api.get(concrete(path) + query, headers=as_admin())
    assert r.status_code == 400, r.content[:300]
    contract.check(path, "get", r)
    assert r.json()["type"] == "/problems/invalid-parameter" and r.json()["errors"], r.json()


@admin_only
@pytest.mark.parametrize("path,method,body,status,type_", [
    ("/v1/keys", "post", {"name": "", "role": "boss", "extra": 1}, 422, "invalid-body"),
    ("/v1/surveys", "post", {}, 422, "invalid-body"),
    ("/v1/surveys/{survey}", "patch", {"id": "renamed", "status": "sideways"}, 422, "invalid-body"),
    ("/v1/surveys/{survey}/responses/{response}/void", "post", {"why": "x"}, 422, "invalid-body"),
    ("/v1/surveys/{survey}/responses/{response}/void", "post", {"reason": "No such response."}, 404, "not-found"),
    ("/v1/surveys/{survey}/responses", "post", {}, 409, "survey-not-open"),
    ("/v1/surveys/{survey}/responses/batch", "post", {"responses": [{}]}, 409, "survey-not-open"),
    ("/v1/surveys/{survey}/responses/batch", "post", {"responses": []}, 422, "invalid-body"),
])
def test_refused_writes_conform_to_the_contract(api, contract, path, method, body, status, type_):
    r = api.request(method.upper(), concrete(path), json=body, headers=as_admin())
    assert r.status_code == status, r.content[:300]
    contract.check(path, method, r)
    assert r.json()["type"] == "/problems/" + type_, r.json()
    assert r.headers.get("Cache-Control") == "no-store", r.headers


@admin_only
def test_invalid_bodies_name_every_fault_by_pointer(api):
    r = api.request("POST", "/v1/keys", json={"name": "", "role": "boss", "extra": 1}, headers=as_admin())
    assert r.status_code == 422 and pointers(r) == ["/extra", "/name", "/role"], r.json()
    r = api.request("PATCH", concrete("/v1/surveys/{survey}"), json={"id": "renamed", "status": "sideways"},
                  headers=as_admin())
    assert r.status_code == 422 and pointers(r) == ["/id", "/status"], r.json()


@admin_only
@pytest.mark.parametrize("path,method", [
    ("/v1/keys", "post"),
    ("/v1/surveys", "post"),
    ("/v1/surveys/{survey}", "patch"),
    ("/v1/surveys/{survey}/responses", "post"),
    ("/v1/surveys/{survey}/responses/batch", "post"),
    ("/v1/surveys/{survey}/responses/{response}/void", "post"),
])
def test_bodies_that_are_not_json_conform_to_the_contract(api, contract, path, method):
    r = api.request(method.upper(), concrete(path), data=b'{"name": "x"}',
                    headers=as_admin({"Content-Type": "text/plain"}))
    assert r.status_code == 415, r.content[:300]
    contract.check(path, method, r)
    r = api.request(method.upper(), concrete(path), data=b'{"name": ',
                    headers=as_admin({"Content-Type": "application/json"}))
    assert r.status_code == 400, r.content[:300]
    contract.check(path, method, r)
    assert r.json()["type"] == "/problems/malformed-body", r.json()


@admin_only
def test_an_overlong_idempotency_key_conforms_to_the_contract(api, contract):
    path = "/v1/surveys/{survey}/responses"
    r = api.request("POST", concrete(path), json={}, headers=as_admin({"Idempotency-Key": "k" * 256}))
    assert r.status_code == 400, r.content[:300]
    contract.check(path, "post", r)
    assert r.json()["type"] == "/problems/invalid-parameter", r.json()


@admin_only
def test_revoking_an_unknown_key_conforms_to_the_contract(api, contract):
    r = api.request("DELETE", concrete("/v1/keys/{key}"), headers=as_admin())
    assert r.status_code == 404, r.content[:300]
    contract.check("/v1/keys/{key}", "delete", r)


@admin_only
def test_an_admin_reads_public_tallies_like_anyone(api, contract):
    path = "/v1/surveys/{survey}/tallies"
    r = api.get(concrete(path), headers=as_admin())
    assert r.status_code == 200, r.content[:300]
    contract.check(path, "get", r)
    etag = r.headers["ETag"]
    r = api.get(concrete(path), headers=as_admin({"If-None-Match": etag}))
    assert r.status_code == 304 and r.headers.get("ETag") == etag, r.headers
    contract.check(path, "get", r)
