"""Pinecone control-plane emulator: describe index (API version 2025-10), with a settable index status."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.emulators.common import build_app, json_body, pinecone_auth, pinecone_error, pinecone_unauthorized

STATES = ("Initializing", "InitializationFailed", "ScalingUp", "ScalingDown", "ScalingUpPodSize",
          "ScalingDownPodSize", "Terminating", "Ready", "Disabled")


def create_pinecone_app(index: str, key) -> Starlette:
    status = {"ready": True, "state": "Ready"}

    def model() -> dict:
        return {
            "name": index, "dimension": 1536, "metric": "cosine",
            "host": f"{index}-sandbox.svc.aped-4627-b74a.pinecone.io",
            "private_host": f"{index}-sandbox.svc.private.aped-4627-b74a.pinecone.io",
            "deletion_protection": "enabled", "tags": {"env": "production"}, "embed": None,
            "spec": {"serverless": {"cloud": "aws", "region": "us-east-1",
                                    "read_capacity": {"mode": "OnDemand", "status": {"state": "Ready"}}}},
            "status": dict(status), "vector_type": "dense",
        }

    async def describe(request: Request) -> Response:
        if request.path_params["name"] != index:
            return pinecone_error(404, f"Resource {request.path_params['name']} not found", "NOT_FOUND")
        return JSONResponse(model())

    async def list_indexes(request: Request) -> Response:
        return JSONResponse({"indexes": [model()]})

    async def set_status(request: Request) -> Response:
        """Internal (token-free): what the pinecone-not-ready fault changes, as a scaling event would."""
        body = json_body(await request.body())
        if not isinstance(body, dict) or body.get("state") not in STATES or not isinstance(body.get("ready"), bool):
            return JSONResponse({"error": f'body must be {{"ready": bool, "state": one of {", ".join(STATES)}}}'},
                                status_code=400)
        status.update(ready=body["ready"], state=body["state"])
        return JSONResponse(dict(status))

    routes = [Route("/indexes", list_indexes), Route("/indexes/{name}", describe)]
    internal = [Route("/_sandbox/index-status", set_status, methods=["POST"])]
    return build_app(routes, auth=pinecone_auth(key), error=pinecone_error, extra_internal=internal,
                     unauthorized=pinecone_unauthorized)
