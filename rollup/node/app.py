"""The node's HTTP API (FastAPI): JSON under ``/v1``, binary bodies for proofs and keys.

=========================================  ==============================================================
``POST /v1/sessions``                      submit a session-proof file (binary, ``rollup wallet prove``);
                                           202 with the signed receipt
``POST /v1/delegated/sessions``            delegated proving: a session holding its secret (JSON), which
                                           the node proves; 202 with the signed receipt
``GET  /v1/sessions/{id}``                 pending / included / proven, and the signed receipt
``GET  /v1/head``                          latest finalized, proven and chain-proven block, root, queue
``GET  /v1/blocks/{n}``                    statement, public data, signed header, proof sizes and time
``GET  /v1/blocks/{n}/proof``              the block proof (``application/octet-stream``)
``GET  /v1/chain/proof``                   the latest chain proof (binary; headers ``X-Chain-Height``,
                                           ``X-Genesis-Root``)
``GET  /v1/keys/block``                    the block verifier key (binary), once the prover built it
``GET  /v1/keys/chain``                    the chain key (binary, ``verifier.chain``), likewise
``GET  /v1/sequencer``                     the sequencer's BLS public key
``GET  /v1/accounts/{user}``               a wallet's account, global path and incoming transfers
``GET  /v1/outboxes/{sender}/{index}``     a sender's outbox record and the paths a claim needs
``GET  /v1/health``                        liveness
``GET  /metrics``                          Prometheus metrics
``GET  /explorer``, ``/explorer/blocks/n`` the block explorer (HTML)
``GET  /v1/openapi.json``, ``/v1/docs``    the OpenAPI schema and its browsable page
=========================================  ==============================================================

Every refusal is a 4xx with ``{"error": KIND, "reason": SENTENCE}``; an
unknown path (including another API version) is a 404 that says so.
Every handler is ``async`` so that all database access happens on the event
loop's thread, one request step at a time (see :mod:`rollup.node.service`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from rollup.chain_dir import CHAIN_KEY_FILE, VK_FILE
from rollup.node.client import BINARY, CHAIN_HEIGHT_HEADER
from rollup.node.errors import RequestRefusedError
from rollup.node.explorer import block_page, index_page
from rollup.node.metrics import metrics_text
from rollup.node.service import NodeService
from rollup.node.wallet_data import account_view, outbox_view
from rollup.session_proof_file import MAX_SESSION_PROOF_FILE_BYTES
from verifier.sequencer_signatures import SCHEME

API_VERSION = "v1"
MAX_BODY_BYTES = MAX_SESSION_PROOF_FILE_BYTES
"""Largest accepted request body: a session-proof file's limit (a delegated session is a few kB)."""
GENESIS_ROOT_HEADER = "X-Genesis-Root"


def _refusal(status: int, kind: str, reason: str) -> JSONResponse:
    return JSONResponse({"error": kind, "reason": reason}, status_code=status)


async def _read_body(request: Request) -> bytes:
    """The body, refused (413) beyond MAX_BODY_BYTES whether or not a Content-Length announces it."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise RequestRefusedError(
            413, "body_too_large", f"the body has {declared} bytes; the limit is {MAX_BODY_BYTES}"
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise RequestRefusedError(413, "body_too_large", f"the body exceeds the limit of {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(service: NodeService, directory: Path) -> FastAPI:
    """The ASGI application of a node serving ``service`` (its chain in ``directory``)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service.prepare()  # the server accepts connections only once this start-up step is done
        task = asyncio.create_task(service.run(), name="node-background")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app = FastAPI(
        title="zk-rollup node",
        version=API_VERSION,
        description="Sequencer, prover and data service of a zk-rollup chain.",
        openapi_url=f"/{API_VERSION}/openapi.json",
        docs_url=f"/{API_VERSION}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )

    @app.exception_handler(RequestRefusedError)
    async def refused(request: Request, exc: RequestRefusedError) -> JSONResponse:
        return _refusal(exc.status, exc.kind, exc.reason)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 404:
            where = f"{request.method} {request.url.path}"
            reason = f"no endpoint {where}; this node serves API {API_VERSION} under /{API_VERSION}/"
            return _refusal(404, "unknown_endpoint", reason)
        if exc.status_code == 405:
            return _refusal(405, "method_not_allowed", f"{request.method} is not allowed on {request.url.path}")
        return _refusal(exc.status_code, "http_error", str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return _refusal(400, "bad_request", problems)

    prefix = f"/{API_VERSION}"

    @app.post(
        f"{prefix}/sessions",
        status_code=202,
        summary="submit a session-proof file (binary, proven by its user); returns its signed receipt",
    )
    async def submit(request: Request) -> dict[str, Any]:
        return await service.submit(await _read_body(request))

    @app.post(
        f"{prefix}/delegated/sessions",
        status_code=202,
        summary="delegated proving: submit a session holding its user's secret (JSON) for the node to prove",
    )
    async def submit_delegated(request: Request) -> dict[str, Any]:
        return await service.submit_delegated(await _read_body(request))

    @app.get(f"{prefix}/sessions/{{submission}}", summary="a submission's status and signed receipt")
    async def submission(submission: str) -> dict[str, Any]:
        status = service.submission_status(submission)
        if status is None:
            raise RequestRefusedError(404, "unknown_submission", f"no submission {submission}")
        return status

    @app.get(f"{prefix}/head", summary="latest finalized, proven and chain-proven block")
    async def head() -> dict[str, Any]:
        return service.head()

    @app.get(f"{prefix}/blocks/{{number}}", summary="a block's statement, public data and signed header")
    async def block(number: int) -> dict[str, Any]:
        return service.block(number)

    @app.get(f"{prefix}/blocks/{{number}}/proof", summary="the block proof (binary)", response_class=Response)
    async def block_proof(number: int) -> Response:
        return Response(service.block_proof(number), media_type=BINARY)

    @app.get(f"{prefix}/chain/proof", summary="the latest chain proof (binary)", response_class=Response)
    async def chain_proof() -> Response:
        height, proof = service.chain_proof()
        headers = {CHAIN_HEIGHT_HEADER: str(height), GENESIS_ROOT_HEADER: service.genesis_root()}
        return Response(proof, media_type=BINARY, headers=headers)

    def key_file(name: str, what: str) -> Response:
        path = directory / name
        if not path.is_file():
            raise RequestRefusedError(404, "no_key_yet", f"the prover has not written the {what} yet")
        return Response(path.read_bytes(), media_type=BINARY)

    @app.get(f"{prefix}/keys/block", summary="the block verifier key (binary)", response_class=Response)
    async def block_key() -> Response:
        return key_file(VK_FILE, "block verifier key")

    @app.get(f"{prefix}/keys/chain", summary="the chain key (binary)", response_class=Response)
    async def chain_key() -> Response:
        return key_file(CHAIN_KEY_FILE, "chain key")

    @app.get(f"{prefix}/sequencer", summary="the sequencer's public key")
    async def sequencer() -> dict[str, Any]:
        return {"public_key": service.key.public_key.hex(), "scheme": SCHEME}

    @app.get(f"{prefix}/accounts/{{user_id}}", summary="a wallet's account, global path and incoming transfers")
    async def account(user_id: int) -> dict[str, Any]:
        return account_view(service.sequencer.state, user_id)

    @app.get(f"{prefix}/outboxes/{{sender_id}}/{{index}}", summary="an outbox record and the paths to claim it")
    async def outbox(sender_id: int, index: int) -> dict[str, Any]:
        return outbox_view(service.sequencer.state, sender_id, index)

    @app.get(f"{prefix}/health", summary="liveness")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "finalized": service.sequencer.state.block_number}

    @app.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        return Response(metrics_text(service), media_type="text/plain; version=0.0.4")

    @app.get("/explorer", summary="the block explorer", response_class=HTMLResponse)
    async def explorer() -> HTMLResponse:
        return HTMLResponse(index_page(service, directory / VK_FILE))

    @app.get("/explorer/blocks/{number}", summary="one block in the explorer", response_class=HTMLResponse)
    async def explorer_block(number: int) -> HTMLResponse:
        return HTMLResponse(block_page(service, number, directory / VK_FILE))

    return app
