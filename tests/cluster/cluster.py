"""The topology make cluster-test runs on loopback, all under var/cluster:
a PostgreSQL primary and its streaming replica (tools/pg.sh,
tools/replica.sh), N instances of the service (tools/serve.sh), and nginx in
front (deploy/nginx, made by tools/nginx-conf.sh).

Every process started here is stopped here, by its PID. Every wait polls up
to WAIT_S."""

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VAR = os.path.join(ROOT, "var", "cluster")
WAIT_S = float(os.environ.get("CLUSTER_WAIT_S", "120"))

HTTP_PORT = int(os.environ.get("CLUSTER_HTTP_PORT", "18300"))
TLS_PORT = int(os.environ.get("CLUSTER_TLS_PORT", "18343"))
INSTANCE_PORT = int(os.environ.get("CLUSTER_INSTANCE_PORT", "18301"))
INSTANCES = int(os.environ.get("CLUSTER_INSTANCES", "3"))
PG_PORT = int(os.environ.get("CLUSTER_PG_PORT", "15570"))
PG_REPLICA_PORT = int(os.environ.get("CLUSTER_PG_REPLICA_PORT", "15571"))
NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")


def run(*cmd, **kw):
    return subprocess.run(cmd, cwd=ROOT, check=True, text=True,
                          stdout=subprocess.PIPE, **kw).stdout.strip()


def poll(what, check, limit=WAIT_S, every=0.05):
    """check() until it is truthy (its value) or limit seconds passed."""
    end = time.monotonic() + limit
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > end:
            raise AssertionError("%s: not within %.0f s" % (what, limit))
        time.sleep(every)


def http_status(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


class Database:
    """The primary (durable: fsync and synchronous_commit on) and its
    replica. After failover() the replica is the primary."""

    def __init__(self):
        self.primary_dir = os.path.join(VAR, "pg", "primary")
        self.replica_dir = os.path.join(VAR, "pg", "replica")
        self.env_file = os.path.join(VAR, "db.env")
        self.failed_over = False

    def up(self):
        shutil.rmtree(os.path.join(VAR, "pg"), ignore_errors=True)
        run("tools/pg.sh", "start", self.primary_dir, str(PG_PORT), "durable")
        run("tools/migrate.sh", self.primary_url())
        run("tools/replica.sh", "make", self.primary_dir, str(PG_PORT),
            self.replica_dir, str(PG_REPLICA_PORT))
        with open(self.env_file, "w") as f:
            f.write("DATABASE_URL=%s\n" % self.primary_url())
            f.write("DATABASE_READ_URL=%s\n" % self.replica_url())

    def primary_url(self):
        return run("tools/pg.sh", "url", self.primary_dir, str(PG_PORT))

    def replica_url(self):
        return run("tools/pg.sh", "url", self.replica_dir, str(PG_REPLICA_PORT))

    def env(self):
        """The instances' database settings (the env file)."""
        out = {}
        with open(self.env_file) as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("=")
                if k:
                    out[k] = v
        return out

    def sync(self, on):
        run("tools/replica.sh", "sync", "on" if on else "off", self.primary_dir,
            str(PG_PORT))

    def crash_primary(self):
        run("tools/pg.sh", "crash", self.primary_dir)

    def failover(self):
        run("tools/failover.sh", self.env_file, self.replica_dir, str(PG_REPLICA_PORT))
        self.failed_over = True

    def _psql(self, dirname, port, sql, user):
        sock = run("tools/pg.sh", "sockdir", dirname)
        return run("psql", "-X", "-q", "-h", sock, "-p", str(port), "-U", user,
                   "-d", "civicplan", "-v", "ON_ERROR_STOP=1", "-tAc", sql)

    def psql(self, sql):
        """On whichever is the primary now."""
        if self.failed_over:
            return self._psql(self.replica_dir, PG_REPLICA_PORT, sql, "civicplan")
        return self._psql(self.primary_dir, PG_PORT, sql, "civicplan")

    def replica_psql(self, sql):
        return self._psql(self.replica_dir, PG_REPLICA_PORT, sql, "postgres")

    def pause_replay(self, paused):
        self.replica_psql("SELECT pg_wal_replay_%s()" % ("pause" if paused else "resume"))

    def down(self):
        for d in (self.primary_dir, self.replica_dir):
            try:
                run("tools/pg.sh", "stop", d)
            except subprocess.CalledProcessError:
                pass


class Instance:
    """One Kore server (a parent and its workers) on its own port, with its
    own var/ directory and log."""

    def __init__(self, n, base_env):
        self.n = n
        self.port = INSTANCE_PORT + n
        self.var = os.path.join(VAR, "i%d" % n)
        self.log = os.path.join(VAR, "i%d.log" % n)
        self.base_env = base_env
        self.proc = None
        self.logf = None
        os.makedirs(self.var, exist_ok=True)
        open(self.log, "w").close()

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def start(self, db_env):
        env = dict(os.environ)
        env.update(self.base_env)
        env.pop("DATABASE_READ_URL", None)
        env.update(db_env)
        env.update({"CIVIC_PORT": str(self.port), "CIVIC_BIND": "127.0.0.1",
                    "CIVIC_VAR": os.path.relpath(self.var, ROOT),
                    "CIVIC_DOCS_DIR": "build/docs"})
        self.logf = open(self.log, "a")
        self.proc = subprocess.Popen(["tools/serve.sh"], cwd=ROOT, env=env,
                                     stdout=self.logf, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError("instance %d exited (see %s)" % (self.n, self.log))
            return (http_status(self.url("/readyz")) == 200 and
                    http_status(self.url("/v1/plans/current")) == 200)
        poll("instance %d ready" % self.n, ready)

    def pids(self):
        """The parent and its workers."""
        if self.proc is None or self.proc.poll() is not None:
            return []
        kids = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)],
                              text=True, stdout=subprocess.PIPE).stdout.split()
        return [self.proc.pid] + [int(k) for k in kids]

    def worker_rss_kb(self):
        total = 0
        for pid in self.pids()[1:]:
            try:
                with open("/proc/%d/status" % pid) as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
            except OSError:
                pass
        return total

    def kill(self):
        """SIGKILL to the parent and every worker at once (its process
        group), as a crash of the machine's process would."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=WAIT_S)
        self.proc = None

    def stop(self):
        if self.proc is None:
            return
        stop_process(self.proc, signal.SIGTERM)
        self.proc = None
        if self.logf:
            self.logf.close()
            self.logf = None

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()


class Nginx:
    """nginx in front of the instances: its own master, everything under
    var/cluster/nginx, a certificate made here for TLS."""

    def __init__(self, instances):
        self.instances = instances
        self.prefix = os.path.join(VAR, "nginx")
        self.conf = os.path.join(self.prefix, "nginx.conf")
        self.cert = os.path.join(VAR, "tls", "cert.pem")
        self.key = os.path.join(VAR, "tls", "key.pem")
        self.proc = None
        self.down = set()

    def make_cert(self):
        os.makedirs(os.path.dirname(self.cert), exist_ok=True)
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", self.key, "-out", self.cert, stderr=subprocess.DEVNULL)

    def render(self):
        ups = [i.address + (":down" if i.n in self.down else "") for i in self.instances]
        run("tools/nginx-conf.sh", self.prefix, "127.0.0.1:%d" % HTTP_PORT,
            "127.0.0.1:%d" % TLS_PORT, self.cert, self.key, *ups)
        run(NGINX, "-t", "-q", "-p", self.prefix, "-c", self.conf, stderr=subprocess.STDOUT)

    def start(self):
        self.make_cert()
        self.render()
        self.proc = subprocess.Popen([NGINX, "-p", self.prefix, "-c", self.conf,
                                      "-g", "daemon off;"], cwd=ROOT,
                                     start_new_session=True)
        poll("nginx ready", lambda: http_status(self.url("/readyz")) == 200)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (HTTP_PORT, path)

    def tls_url(self, path):
        return "https://127.0.0.1:%d%s" % (TLS_PORT, path)

    def workers(self):
        return set(subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)],
                                  text=True, stdout=subprocess.PIPE).stdout.split())

    def reload(self):
        """A new configuration; returns once every old worker has finished
        what it was doing and exited (its in-flight requests are done)."""
        old = self.workers()
        self.render()
        self.proc.send_signal(signal.SIGHUP)
        poll("nginx's old workers gone", lambda: not (old & self.workers()))

    def take_out(self, inst):
        self.down.add(inst.n)
        self.reload()

    def put_back(self, inst):
        self.down.discard(inst.n)
        self.reload()

    def access_log(self):
        path = os.path.join(self.prefix, "access.log")
        if not os.path.exists(path):
            return []
        out = []
        with open(path) as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out

    def stop(self):
        if self.proc:
            stop_process(self.proc, signal.SIGQUIT)     # graceful: logs flushed
        self.proc = None


def stop_process(proc, sig):
    """sig to proc, and its process group killed if it has not ended within
    WAIT_S."""
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=WAIT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def free_port(port):
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()
