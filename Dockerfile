# Civic Plan API: Kore 4.1.0 module + PostgreSQL (libpq) + jansson.
#
#   podman build --pull=never --network=host --format docker -t civicplan .
#   podman run --network=host -e DATABASE_URL='postgresql://...' civicplan
#
# (tools/image-test.sh builds and smoke-tests this image; see `make image-test`.)

# --- docs-deps: only swagger-ui-dist, exactly as pinned in package-lock.json ----------
# The repository's package.json also lists developer tools (@redocly/cli) the image
# never uses. Rather than `npm ci` all of them, keep the lock file's entries for
# swagger-ui-dist and its dependencies (same versions, same integrity hashes) and
# `npm ci` that. --ignore-scripts: @scarf/scarf's install script phones home.
# Behind a TLS-intercepting proxy, pass its CA bundle as the optional build secret
# npm_ca (`--secret id=npm_ca,src=/etc/ssl/certs/ca-certificates.crt`): it is used for
# this one step and not stored in any layer.
FROM debian:bookworm-slim AS docs-deps
# Not version-pinned (ER0012): bookworm only takes security and point-release fixes, and
# Debian's mirrors drop superseded versions, so exact pins would break rebuilds.
# linter ignore=ER0012
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
# dockerlinter does not parse RUN --mount flags (shellcheck then sees "--mount=..." as a command)
# linter ignore=SC2215,SC1089
RUN --mount=type=secret,id=npm_ca \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi \
    && node -e ' \
      const fs = require("fs"); \
      const keep = ["swagger-ui-dist"]; \
      const pj = JSON.parse(fs.readFileSync("package.json")); \
      const lock = JSON.parse(fs.readFileSync("package-lock.json")); \
      const all = Object.assign({}, pj.dependencies, pj.devDependencies); \
      const deps = {}; \
      for (const n of keep) { if (!all[n]) throw new Error(n + " is not in package.json"); deps[n] = all[n]; } \
      const pkgs = {}, todo = keep.slice(); \
      while (todo.length) { \
        const n = todo.pop(), k = "node_modules/" + n; \
        if (pkgs[k]) continue; \
        const e = lock.packages[k]; \
        if (!e) throw new Error(k + " is not in package-lock.json"); \
        pkgs[k] = e; \
        todo.push(...Object.keys(Object.assign({}, e.dependencies, e.optionalDependencies))); \
        for (const [p, v] of Object.entries(lock.packages)) if (p.startsWith(k + "/node_modules/")) pkgs[p] = v; \
      } \
      delete pj.dependencies; delete pj.scripts; pj.devDependencies = deps; \
      const root = Object.assign({}, lock.packages[""]); delete root.dependencies; root.devDependencies = deps; \
      lock.packages = Object.assign({ "": root }, pkgs); delete lock.dependencies; \
      fs.writeFileSync("package.json", JSON.stringify(pj, null, 2) + "\n"); \
      fs.writeFileSync("package-lock.json", JSON.stringify(lock, null, 2) + "\n"); \
    ' \
    && npm ci --ignore-scripts --no-audit --no-fund --loglevel=warn \
    && test -f node_modules/swagger-ui-dist/swagger-ui-bundle.js \
    && test -f node_modules/swagger-ui-dist/swagger-ui.css

# --- build: the Kore module and the docs directory ----------------------------------
FROM debian:bookworm-slim AS build
# kore depends on libc6-dev, libssl-dev and libpq-dev; gcc and make build the module.
# linter ignore=ER0012
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        kore libjansson-dev libpq-dev libssl-dev gcc make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY --from=docs-deps /src/node_modules/ node_modules/
# only what `make build docs-assets` reads: edits to tests, bench or the README keep the cache
COPY Makefile package.json package-lock.json ./
COPY mk/ mk/
COPY src/ src/
COPY tools/ tools/
COPY conf/ conf/
COPY docs/ docs/
# -o: node_modules comes from the docs-deps stage; never let make re-run `npm ci` here.
# /out is the runtime image's file tree (the admin tool ships when the Makefile builds it).
RUN make -j"$(nproc)" -o node_modules/.package-lock.json build docs-assets \
    && mkdir -p /out/app/build /out/app/conf /out/app/tools /out/usr/local/bin \
    && cp build/civicplan.so /out/app/build/ \
    && cp tools/serve.sh /out/app/tools/ \
    && cp -R build/docs /out/app/build/docs \
    && cp conf/app.conf /out/app/conf/ \
    && if [ -x build/civic-admin ]; then cp build/civic-admin /out/usr/local/bin/; fi \
    && for f in openapi.json index.html swagger-ui.css swagger-ui-bundle.js \
            dashboard.html dashboard.js dashboard.css; do \
        test -s "/out/app/build/docs/$f" || { echo "build/docs/$f missing" >&2; exit 1; }; \
    done

# --- runtime ----------------------------------------------------------------------------
FROM debian:bookworm-slim
# Debian's kore package depends on the -dev packages (libc6-dev, libssl-dev, libpq-dev),
# so they come along; --no-install-recommends at least keeps gcc out.
# linter ignore=ER0012
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        kore libjansson4 libpq5 coreutils \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --no-log-init --user-group --uid 10001 --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin civic
WORKDIR /app
# /app/build/civicplan.so, /app/build/docs/, /app/conf/app.conf (owned by root, read-only
# for civic) and /usr/local/bin/civic-admin when built
COPY --from=build /out/ /

# DATABASE_URL has no default: pass a libpq URI, e.g.
# postgresql://civicplan:PASSWORD@db:5432/civicplan?gssencmode=disable&connect_timeout=3
ENV CIVIC_BIND=0.0.0.0 \
    CIVIC_PORT=8888 \
    CIVIC_WORKERS=2 \
    CIVIC_DOCS_DIR=/app/build/docs \
    CIVIC_VAR=/tmp/civicplan
EXPOSE 8888

# Liveness only (/healthz does not touch the database); no curl in the image, so bash's
# /dev/tcp. Kept by docker and by `podman build --format docker` (OCI images drop it).
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${CIVIC_PORT} && printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]

# Not root: tools/serve.sh runs kore with -n (no chroot) and -r (no privilege drop), with
# its configuration and pidfile in CIVIC_VAR (the root file system is read-only; /tmp is
# the container's own), and line-buffered output (kore logs with printf).
USER civic
CMD ["tools/serve.sh"]
