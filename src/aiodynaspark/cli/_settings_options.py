"""Command-line options built from a settings model, so each setting is declared once.

A field becomes ``--<name-with-dashes>`` (a switch on by default: ``--no-<name>``; a tuple:
a repeatable option), typed and bounded as the field is, with its description as help. Only
values typed on the command line are handed on: the model itself applies the environment
and the defaults, so the command line, the variables and the Python keywords agree.
"""

from collections.abc import Callable, Sequence
from types import UnionType
from typing import TYPE_CHECKING, Any, get_args

import annotated_types
import click
from click.core import ParameterSource

if TYPE_CHECKING:
    from pydantic import BaseModel
    from pydantic.fields import FieldInfo

__all__ = ["SettingsCommand", "given_on_command_line"]


def _range(field: "FieldInfo", number: type[int] | type[float]) -> "click.ParamType[Any]":
    low: float | None = None
    high: float | None = None
    low_open = False
    for mark in field.metadata:
        if isinstance(mark, annotated_types.Gt):
            low, low_open = float(mark.gt), True  # type: ignore[arg-type]
        elif isinstance(mark, annotated_types.Ge):
            low = float(mark.ge)  # type: ignore[arg-type]
        elif isinstance(mark, annotated_types.Le):
            high = float(mark.le)  # type: ignore[arg-type]
    if number is int:
        return click.IntRange(
            None if low is None else int(low) + int(low_open), None if high is None else int(high)
        )
    return click.FloatRange(low, high, min_open=low_open)


def _option(name: str, field: "FieldInfo", variable: str, flag_of: Callable[..., Any]) -> Any:
    mark = flag_of(field)
    declared = None if mark is None else mark.name
    metavar = None if mark is None else mark.metavar
    dashed = name.replace("_", "-")
    kind = field.annotation
    members = set(get_args(kind)) - {type(None)} if isinstance(kind, UnionType) else {kind}
    default = field.default
    shown = "" if default in (None, ()) or bool in members else f"; default: {default}"
    help_text = f"{field.description} [env: {variable}{shown}]"
    if bool in members:
        switch = declared or (f"--no-{dashed}" if default is True else f"--{dashed}")
        if default is True:
            help_text = f"Turn off what is on by default: {help_text[0].lower()}{help_text[1:]}"
        return click.Option(
            [switch, name],
            is_flag=True,
            flag_value=default is not True,
            default=None,
            help=help_text,
        )
    flag = declared or f"--{dashed}"
    if members & {int}:
        param_type: click.ParamType[Any] = _range(field, int)
    elif members & {float}:
        param_type = _range(field, float)
    else:
        param_type = click.STRING
    repeated = any(getattr(member, "__origin__", None) is tuple for member in members)
    return click.Option(
        [flag, name],
        type=param_type,
        metavar=metavar,
        multiple=repeated,
        default=None,
        help=help_text,
    )


class SettingsCommand(click.Command):
    """A command whose options are a settings model's fields, built when first needed.

    The model is imported only then (``--help`` of the whole CLI never pays for it), and a
    missing optional dependency surfaces from ``load`` as the command's own error.

    Args:
        load: Returns the settings model, the function naming a field's flag (or
            ``None``), and the function naming a field's environment variable.
        skip: Fields that get no option from the model (the command declares its own).
    """

    def __init__(
        self,
        *args: Any,
        load: Callable[[], tuple[type["BaseModel"], Callable[..., Any], Callable[..., str]]],
        skip: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._load = load
        self._skip = frozenset(skip)
        self._derived: list[click.Parameter] | None = None

    def settings_params(self) -> list[click.Parameter]:
        """The options derived from the model, in the order of its fields."""
        if self._derived is None:
            model, flag_of, variable_of = self._load()
            options = []
            # The command's own fields (host, port ...) first, then those it inherits.
            declared = [
                name for cls in model.__mro__ for name in vars(cls).get("__annotations__", {})
            ]
            order = {name: index for index, name in enumerate(dict.fromkeys(declared))}
            fields = sorted(model.model_fields.items(), key=lambda item: order.get(item[0], 0))
            for name, field in fields:
                mark = flag_of(field)
                if name in self._skip or (mark is not None and mark.name == ""):
                    continue
                options.append(_option(name, field, variable_of(name, field), flag_of))
            self._derived = options
        return self._derived

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        return [*self.settings_params(), *super().get_params(ctx)]


def given_on_command_line(ctx: click.Context, values: dict[str, Any]) -> dict[str, Any]:
    """The settings the user typed (repeatable ones as tuples); the rest is the model's."""
    given = {}
    for name, value in values.items():
        if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE:
            given[name] = tuple(value) if isinstance(value, list | tuple) else value
    return given
