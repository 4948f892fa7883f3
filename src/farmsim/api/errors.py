"""The service's errors, as boto3 raises them: ``botocore.exceptions.ClientError`` subclasses
named after the error shapes of botocore's model (``ValidationException``,
``ResourceNotFoundException``, ...), each with a botocore-style ``.response``.

``except client.exceptions.ResourceNotFoundException`` and ``except ClientError as e:
e.response["Error"]["Code"]`` both work as they do against the service.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import Any

from botocore.exceptions import ClientError

from farmsim.api._model import service_model
from farmsim.errors import FarmsimError

__all__ = ["NotModelledError", "NotModelledOperation", "error", "exceptions"]


class NotModelledError(FarmsimError, NotImplementedError):
    """An API request this release of farmsim does not model (rather than ignore)."""


class NotModelledOperation(NotModelledError, AttributeError):
    """An operation of the service that ``sim.client()`` does not have (also an
    ``AttributeError``, so ``hasattr(client, name)`` stays False)."""


@functools.cache
def exceptions() -> SimpleNamespace:
    """Every error of the model as a ``ClientError`` subclass, by name."""
    classes = {}
    for shape in service_model().error_shapes:
        classes[shape.name] = type(shape.name, (ClientError,), {
            "__module__": __name__,
            "__doc__": f"Deadline Cloud's {shape.name} (HTTP "
                       f"{shape.metadata.get('error', {}).get('httpStatusCode', 400)}).",
        })
    return SimpleNamespace(**classes, ClientError=ClientError)


def error(code: str, operation: str, message: str, **fields: Any) -> ClientError:
    """The exception the service would raise for ``operation``: its ``response`` carries the
    code, the message, the HTTP status of the model's error shape, and ``fields`` (the shape's
    own members, e.g. ``fieldList``, ``reason``, ``resourceId``) as the error's members."""
    shape = service_model().shape_for(code)
    status = shape.metadata.get("error", {}).get("httpStatusCode", 400)
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
        "message": message,
        **fields,
    }
    cls: type[ClientError] = getattr(exceptions(), code)
    return cls(response, operation)  # type: ignore[arg-type]
