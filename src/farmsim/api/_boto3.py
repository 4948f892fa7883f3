"""``sim.boto3_client()``: a real boto3 Deadline Cloud client answered by the simulation.

The client is ``boto3``'s own (``boto3.session.Session().client("deadline")``): boto3 checks
each request against the service model (``ParamValidationError``), fills in idempotency
tokens, and has the model's paginators, waiters and exception classes. Only the HTTP exchange
is replaced: a handler on botocore's ``before-call`` event, registered last (every other
handler, the user's included, runs first), answers each operation from
:meth:`~farmsim.engine.simulation.Simulation.client` in-process and returns before anything is
signed or sent. Nothing touches the network.

The answer goes through the wire format on the way: the simulated client's response (or its
error) is written as the service's HTTP response (a rest-json body, the ``x-amzn-errortype``
header for errors) and read back by botocore's own response parser, as an HTTP response is.
So what a script gets is what boto3 gives against the service: timestamps are timezone-aware
``datetime`` objects as botocore parses them (the simulated instant to the microsecond), every
response has its ``ResponseMetadata``, and errors are raised as the
client's modeled exceptions (``client.exceptions.ResourceNotFoundException``) carrying
``response["Error"]["Code"]``, ``["Message"]`` and the error shape's members (``reason``,
``fieldList``, ``resourceId``, ...).

What farmsim decided where boto3 has nothing to say:

* An operation the simulated client does not have, or a member of a request it does not model
  (:class:`~farmsim.api.errors.NotModelledError`), raises a ``ClientError`` with the code
  ``NotImplemented`` (HTTP 501) naming the operation: never an ``AttributeError``.
* The client has a private botocore session: no environment variable (``AWS_PROFILE``,
  ``AWS_DEFAULT_REGION``, ``AWS_CONFIG_FILE``, ...) and no configuration or credentials file
  is read; every setting is botocore's default, the region is the one asked for
  (``us-west-2`` by default) and the credentials are static fakes.
* Each call of ``sim.boto3_client()`` makes a new boto3 client; all of them answer from the
  same ``sim.client()``, so they see the same farm and share CreateJob's ``clientToken``\\ s.
* Request ids (``ResponseMetadata["RequestId"]``) count the client's calls; the ``date``
  header is the simulation's current time.
* Waiters sleep in wall-clock time between polls, and nothing advances the simulation while
  they do: drive the simulation (``sim.run(until=...)``) between polls, or register a
  ``before-call.deadline.GetJob`` handler that does (see ``docs/boto3.md``).
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import email.utils
import functools
import importlib
import itertools
import json
import os
import uuid
from typing import TYPE_CHECKING, Any, cast

import botocore.session
from botocore import xform_name
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.configprovider import ConfigValueStore, ConstantProvider
from botocore.exceptions import ClientError
from botocore.loaders import Loader, create_loader
from botocore.model import ListShape, MapShape, StructureShape
from botocore.parsers import create_parser

from farmsim.api.errors import NotModelledError
from farmsim.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from botocore.model import OperationModel, ServiceModel, Shape

    from farmsim.api.client import DeadlineClient
    from farmsim.engine.simulation import Simulation

__all__ = ["NOT_IMPLEMENTED", "boto3_client"]

SERVICE = "deadline"
#: The error code of an operation (or a request member) farmsim does not model.
NOT_IMPLEMENTED = "NotImplemented"
#: The static credentials the client signs nothing with.
_ACCESS_KEY = "FARMSIMACCESSKEY0000"
_SECRET_KEY = "farmsim-simulated-farm-no-secret"
#: Where the client's request parameters wait between two botocore events.
_PARAMS = "farmsim_params"


def boto3_client(sim: Simulation, *, region_name: str = "us-west-2") -> Any:
    """A boto3 Deadline Cloud client whose every operation ``sim`` answers in-process (see the
    module's documentation).

    Raises:
        UsageError: boto3 is not installed.
    """
    try:
        boto3 = importlib.import_module("boto3")
    except ImportError:
        raise UsageError("sim.boto3_client() needs boto3: pip install 'farmsim[boto3]'"
                         ) from None
    core = botocore.session.Session()
    core.register_component("config_store", _isolated(core))
    loader = _loader()
    core.register_component("data_loader", loader)
    session = boto3.session.Session(botocore_session=core, region_name=region_name)
    # (each boto3 session adds its data folder to the shared loader's search path: once is
    # enough)
    loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))
    client = session.client(SERVICE, region_name=region_name, aws_access_key_id=_ACCESS_KEY,
                            aws_secret_access_key=_SECRET_KEY)
    _Answer(sim, client.meta.service_model).register(client.meta.events)
    return client


@functools.cache
def _loader() -> Loader:
    """The service data every client reads (models, endpoint rules, paginators, waiters),
    loaded once, at botocore's default search path: a new client costs a few milliseconds
    rather than a new read of the model."""
    return create_loader()


def _isolated(core: botocore.session.Session) -> ConfigValueStore:
    """Every session setting at botocore's default, none read from the environment or a file
    (no profile; the null device as the configuration and credentials files, which botocore
    reads as none; configured endpoint URLs ignored)."""
    values: dict[str, Any] = {name: spec[2] for name, spec in core.session_var_map.items()}
    values |= {"profile": None, "config_file": os.devnull, "credentials_file": os.devnull,
               "ignore_configured_endpoint_urls": True}
    return ConfigValueStore(mapping={name: ConstantProvider(copy.deepcopy(value))
                                     for name, value in values.items()})


class _Answer:
    """The botocore event handlers that answer a client's calls from the simulation."""

    def __init__(self, sim: Simulation, model: ServiceModel) -> None:
        self._sim = sim
        self._model = model
        self._parser = create_parser(model.protocol)
        self._calls: Iterator[int] = itertools.count(1)

    def register(self, events: Any) -> None:
        """Hook the handlers in, after every other one (a user's handler, botocore's Stubber,
        still answer first)."""
        events.register_last(f"before-parameter-build.{SERVICE}", self.keep_params,
                             unique_id="farmsim-keep-params")
        events.register_last("before-call", self.answer, unique_id="farmsim-answer")

    @staticmethod
    def keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        """Keep the request's parameters (boto3 has built them: defaults and idempotency
        tokens are filled in, in this same dict, by handlers that may run after this one)."""
        context[_PARAMS] = params

    def answer(self, model: OperationModel, params: dict[str, Any], context: dict[str, Any],
               **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        """The HTTP response to the request and its parsed form, from the simulated client.

        ``params`` is the serialized request (its URL is kept); the parameters themselves are
        those :meth:`keep_params` kept. Every call is answered here: none is ever sent.
        """
        if _PARAMS not in context:  # (only if someone unregistered keep_params)
            raise UsageError(f"sim.boto3_client(): the {model.name} call reached farmsim "
                             f"without its parameters (was a farmsim handler unregistered?)")
        request = copy.deepcopy(context.pop(_PARAMS))
        status, headers, body = self._call(model, request)
        number = next(self._calls)
        headers |= {"x-amzn-requestid": str(uuid.UUID(int=number)),
                    "content-type": "application/json", "content-length": str(len(body)),
                    "date": email.utils.format_datetime(
                        self._sim.start_time + dt.timedelta(seconds=self._sim.now),
                        usegmt=True)}
        fields = HTTPHeaders()
        for name, value in headers.items():
            fields[name] = value
        http = AWSResponse(params.get("url", ""), status, fields, _Body(body))
        response = {"headers": http.headers, "status_code": status, "body": body,
                    "context": {"operation_name": model.name}}
        # (an operation without output: botocore's parser takes None, its stubs do not)
        output = cast("Shape", model.output_shape)
        parsed: dict[str, Any] = self._parser.parse(response, output)
        if status >= 300:  # (botocore's Endpoint: a second pass for the error's own members)
            error_shape = self._model.shape_for_error_code(parsed["Error"]["Code"])
            if error_shape is not None:
                parsed.update(self._parser.parse(response, error_shape))
        parsed["ResponseMetadata"]["RetryAttempts"] = 0
        return http, parsed

    def _call(self, model: OperationModel, request: dict[str, Any]
              ) -> tuple[int, dict[str, str], bytes]:
        """The simulated client's answer as an HTTP status, headers and body."""
        simulated: DeadlineClient = self._sim.client()
        operation = getattr(simulated, xform_name(model.name), None)
        try:
            if operation is None or not callable(operation):
                raise _not_implemented(model.name, f"farmsim does not model the {model.name} "
                                                   f"operation (sim.client() has no "
                                                   f"{xform_name(model.name)})")
            try:
                result = operation(**request)
            except NotModelledError as exc:
                raise _not_implemented(model.name, str(exc)) from None
        except ClientError as exc:
            return self._error(exc)
        headers: dict[str, str] = {}
        body = _members(result, model.output_shape, headers)
        status = model.http.get("responseCode", 200)
        return status, headers, json.dumps(body).encode()

    def _error(self, exc: ClientError) -> tuple[int, dict[str, str], bytes]:
        raw: dict[str, Any] = dict(exc.response)
        code = raw["Error"]["Code"]
        message = raw["Error"].get("Message", "")
        status = raw.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
        headers = {"x-amzn-errortype": code}
        # (the error shape's members; "Error" and "ResponseMetadata" are none of them)
        body = _members(raw, self._model.shape_for_error_code(code), headers)
        body["message"] = message
        return status, headers, json.dumps(body).encode()


def _not_implemented(operation: str, message: str) -> ClientError:
    response: dict[str, Any] = {"Error": {"Code": NOT_IMPLEMENTED, "Message": message},
                                "ResponseMetadata": {"HTTPStatusCode": 501}}
    return ClientError(response, operation)  # type: ignore[arg-type]


class _Body:
    """An HTTP response's raw stream (what ``AWSResponse.content`` reads)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


# ---------------------------------------------------------------------- the wire format

def _members(value: dict[str, Any], shape: Shape | None,
             headers: dict[str, str]) -> dict[str, Any]:
    """A top-level structure as rest-json sends it: members bound to headers go to
    ``headers``, the others make the JSON body (an operation without output: none)."""
    if not isinstance(shape, StructureShape):
        return {}
    body: dict[str, Any] = {}
    for key, item in value.items():
        member = shape.members.get(key)
        if member is None or item is None:
            continue  # (a member the model lacks: boto3 would drop it too)
        where = member.serialization.get("location")
        name = member.serialization.get("name", key)
        if where == "header":
            headers[name] = _header(item, member)
        elif where is None:
            body[name] = _wire(item, member)
    return body


def _wire(value: Any, shape: Shape) -> Any:
    """``value`` as the JSON of a rest-json body holds it (the inverse of botocore's parser)."""
    if isinstance(shape, StructureShape):
        return {member.serialization.get("name", key): _wire(item, member)
                for key, item in value.items() if item is not None
                for member in [shape.members.get(key)] if member is not None}
    if isinstance(shape, ListShape):
        return [_wire(item, shape.member) for item in value]
    if isinstance(shape, MapShape):
        return {key: _wire(item, shape.value) for key, item in value.items()}
    kind = shape.type_name
    if kind == "timestamp":
        if shape.serialization.get("timestampFormat", "unixtimestamp") == "iso8601":
            return _iso(value)
        return value.timestamp()
    if kind == "blob":
        return base64.b64encode(value).decode("ascii")
    return value


def _header(value: Any, shape: Shape) -> str:
    if shape.type_name == "timestamp":
        return email.utils.format_datetime(value.astimezone(dt.UTC), usegmt=True)
    if shape.type_name == "boolean":
        return "true" if value else "false"
    return str(value)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
