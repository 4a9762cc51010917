"""Run the whole stack on this machine: `python -m infra.local.run` from the repository root.

Emulator (moto) -> resources from infra/resources.yaml -> the data of the last run, if any (infra/local/persistence.py)
-> demo officers (on an empty stack only) -> site build -> Chalice API in-process -> site/outbox server -> event pump.
URLs and ids go to the state file (default .local/stack.json) and to stdout; passwords go to the state file only.
The data is snapshotted into the data directory (default: `data/` next to the state file) every minute and at a clean
stop; `--fresh` starts empty. Ctrl-C (SIGINT) or SIGTERM shuts everything down. docs/local-stack.md has more.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from infra.local import demo, persistence, seed, site_build, stack
from infra.local import emulator as emulator_module
from infra.local.outbox import Outbox
from infra.local.pump import EventPump
from infra.local.server import make_site_server, serve_in_thread

LOG = logging.getLogger("infra.local.run")

REPO_ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = REPO_ROOT / "functions"
DEFAULT_STATE_FILE = Path(".local/stack.json")
DEFAULT_SENDER = "alerts@hexwatch.example"
# After a start, each schedule fires within this long: scheduled alerts that fell due while the stack was down go out.
FIRST_SCHEDULE_AFTER_SECONDS = 5.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run Hexwatch locally against moto. Port 0 picks a free port.")
    parser.add_argument("--moto-port", type=int, default=emulator_module.DEFAULT_PORT)
    parser.add_argument("--api-port", type=int, default=8000)
    parser.add_argument("--site-port", type=int, default=8080)
    parser.add_argument("--prefix", default="hexwatch")
    parser.add_argument("--sender-email", default=DEFAULT_SENDER)
    parser.add_argument("--state-file", type=Path, default=DEFAULT_STATE_FILE)
    parser.add_argument("--site-out", type=Path, default=site_build.DEFAULT_OUT)
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="where the data is kept across restarts (default: data/ next to the state file)")
    parser.add_argument("--fresh", action="store_true", help="delete the kept data and start with an empty stack")
    parser.add_argument("--snapshot-seconds", type=float, default=persistence.DEFAULT_INTERVAL_SECONDS,
                        help="how often the data is snapshotted while running (0: only at a clean stop)")
    return parser.parse_args(argv)


def chalice_config(stage: str = "local") -> Any:
    from chalice.cli.factory import CLIFactory

    return CLIFactory(str(FUNCTIONS_DIR)).create_config_obj(chalice_stage_name=stage)


def apply_stage_environment(config: Any) -> None:
    # The stage's variables are defaults: what the local stack set (endpoint, prefix, pool ids) wins.
    for name, value in (config.environment_variables or {}).items():
        os.environ.setdefault(name, str(value))


def import_app() -> Any:
    """Import functions/app.py as Lambda does: functions/ on sys.path, module `app`, no chdir."""
    if str(FUNCTIONS_DIR) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS_DIR))
    return importlib.import_module("app").app


def write_state(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    # The file holds the demo passwords: readable by its owner only. Written then renamed, so a reader polling for
    # it never sees half a file.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=2)
    temporary.replace(path)


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # moto's per-request lines and its "No Moto CloudFormation support" warnings (handled by stack.py) are noise here.
    for noisy in ("werkzeug", "botocore", "urllib3", "moto"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging()
    state_file: Path = args.state_file
    state_file.unlink(missing_ok=True)  # a stale file would point readers at a stack that is gone
    data_dir: Path = args.data_dir or persistence.default_data_dir(state_file)
    snapshot_file = persistence.snapshot_path(data_dir)
    if args.fresh and persistence.discard_snapshot(data_dir):
        LOG.info("--fresh: deleted the kept data in %s", snapshot_file)
    try:
        # Read before anything starts: a snapshot that cannot be restored must stop the start, or the first
        # periodic snapshot of the empty stack would overwrite the data it holds.
        kept = persistence.read_snapshot(snapshot_file)
    except persistence.SnapshotError as error:
        LOG.error("%s; move it away, or start with --fresh (make run FRESH=1) to delete it", error)
        return 2

    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        LOG.info("received signal %d, shutting down", signum)
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    shutdown: list[Callable[[], None]] = []
    try:
        emu = emulator_module.start_emulator(args.moto_port)
        shutdown.append(emu.stop)
        emulator_module.apply_aws_env(emu.endpoint)
        LOG.info("emulator on %s", emu.endpoint)

        outputs = stack.deploy(emu.endpoint, args.prefix, args.sender_email)
        LOG.info("deployed %s; created through service APIs: %s", outputs["stack_name"], outputs["created_by_api"])

        # What the demo seed made: with the snapshot's data restored it must not run again (it would give the demo
        # officers new passwords and TOTP enrolments), and the state file still needs the demo users' passwords.
        seeded: dict[str, Any] = {}
        if kept is not None:
            try:
                outputs = persistence.restore(kept, outputs)
            except Exception:  # e.g. a table's key changed in the template: the old items no longer fit
                LOG.exception("could not restore %s; move it away, or start with --fresh (make run FRESH=1) to "
                              "delete it", snapshot_file)
                return 2
            seeded = dict(kept.get("demo") or {})
            LOG.info("restored the data of %s from %s: %s", kept.get("taken_at"), snapshot_file,
                     persistence.summary(kept))
        # Only from here on is the emulator's data worth keeping: a failed restore above must not be snapshotted
        # over the file it came from.
        snapshots = persistence.Snapshotter(snapshot_file, lambda: persistence.capture(outputs, seeded),
                                            interval=args.snapshot_seconds)
        shutdown.append(snapshots.stop)

        # The officer console signs in against the emulator's Cognito through the site origin (infra/local/server.py
        # forwards /cognito-idp/); deployed, it calls Cognito's own endpoint.
        site_dir = site_build.build_site(args.site_out, api_base="", extra_config=site_build.console_config(
            outputs["region"], outputs["user_pool_id"], outputs["user_pool_client_id"], endpoint="/cognito-idp/"))
        outbox = Outbox(emu.endpoint, args.prefix)
        # The site server binds first: the app needs the site URL (links in messages) before it is imported, and the
        # server learns the API's address once that is bound.
        site_server = make_site_server(site_dir, "http://localhost:0", outbox.list_messages, port=args.site_port,
                                       cognito_origin=emu.endpoint)
        site_url = site_server.url
        os.environ.update(stack.app_env(outputs, site_url))
        config = chalice_config("local")
        apply_stage_environment(config)

        if seeded.get("users"):
            users = list(seeded["users"])
        else:
            users = seed.seed_officers(outputs["user_pool_id"], endpoint=emu.endpoint)
            seeded["users"] = users
        LOG.info("demo officers (passwords in %s): %s", state_file, ", ".join(u["username"] for u in users))

        # As deployed: the API answers only requests that came through the site origin, which adds X-Origin-Verify as
        # CloudFront does (infra/local/server.py); its direct address answers 403. HEXWATCH_ORIGIN_VERIFY=off opts out.
        os.environ.setdefault("HEXWATCH_ORIGIN_VERIFY", "required")
        api_url, api_error = None, None
        residents: dict[str, Any] | str = "skipped (app not loaded)"
        try:
            app = import_app()
        except Exception as error:  # the stack stays useful (site, outbox, emulator) while the app is being written
            LOG.exception("functions/app.py failed to import; /v1/* will answer 502 and the pump is off")
            api_error = f"{type(error).__name__}: {error}"
            app = None
        if app is not None:
            from chalice.local import create_local_server

            api_server = create_local_server(app, config, "localhost", args.api_port)
            api_url = f"http://localhost:{api_server.server.server_address[1]}"
            threading.Thread(target=api_server.serve_forever, name="chalice-api", daemon=True).start()
            shutdown.append(api_server.shutdown)
            site_server.api_origin = api_url
            if seeded.get("residents"):
                residents = seeded["residents"]
            else:
                # Recorded only once both succeeded, so a failed or skipped seed (the app did not load) runs at the
                # next start; seed_demo_residents skips residents that exist and the areas import replaces.
                try:
                    residents = demo.seed_demo_residents()
                    demo.seed_demo_areas()
                    seeded["residents"] = residents
                except Exception as error:
                    LOG.exception("seed_demo_residents failed")
                    residents = f"failed: {error}"
            pump = EventPump(app, endpoint=emu.endpoint, function_prefix=f"{args.prefix}-local",
                             first_schedule_after=FIRST_SCHEDULE_AFTER_SECONDS)
            pump.start()
            shutdown.append(pump.stop)

        serve_in_thread(site_server, "site-server")
        shutdown.append(site_server.shutdown)
        outbox.watch()
        shutdown.append(outbox.stop)

        state = {
            "pid": os.getpid(),
            "site_url": site_url,
            "api_url": site_url,  # the public API base: same origin as the site, as behind CloudFront
            "api_direct_url": api_url,
            "api_available": api_url is not None,
            "api_error": api_error,
            "outbox_url": f"{site_url}/outbox/",
            "console_url": f"{site_url}/console/",
            "outbox_json_url": f"{site_url}/outbox.json",
            "endpoint": emu.endpoint,
            "region": emulator_module.REGION,
            "prefix": args.prefix,
            "sender_email": args.sender_email,
            "user_pool_id": outputs["user_pool_id"],
            "user_pool_client_id": outputs["user_pool_client_id"],
            "jwks_url": outputs["jwks_url"],
            "users": users,
            "demo_residents": residents,
            "demo_force": demo.DEMO_FORCE,
            "demo_areas": demo.demo_areas(),
            "stack": {key: outputs[key] for key in ("tables", "queues", "queue_urls", "topic_arns", "secrets")},
            "site_dir": str(site_dir),
            "data_dir": str(data_dir),
            "restored_from": kept.get("taken_at") if kept is not None else None,
            "snapshot_seconds": args.snapshot_seconds,
        }
        snapshots.start()
        write_state(state_file, state)
        print(
            "\nHexwatch local stack is up\n"
            f"  site        {site_url}/\n"
            f"  API (proxy) {site_url}/v1/\n"
            f"  API direct  {api_url or 'not running: ' + str(api_error)}\n"
            f"  outbox      {site_url}/outbox/\n"
            f"  console     {site_url}/console/ (officers; `make -s console-login USER=demo-officer@hexwatch.example`"
            " prints the password and the current authenticator code)\n"
            f"  emulator    {emu.endpoint}\n"
            f"  demo users  {', '.join(u['username'] for u in users)} (passwords in {state_file})\n"
            f"  data        {data_dir} ({'restored from ' + str(kept.get('taken_at')) if kept else 'empty at start'};"
            " make run FRESH=1 starts empty)\n"
            "Ctrl-C to stop.",
            flush=True,
        )
        stopping.wait()
    finally:
        for step in reversed(shutdown):
            try:
                step()
            except Exception:
                LOG.exception("error during shutdown")
        state_file.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
