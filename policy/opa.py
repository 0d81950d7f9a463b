"""The OPA engine: a real OPA server (`opa run --server`), reached through opa-python-client.

    OpaEngine(modules, data, url="http://127.0.0.1:8181")
      ├─ PUT /v1/data/doelbinding/register      the register, as the policy's data
      ├─ PUT /v1/policies/doelbinding/<file>    each module (policy id = "doelbinding/" + file)
      └─ DELETE /v1/policies/doelbinding/<old>  modules of an earlier version that are gone
    decide(inp)
      └─ POST /v1/data/doelbinding/authz/decision  {"input": …}  →  {"result": …}

Fail closed: a timeout, a refused connection, an HTTP error, an answer that is not JSON, or
an answer without `result` (OPA's way of saying "undefined") raises `PolicyUnavailable` or
`InvalidDecision`; this class never returns an allow on error. The client is built with no
retries, so the timeout bounds a decision; a refusal is cheaper than a slow answer.

The push is module by module (OPA has no transaction over its REST API), so one OPA serves
one gateway (a sidecar) and a gateway pushes only while starting or switching versions. For
sidecars that should not depend on the gateway, serve them the bundle instead
(`GET /v1/opa/bundle.tar.gz`, see `policy.bundle.build_bundle`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from opa_client import OpaClient
from opa_client.errors import DeletePolicyError, RegoParseError

from policy.bundle import revision as content_revision
from policy.contract import DECISION_PATH, Decision, DecisionInput
from policy.decision import parse_decision
from policy.errors import InvalidDecision, PolicyCompileError, PolicyUnavailable

ENGINE = "opa"
#: Every module this gateway pushes has a policy id under this prefix.
POLICY_PREFIX = "doelbinding/"
#: Where the register lives in OPA's data document (`data.doelbinding.register`).
REGISTER_PATH = "doelbinding/register"
DEFAULT_TIMEOUT_SECONDS = 1.0


class OpaEngine:
    """A `PolicyEngine` deciding on an OPA server.

    `modules` maps file names to Rego sources; `data` is the register as
    `data.doelbinding.register`. Both are pushed to `url` when the engine is built.
    """

    kind = "opa"

    def __init__(
        self,
        modules: Mapping[str, str],
        data: Mapping[str, Any],
        *,
        url: str,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        if not modules:
            raise PolicyCompileError("no policy modules")
        self.revision: str = content_revision(modules, data)
        self.url = url
        self._client = _client(url, timeout)
        self._push(modules, data)

    def decide(self, inp: DecisionInput) -> Decision:
        """The decision for `inp`; raises a `PolicyError` rather than guess."""
        return parse_decision(self.evaluate(inp.to_policy_input()))

    def evaluate(self, document: Mapping[str, Any]) -> object:
        """The raw value of the decision rule for an input document (not yet parsed)."""
        package, rule = DECISION_PATH.rsplit("/", 1)
        try:
            body = self._client.query_rule(dict(document), package, rule)
        except requests.Timeout:
            raise PolicyUnavailable(ENGINE, "timed out") from None
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else "?"
            raise PolicyUnavailable(ENGINE, f"HTTP {status}") from None
        except requests.RequestException as exc:
            raise PolicyUnavailable(ENGINE, type(exc).__name__) from None
        except ValueError:
            raise InvalidDecision("the answer is not JSON") from None
        if not isinstance(body, dict):
            raise InvalidDecision("the answer is not an object")
        if "result" not in body:
            # OPA answers 200 with `{}` when the document is undefined.
            raise InvalidDecision("the decision is undefined")
        return body["result"]

    def close(self) -> None:
        self._client.close_connection()

    # -- pushing a version ---------------------------------------------------------------

    def _push(self, modules: Mapping[str, str], data: Mapping[str, Any]) -> None:
        try:
            self._client.update_or_create_data(dict(data), REGISTER_PATH)
        except RegoParseError as exc:
            raise PolicyCompileError(f"register data refused: {exc.message}") from None
        except (requests.RequestException, ValueError) as exc:
            raise PolicyUnavailable(ENGINE, f"pushing the register: {_what(exc)}") from None
        for name, source in sorted(modules.items()):
            try:
                # rego_compat=False: the client would otherwise rewrite a refused module as
                # Rego v0 and retry; we push exactly what was tested, or nothing.
                self._client.update_policy_from_string(
                    source, POLICY_PREFIX + name, rego_compat=False
                )
            except RegoParseError as exc:
                raise _compile_error(exc, name) from None
            except (requests.RequestException, ValueError) as exc:
                raise PolicyUnavailable(ENGINE, f"pushing {name}: {_what(exc)}") from None
        try:
            stale = [
                pid
                for pid in self._client.get_policies_list()
                if pid.startswith(POLICY_PREFIX) and pid[len(POLICY_PREFIX) :] not in modules
            ]
            for pid in stale:
                self._client.delete_policy(pid)
        except (requests.RequestException, ValueError, DeletePolicyError) as exc:
            raise PolicyUnavailable(ENGINE, f"removing old modules: {_what(exc)}") from None


def _client(url: str, timeout: float) -> Any:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"the OPA URL must be http(s)://host[:port], got {url!r}")
    if parts.path not in ("", "/"):
        # opa-python-client builds every URL from host and port alone.
        raise ValueError("the OPA URL cannot carry a path")
    https = parts.scheme == "https"
    return OpaClient(
        host=parts.hostname,
        port=parts.port or (443 if https else 80),
        ssl=https,
        retries=0,
        timeout=timeout,
    )


def _compile_error(exc: RegoParseError, name: str) -> PolicyCompileError:
    """OPA's 400 on a module: `{"code", "message", "errors": [{"message", "location"}]}`."""
    for err in exc.errors or []:
        if isinstance(err, dict):
            loc = err.get("location") or {}
            row = loc.get("row") if isinstance(loc, dict) else None
            return PolicyCompileError(
                str(err.get("message") or exc.message),
                file=name,
                line=row if isinstance(row, int) else None,
            )
    return PolicyCompileError(str(exc.message), file=name)


def _what(exc: Exception) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__
