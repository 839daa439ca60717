"""The frontend origin: plain HTML/JS pages that call NEXT_PUBLIC_BACKEND_URL from the browser."""

from __future__ import annotations

import html
import json
import logging
import os
import sys
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from sandbox.app import logs
from sandbox.app.settings import BuildFlag, build_flags

WEB = Path(__file__).resolve().parent / "web"
log = logging.getLogger("frontend")
SIMULATOR_MOUNT = "/*SIMULATOR_MOUNT*/"
# The healthy build mounts the simulator; the owner-flow-broken build reads a prop of an undefined
# layout first, so the browser throws a TypeError and the simulator never renders.
HEALTHY_MOUNT = "renderSimulator();"
BROKEN_MOUNT = "const layout = window.SIMULATOR_LAYOUT; renderSimulator(layout.slots.main);"

_SHELL = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - Twin</title><link rel="stylesheet" href="/static/style.css">
<script>window.APP_CONFIG = {config};</script><script src="/static/app.js"></script></head>
<body><header><span class="logo">Twin</span><nav>{nav}</nav><span class="who" id="who"></span></header>
<main>{body}</main></body></html>
"""


class FrontendConfig:
    """What the browser gets from the Vercel env of the deployment (public values only)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.backend_url = env.get("NEXT_PUBLIC_BACKEND_URL", "").rstrip("/")
        self.bypass_auth = env.get("NEXT_PUBLIC_E2E_BYPASS_AUTH", "").strip().lower() in {"1", "true", "yes"}
        self.build = build_flags(env.get("SANDBOX_BUILD", ""))

    def browser_json(self) -> str:
        data = {"backendUrl": self.backend_url, "bypassAuth": self.bypass_auth,
                "build": ",".join(sorted(self.build)) or "healthy"}
        # Safe inside <script>: no "</" can close the tag early.
        return json.dumps(data).replace("</", "<\\/")


def _nav(active: str) -> str:
    items = [("dashboard", "/dashboard", "Dashboard"), ("training", "/dashboard/training", "Training")]
    links = [f'<a href="{href}" class="{"active" if key == active else ""}">{label}</a>' for key, href, label in items]
    return "".join(links) + '<a href="#" onclick="logout()">Sign out</a>'


def render(config: FrontendConfig, page: str, title: str, nav: str = "") -> str:
    body = (WEB / f"{page}.html").read_text()
    if page == "training":
        broken = BuildFlag.OWNER_FLOW_BROKEN.value in config.build
        body = body.replace(SIMULATOR_MOUNT, BROKEN_MOUNT if broken else HEALTHY_MOUNT)
    return _SHELL.format(title=html.escape(title), config=config.browser_json(), nav=nav, body=body)


def create_app(config: FrontendConfig) -> Starlette:
    def page(name: str, title: str, nav: str | None = None):
        async def endpoint(request: Request) -> Response:
            return HTMLResponse(render(config, name, title, _nav(nav) if nav else ""),
                                headers={"Cache-Control": "no-store"})
        return endpoint

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        types = {"css": "text/css", "js": "application/javascript"}
        path = WEB / name
        if "/" in name or path.suffix[1:] not in types or not path.is_file():
            return PlainTextResponse("not found", status_code=404)
        return Response(path.read_text(), media_type=types[path.suffix[1:]])

    async def root(request: Request) -> Response:
        return RedirectResponse("/login")

    routes = [
        Route("/", root),
        Route("/login", page("login", "Sign in")),
        Route("/dashboard", page("dashboard", "Dashboard", "dashboard")),
        Route("/dashboard/training", page("training", "Training", "training")),
        Route("/share/{share_token}", page("share", "Chat")),
        Route("/static/{name}", static),
    ]
    return Starlette(routes=routes)


def main() -> int:
    import uvicorn

    logs.setup("frontend")
    config = FrontendConfig(dict(os.environ))
    if not config.backend_url:
        log.error("env NEXT_PUBLIC_BACKEND_URL is empty; set it to the twin API's URL")
        return 2
    log.info("frontend starting", extra={"fields": {"backend": config.backend_url, "bypass_auth": config.bypass_auth}})
    uvicorn.run(create_app(config), host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "3000")),
                log_config=None, access_log=False, timeout_graceful_shutdown=3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
