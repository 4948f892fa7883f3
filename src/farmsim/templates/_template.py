"""The decoded job template record: :class:`Template` and its :class:`ParameterInfo` listing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = ["ParameterInfo", "Template", "is_deadline_setting"]


def is_deadline_setting(name: str) -> bool:
    """True for a job bundle value that is a Deadline job setting (``deadline:priority``,
    ``deadline:maxRetriesPerTask``, ...) rather than a template parameter. OpenJD parameter names
    are identifiers, so none can carry a colon."""
    return ":" in name


@dataclass(frozen=True, slots=True)
class ParameterInfo:
    """One job parameter a template defines, as a ``farmsim template`` listing shows it.

    Attributes:
        name: the parameter's name.
        type: its OpenJD type, e.g. ``"INT"``, ``"PATH"``, ``"LIST[STRING]"``.
        default: its default value (a float for a FLOAT default), or None when it has none and
            a value must be supplied.
        description: the template's description of it, or None.
    """

    name: str
    type: str
    default: Any = None
    description: str | None = None

    @property
    def required(self) -> bool:
        """True when the parameter has no default, so every job must supply a value."""
        return self.default is None


@dataclass(frozen=True, slots=True, kw_only=True)
class Template:
    """A job template decoded once by openjd-model, shared by every job submitted with it.

    Templates are made by :func:`~farmsim.templates.load_template`, which returns the same object
    for the same content, so identity is cheap to test. Two templates are equal when their
    ``key``, ``name``, ``path`` and ``directory`` are.

    Attributes:
        key: a hash of the template's content, its bundle parameter values and its location.
        name: the template's raw ``name`` field, a format string such as
            ``"Render {{Param.Shot}}"``.
        path: the template file or job bundle folder, None for an inline template.
        directory: the folder PATH parameter defaults are relative to (openjd's
            ``job_template_dir``): the file's or bundle's folder, or ``base_dir`` when inline.
        job_template: openjd-model's decoded ``JobTemplate``.
        bundle_parameters: values from the bundle's ``parameter_values`` file, by name, including
            any ``deadline:*`` job settings.
    """

    key: str
    name: str
    path: str | None
    directory: Path
    job_template: Any = field(compare=False, repr=False)
    bundle_parameters: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType({}), compare=False
    )

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled with its bundle parameters as a plain dict (a mappingproxy does not
        pickle), so that a scenario can go to another process (a process pool, a cluster)."""
        return (_template, (self.key, self.name, self.path, self.directory, self.job_template,
                            dict(self.bundle_parameters)))

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Names of the job parameters the template defines, in template order."""
        return tuple(p.name for p in self.job_template.parameterDefinitions or ())

    @property
    def parameters(self) -> tuple[ParameterInfo, ...]:
        """The job parameters the template defines (name, type, default), in template order."""
        return tuple(_parameter_info(p) for p in self.job_template.parameterDefinitions or ())

    @property
    def deadline_settings(self) -> Mapping[str, Any]:
        """The bundle's ``deadline:*`` values (job settings such as ``deadline:priority``)."""
        return MappingProxyType(
            {k: v for k, v in self.bundle_parameters.items() if is_deadline_setting(k)}
        )


def _template(key: str, name: str, path: str | None, directory: Path, job_template: Any,
              bundle_parameters: dict[str, Any]) -> Template:
    """A :class:`Template` unpickled."""
    return Template(key=key, name=name, path=path, directory=directory,
                    job_template=job_template,
                    bundle_parameters=MappingProxyType(bundle_parameters))


def _parameter_info(definition: Any) -> ParameterInfo:
    default = definition.default
    if isinstance(default, Decimal):
        default = float(default)
    type_ = getattr(definition.type, "value", definition.type)
    return ParameterInfo(
        name=definition.name,
        type=str(type_),
        default=default,
        description=getattr(definition, "description", None),
    )
