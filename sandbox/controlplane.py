"""The control-plane daemon: serves the four provider emulators and supervises the app through deploys."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from pathlib import Path

import uvicorn

from sandbox.autodeploy import AutoDeploy
from sandbox.config import SandboxConfig, write_private
from sandbox.emulators.pinecone import create_pinecone_app
from sandbox.emulators.render import create_render_app
from sandbox.emulators.render_obs import Observability
from sandbox.emulators.supabase import create_supabase_app
from sandbox.emulators.vercel import create_vercel_app
from sandbox.render_model import RenderModel
from sandbox.state import READY_FILE, StateDir
from sandbox.supervisor import Supervisor
from sandbox.vercel_model import VercelModel

SAMPLE_EVERY_S = 2.0
# A request held by chaos `hang` must not hold up `down`: open requests get this long, then are cancelled.
GRACEFUL_S = 1


class _Server(uvicorn.Server):
    """Several servers share one loop: the daemon handles signals itself, once, for all of them."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


def log(message: str) -> None:
    print(json.dumps({"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "message": message}), flush=True)


def build(state: StateDir, config: SandboxConfig):
    """The models and the four ASGI apps, keyed by emulator name."""
    ids = config.ids
    supervisor = Supervisor(state, config.ports, {
        "api": f"{ids['render_api_service_id']}.jsonl",
        "worker": f"{ids['render_worker_service_id']}.jsonl",
        "frontend": "frontend.log",
    })
    render = RenderModel(config, supervisor, state.app_repo)
    vercel = VercelModel(config, supervisor, state.app_repo)
    obs = Observability(render, supervisor)
    secret = config.secrets.__getitem__
    apps = {
        "render": create_render_app(render, obs, lambda: secret("RENDER_API_KEY")),
        "vercel": create_vercel_app(vercel, lambda: secret("VERCEL_TOKEN")),
        "supabase": create_supabase_app(ids["supabase_project_ref"], config.database_url,
                                        lambda: secret("SUPABASE_ACCESS_TOKEN")),
        "pinecone": create_pinecone_app(ids["pinecone_index"], lambda: secret("PINECONE_API_KEY")),
    }
    return supervisor, render, vercel, obs, apps


async def run(state: StateDir, config: SandboxConfig) -> int:
    supervisor, render, vercel, obs, apps = build(state, config)
    servers = [_Server(uvicorn.Config(app, host="127.0.0.1", port=config.ports[name], log_level="warning",
                                      access_log=False, lifespan="off", timeout_graceful_shutdown=GRACEFUL_S))
               for name, app in apps.items()]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    serving = [asyncio.create_task(s.serve()) for s in servers]
    code = 0
    try:
        while not all(s.started for s in servers):
            if any(t.done() for t in serving):
                raise RuntimeError("an emulator could not listen on its port")
            await asyncio.sleep(0.02)
        # The emulators answer while the first deploys start, as the providers would.
        await asyncio.gather(render.boot(), vercel.boot())
        watcher = AutoDeploy(render, state.app_repo, log)
        serving.append(asyncio.create_task(watcher.run(stop)))
        write_private(state.root / READY_FILE, json.dumps({"ready": True}))
        log("control plane ready")
        while not stop.is_set():
            obs.sample()
            for service in render.services.values():
                if await render.revive(service):
                    log(f"{service.name}: process exited; restarted from its live deploy")
            if await vercel.revive():
                log("frontend: process exited; restarted from the production deployment")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), SAMPLE_EVERY_S)
    except Exception as exc:  # noqa: BLE001 - report why to `up`, which is waiting on the ready file
        write_private(state.root / READY_FILE, json.dumps({"ready": False, "error": str(exc)}))
        log(f"control plane failed: {exc}")
        code = 1
    finally:
        stop.set()  # ends the auto-deploy watch too
        await supervisor.stop_all()
        for s in servers:
            s.should_exit = True
        await asyncio.gather(*serving, return_exceptions=True)
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.controlplane")
    parser.add_argument("--state-dir", required=True)
    args = parser.parse_args(argv)
    state = StateDir(Path(args.state_dir).resolve())
    config = SandboxConfig.load(state.config)
    return asyncio.run(run(state, config))


if __name__ == "__main__":
    sys.exit(main())
