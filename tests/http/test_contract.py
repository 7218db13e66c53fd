"""The OpenAPI contract (docs/openapi.json) against the linter, the routes the
server is configured with, and what the running server sends.

- the document lints clean with the pinned Redocly CLI and redocly.yaml;
- its paths are exactly the routes of SPEC.md and of conf/app.conf;
- /openapi.json is docs/openapi.json byte for byte, /docs is the Swagger UI
  page that loads only same-origin assets;
- every GET route, and the error responses, conform to the document: status
  documented for the operation, media type, required headers and body schema.

The static tests need no server; the others use the `api` fixture (the server
at CIVIC_BASE_URL, default http://127.0.0.1:8899).
"""

import base64
import hashlib
import json
import os
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

try:
    import jsonschema
except ImportError:  # Debian: python3-jsonschema
    jsonschema = None

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = ROOT / "docs" / "openapi.json"
INDEX_HTML = ROOT / "docs" / "index.html"
APP_CONF = ROOT / "conf" / "app.conf"

# The routes of SPEC.md (issue 2), as templates.
SPEC_ROUTES = {
    "/healthz",
    "/readyz",
    "/openapi.json",
    "/docs",
    "/docs/swagger-ui.css",
    "/docs/swagger-ui-bundle.js",
    "/v1/plans",
    "/v1/plans/{plan}",
    "/v1/plans/{plan}/goals",
    "/v1/plans/{plan}/goals/{goal}",
    "/v1/plans/{plan}/objectives",
    "/v1/plans/{plan}/objectives/{objective}",
    "/v1/plans/{plan}/priorities",
    "/v1/surveys",
    "/v1/surveys/{survey}",
}

# Seed ids that make every documented path concrete.
SEED_IDS = {
    "plan": "independence-2021",
    "goal": "quality",
    "objective": "reduce-blight",
    "survey": "community-survey-2020-21",
}

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
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, "redocly lint failed:\n" + run.stdout[-6000:] + run.stderr[-3000:]
    report = json.loads(run.stdout)
    problems = ["%s %s: %s" % (p.get("severity"), p.get("ruleId"), p.get("message"))
                for p in report.get("problems", [])]
    assert report["totals"] == {"errors": 0, "warnings": 0, "ignored": 0}, "\n".join(problems)


# --------------------------------------------------------------- route inventory

def conf_routes(text):
    """The route templates of the domain blocks of a Kore 4.1.0 config.

    Exact routes start with '/'; anything else is a regex, of which only
    `^...$` anchored paths made of literal segments and `[^/]+` are
    understood. The catch-all (`^`) is left out."""
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


def test_every_documented_path_serves_get_head_and_options_only(doc):
    for path, item in doc["paths"].items():
        assert set(item) & HTTP_METHODS == {"get", "head", "options"}, path


def test_openapi_paths_are_the_routes_of_conf_app_conf(doc):
    if not APP_CONF.exists():
        pytest.skip("conf/app.conf does not exist yet")
    served = set(conf_routes(APP_CONF.read_text(encoding="utf-8")))
    documented = {template(p) for p in doc["paths"]}
    assert served, "no route found in the domain blocks of conf/app.conf"
    assert served == documented, (
        "served but undocumented in docs/openapi.json: %s; documented but not served by "
        "conf/app.conf: %s" % (sorted(served - documented), sorted(documented - served)))


def test_route_parser_reads_kore_syntax():
    conf = """
load ./build/civicplan.so
domain * {
\tattach default
\troute /healthz ops_healthz   # comment
\troute ^/v1/plans/[^/]+/goals$ resource_collection
\troute ^/ app_not_found
}
"""
    assert conf_routes(conf) == {"/healthz": "ops_healthz",
                                 "/v1/plans/{}/goals": "resource_collection"}


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
        if media.endswith("json"):
            self.validate(response.json(), content[media]["schema"], what + " body")


@pytest.fixture(scope="module")
def contract(doc):
    return Contract(doc)


def concrete(path, **overrides):
    ids = dict(SEED_IDS, **overrides)
    return re.sub(r"\{([^/{}]+)\}", lambda m: ids[m.group(1)], path)


def test_jsonschema_is_available():
    assert jsonschema is not None, "install python3-jsonschema: the conformance tests need it"


@pytest.mark.parametrize("path", sorted(SPEC_ROUTES))
def test_get_and_head_of_each_route_conform_to_the_contract(api, contract, path):
    accept = {"/docs": "text/html", "/docs/swagger-ui.css": "text/css",
              "/docs/swagger-ui-bundle.js": "text/javascript"}.get(path, "application/json")
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


@pytest.mark.parametrize("path", sorted(SPEC_ROUTES))
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
])
def test_error_responses_conform_to_the_contract(api, contract, path, url, status):
    r = api.get(url)
    assert r.status_code == status, r.content[:300]
    contract.check(path, "get", r)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
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
