"""An HTTP client of the node (httpx): what wallets, scripts and tests call.

:class:`NodeClient` maps each endpoint of :mod:`rollup.node.app` to a method;
a refusal becomes :class:`NodeRefusedError` with the node's status, kind and
reason, and no answer at all :class:`NodeUnreachableError`.
:meth:`NodeClient.submit` (a session-proof file) and
:meth:`NodeClient.submit_delegated` (delegated proving: a session holding its
secret) check the signed receipt against the sequencer key the node announced
(or one the caller pins).
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from rollup.errors import RollupError
from rollup.session import Session, session_to_json
from verifier.sequencer_signatures import verify_receipt

REQUEST_TIMEOUT_SECONDS = 60.0
SUBMIT_PATH = "/sessions"
DELEGATED_SUBMIT_PATH = "/delegated/sessions"
BINARY = "application/octet-stream"
CHAIN_HEIGHT_HEADER = "X-Chain-Height"
POLL_SECONDS = 0.2


class NodeRefusedError(RollupError):
    """The node answered with an error status."""

    def __init__(self, status: int, kind: str, reason: str) -> None:
        super().__init__(f"the node refused ({status} {kind}): {reason}")
        self.status, self.kind, self.reason = status, kind, reason


class NodeUnreachableError(RollupError):
    """No answer from the node (refused connection, timeout, broken transfer)."""


class NodeClient:
    """A node at ``url`` (``http://127.0.0.1:8650``)."""

    def __init__(self, url: str, sequencer_key: bytes | None = None) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=f"{self.url}/v1", timeout=REQUEST_TIMEOUT_SECONDS)
        self._sequencer_key = sequencer_key

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> NodeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400:
            try:
                body = response.json()
                kind, reason = str(body["error"]), str(body["reason"])
            except (ValueError, KeyError, TypeError):
                kind, reason = "http_error", response.text[:200]
            raise NodeRefusedError(response.status_code, kind, reason)
        return response

    def _request(self, method: str, path: str, **options: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **options)
        except httpx.TransportError as exc:
            raise NodeUnreachableError(f"no answer from the node at {self.url}: {exc}") from exc

    def get(self, path: str) -> Any:
        return self._check(self._request("GET", path)).json()

    def get_bytes(self, path: str) -> bytes:
        return self._check(self._request("GET", path)).content

    @property
    def sequencer_key(self) -> bytes:
        """The sequencer's public key: the pinned one, else the one the node announces."""
        if self._sequencer_key is None:
            self._sequencer_key = bytes.fromhex(self.get("/sequencer")["public_key"])
        return self._sequencer_key

    def head(self) -> dict[str, Any]:
        result: dict[str, Any] = self.get("/head")
        return result

    def account(self, user_id: int) -> dict[str, Any]:
        result: dict[str, Any] = self.get(f"/accounts/{user_id}")
        return result

    def submit_raw(self, body: bytes, path: str = SUBMIT_PATH, content_type: str = BINARY) -> httpx.Response:
        """POST a body as it is (for tests of refusals); no checks."""
        return self._request("POST", path, content=body, headers={"content-type": content_type})

    def _signed(self, response: httpx.Response, verify: bool) -> dict[str, Any]:
        signed: dict[str, Any] = self._check(response).json()
        if verify:
            verify_receipt(self.sequencer_key, signed)
        return signed

    def submit(self, session_proof_file: bytes, verify: bool = True) -> dict[str, Any]:
        """Submit a session-proof file; returns the signed receipt, checked against the sequencer key (``verify``)."""
        return self._signed(self.submit_raw(session_proof_file), verify)

    def submit_delegated(self, session: Session, verify: bool = True) -> dict[str, Any]:
        """Delegated proving: submit ``session`` with its secret for the node to prove; the signed receipt."""
        body = session_to_json(session).encode()
        return self._signed(self.submit_raw(body, DELEGATED_SUBMIT_PATH, "application/json"), verify)

    def chain_proof(self) -> tuple[int, bytes]:
        """(height the node claims, bytes) of the node's latest chain proof (unverified: the caller verifies)."""
        response = self._check(self._request("GET", "/chain/proof"))
        height = response.headers.get(CHAIN_HEIGHT_HEADER, "")
        if not height.isdigit():
            raise NodeRefusedError(response.status_code, "bad_response", "the chain proof comes without its height")
        return int(height), response.content

    def wait_for(self, submission: str, status: str = "included", timeout: float = 600.0) -> dict[str, Any]:
        """Poll a submission until it reaches ``status`` (``included`` or ``proven``); TimeoutError when late."""
        wanted = ("included", "proven") if status == "included" else ("proven",)
        deadline = time.monotonic() + timeout
        while True:
            result: dict[str, Any] = self.get(f"/sessions/{submission}")
            if result["status"] in wanted:
                return result
            if time.monotonic() > deadline:
                raise TimeoutError(f"submission {submission} is still {result['status']} after {timeout:.0f} s")
            time.sleep(POLL_SECONDS)
