"""``make run``: the whole gateway on one machine with nothing installed but Python.

Starts an embedded Redis (unless ``REDIS_URL`` is set), upgrades the database, loads the demo
content, then runs the ``Procfile``'s ``web`` and ``worker`` beside the bundled Africa's Talking
emulator with honcho, and stops them all on Ctrl-C.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from honcho.environ import parse_procfile
from honcho.manager import Manager

from gateway import PROJECT_ROOT
from gateway.embedded_redis import EmbeddedRedis

WEB_PORT = int(os.environ.get("PORT", "8000"))
EMULATOR_PORT = int(os.environ.get("EMULATOR_PORT", "8001"))


def _secret_key(instance: Path) -> str:
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def main() -> int:
    instance = PROJECT_ROOT / "instance"
    instance.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.setdefault("SECRET_KEY", _secret_key(instance))
    env["PORT"] = str(WEB_PORT)
    # make run serves plain HTTP on 127.0.0.1: the admin UI's cookies cannot require HTTPS.
    env.setdefault("GATEWAY_SECURE_COOKIES", "0")
    use_emulator = not env.get("AT_API_KEY")
    if use_emulator:
        env.setdefault("AT_API_URL", f"http://127.0.0.1:{EMULATOR_PORT}")
    redis = None
    if not env.get("REDIS_URL"):
        redis = EmbeddedRedis(instance).start()
        env["REDIS_URL"] = redis.url
    try:
        _flask(env, "db", "upgrade")
        print(_flask(env, "demo", "load"))
        token = _flask(env, "tokens", "create", "make-run")
        password = _demo_admin(env, instance)
        procfile = parse_procfile((PROJECT_ROOT / "Procfile").read_text())
        manager = Manager()
        bin_dir = str(Path(sys.executable).parent)
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
        for name in ("web", "worker"):
            manager.add_process(name, procfile.processes[name], env=env, cwd=str(PROJECT_ROOT))
        if use_emulator:
            secret = ""
            if env.get("AT_WEBHOOK_SECRET"):
                secret = "?secret=" + quote(env["AT_WEBHOOK_SECRET"])
            delivery = f"http://127.0.0.1:{WEB_PORT}/at/sms/delivery{secret}"
            voice = f"http://127.0.0.1:{WEB_PORT}/at/voice{secret}"
            manager.add_process(
                "emulator",
                f"{sys.executable} -m gateway.channels.emulator --port {EMULATOR_PORT} "
                f"--delivery-url {delivery} --auto-deliver --voice-url {voice}",
                env=env,
                cwd=str(PROJECT_ROOT),
            )
        _announce(token, password, use_emulator)
        manager.loop()
        return manager.returncode or 0
    finally:
        if redis is not None:
            redis.stop()


DEMO_ADMIN = "admin@hmk.example"


def _demo_admin(env: dict[str, str], instance: Path) -> str:
    """The demo admin's password (kept in ``instance/admin_password``); the user is created on
    the first run."""
    path = instance / "admin_password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    password = path.read_text().strip()
    if DEMO_ADMIN not in _flask(env, "users", "list"):
        _flask(env, "users", "create", DEMO_ADMIN, "--name", "Demo admin", "--password", password)
    return password


def _announce(token: str, password: str, use_emulator: bool) -> None:
    base = f"http://127.0.0.1:{WEB_PORT}"
    lines = [
        "",
        "HMK Civic Gateway is starting. Ctrl-C stops everything.",
        f"  Public site:       {base}/   (and {base}/sw/; no login)",
        f"  Admin UI:          {base}/admin/   ({DEMO_ADMIN}, password {password})",
        f"  Phone simulator:   {base}/admin/simulator",
        f"  Health:            {base}/healthz",
        f"  API (OpenAPI):     {base}/api/v1/openapi.json",
        f"  API token:         {token}",
        f"  USSD callback:     {base}/at/ussd   (try the curl line below)",
        f"  SMS callback:      {base}/at/sms",
        f"  Voice callback:    {base}/at/voice   (call it in the simulator's call mode)",
    ]
    if use_emulator:
        emulator = f"http://127.0.0.1:{EMULATOR_PORT}/_emulator"
        lines.append(f"  Sent SMS (emulator): {emulator}/messages")
        lines.append(f"  Calls (emulator):    {emulator}/voice/calls")
    lines += [
        "",
        "  Dial the USSD menu as a phone would:",
        f"    curl -s -d sessionId=demo1 -d serviceCode='*384*123#' "
        f"-d phoneNumber=%2B254700100009 -d text= {base}/at/ussd",
        "  Demo platform leaders: +254700100011 (Mui Basin), +254700100021 (Kanziku); their",
        "  leader menu is the USSD menu's last line, PIN 1234.",
        "",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
