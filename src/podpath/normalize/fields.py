"""Typed, located access to a raw object's fields: every error names the file, the document,
the object and the field path (e.g. ``spec.ports[0].port``)."""

from __future__ import annotations

import builtins
import ipaddress
import re
from typing import Any

from podpath.errors import (
    MSG_BAD_CIDR,
    MSG_BAD_IP,
    MSG_BAD_PORT,
    MSG_BAD_PROTOCOL,
    MSG_MISSING,
    MSG_NOT_A_BOOL,
    MSG_NOT_A_LIST,
    MSG_NOT_A_MAPPING,
    MSG_NOT_A_STRING,
    MSG_NOT_AN_INT,
    InputError,
)
from podpath.model.core import EMPTY_LABELS, Labels, Protocol, SourceRef

PROTOCOLS: dict[str, Protocol] = {p.value: p for p in Protocol}
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# An IPv4 address as ipaddress writes it (no leading zeros): kept as given, no parsing.
CANONICAL_IPV4 = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}")


# A number or boolean where the API has a string: what YAML made of an unquoted value (e.g.
# `yes`, `n`, `1.0`, `0o14`); the API server refuses it (json: cannot unmarshal number or
# bool into a string field). See podpath.sources.yaml_values.
MSG_SCALAR_NOT_STRING = (
    "expected a string, got the {kind} {got} (what YAML reads of the unquoted value; "
    "Kubernetes refuses it here: quote it)"
)
MAX_INT_DIGITS = 18  # a string of more digits is no int64 (and int() of it is bounded)


def _not_a_string(value: Any) -> builtins.str:
    """The error for a non-string where the API wants a string."""
    if isinstance(value, bool):
        return MSG_SCALAR_NOT_STRING.format(kind="boolean", got="true" if value else "false")
    if isinstance(value, int | float):
        return MSG_SCALAR_NOT_STRING.format(kind="number", got=repr(value))
    return MSG_NOT_A_STRING.format(got=_show(value))


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


class Fields:
    """A view of one mapping inside a raw object, with its field path for errors.

    The path is formatted only when an error needs it: a nested view keeps its parent and
    its key (a field name, or (field name, index) for an item of a list)."""

    __slots__ = ("raw", "source", "obj", "_path", "_parent", "_key")

    def __init__(
        self,
        raw: dict[builtins.str, Any],
        source: SourceRef,
        obj: builtins.str,
        path: builtins.str = "",
    ) -> None:
        self.raw = raw
        self.source = source
        self.obj = obj
        self._path: builtins.str | None = path
        self._parent: Fields | None = None
        self._key: builtins.str | tuple[builtins.str, builtins.int] = ""

    @property
    def path(self) -> builtins.str:
        """The field path of this mapping in its object (``spec.containers[0]``)."""
        path = self._path
        if path is None:
            assert self._parent is not None
            key = self._key
            if isinstance(key, tuple):
                path = f"{self._parent.child_path(key[0])}[{key[1]}]"
            else:
                path = self._parent.child_path(key)
            self._path = path
        return path

    def _child(
        self, raw: dict[builtins.str, Any], key: builtins.str | tuple[builtins.str, builtins.int]
    ) -> Fields:
        child = _new_fields(Fields)
        child.raw = raw
        child.source = self.source
        child.obj = self.obj
        child._path = None
        child._parent = self
        child._key = key
        return child

    # -- errors -------------------------------------------------------------------------
    def error(self, key: builtins.str | None, message: builtins.str) -> InputError:
        return InputError(
            message,
            path=self.source.path,
            doc_index=self.source.doc_index,
            obj=self.obj,
            field=self.child_path(key) if key is not None else self.path,
        )

    def child_path(self, key: builtins.str | builtins.int) -> builtins.str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    # -- access -------------------------------------------------------------------------
    def has(self, key: builtins.str) -> builtins.bool:
        return self.raw.get(key) is not None

    def get(self, key: builtins.str) -> Any:
        return self.raw.get(key)

    def map(self, key: builtins.str) -> Fields:
        """A nested mapping; absent or null gives an empty one."""
        value = self.raw.get(key)
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise self.error(key, MSG_NOT_A_MAPPING.format(got=_show(value)))
        return self._child(value, key)

    def maybe_map(self, key: builtins.str) -> Fields | None:
        return self.map(key) if self.raw.get(key) is not None else None

    def list(self, key: builtins.str) -> builtins.list[Any]:
        value = self.raw.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(key, MSG_NOT_A_LIST.format(got=_show(value)))
        return value

    def maps(self, key: builtins.str) -> builtins.list[Fields]:
        """A list of mappings, each a :class:`Fields` with its index in the path."""
        value = self.raw.get(key)
        if value is None:
            return []
        if type(value) is builtins.list and all(type(item) is dict for item in value):
            source, obj = self.source, self.obj
            out: builtins.list[Fields] = []
            for i, item in enumerate(value):
                child = _new_fields(Fields)
                child.raw, child.source, child.obj = item, source, obj
                child._path, child._parent, child._key = None, self, (key, i)
                out.append(child)
            return out
        return self._located_maps(key)

    def _located_maps(self, key: builtins.str) -> builtins.list[Fields]:
        out: builtins.list[Fields] = []
        for i, item in enumerate(self.list(key)):
            if not isinstance(item, dict):
                raise InputError(
                    MSG_NOT_A_MAPPING.format(got=_show(item)),
                    path=self.source.path,
                    doc_index=self.source.doc_index,
                    obj=self.obj,
                    field=f"{self.child_path(key)}[{i}]",
                )
            out.append(self._child(item, (key, i)))
        return out

    def str(self, key: builtins.str, default: builtins.str | None = None) -> builtins.str | None:
        value = self.raw.get(key)
        if value is None:
            return default
        if type(value) is builtins.str:
            return value
        if not isinstance(value, str):
            raise self.error(key, _not_a_string(value))
        return str(value)

    def req_str(self, key: builtins.str) -> builtins.str:
        value = self.str(key)
        if value is None or value == "":
            raise self.error(key, MSG_MISSING)
        return value

    def strs(self, key: builtins.str) -> tuple[builtins.str, ...]:
        out = []
        for i, item in enumerate(self.list(key)):
            if not isinstance(item, str):
                raise self.error(f"{key}[{i}]", _not_a_string(item))
            out.append(str(item))
        return tuple(out)

    def int(self, key: builtins.str, default: builtins.int | None = None) -> builtins.int | None:
        value = self.raw.get(key)
        if value is None:
            return default
        if type(value) is builtins.int:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            digits = value.strip().lstrip("-") if isinstance(value, str) else ""
            if digits.isascii() and digits.isdigit() and len(digits) <= MAX_INT_DIGITS:
                return int(value)
            raise self.error(key, MSG_NOT_AN_INT.format(got=_show(value)))
        return value

    def bool(self, key: builtins.str, default: builtins.bool = False) -> builtins.bool:
        value = self.raw.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(key, MSG_NOT_A_BOOL.format(got=_show(value)))
        return value

    def labels(self, key: builtins.str) -> Labels:
        """A string map (labels, annotations, selectors): a null value is "" (as JSON null
        decodes into a Go string); a number or boolean is refused, as the API server does."""
        value = self.raw.get(key)
        if value is None:
            return EMPTY_LABELS
        if not isinstance(value, dict):
            raise self.error(key, MSG_NOT_A_MAPPING.format(got=_show(value)))
        if not value:
            return EMPTY_LABELS
        for k, v in value.items():
            if type(k) is not builtins.str or type(v) is not builtins.str:
                break
        else:  # strings only: taken as they are
            return Labels(value)
        out: dict[str, str] = {}
        for k, v in value.items():
            if v is not None and not isinstance(v, str):
                raise self.error(f"{key}.{k}", _not_a_string(v))
            out[str(k)] = "" if v is None else v
        return Labels(out)

    def port_number(
        self, key: builtins.str, default: builtins.int | None = None
    ) -> builtins.int | None:
        value = self.int(key, default)
        if value is not None and not 1 <= value <= 65535:
            raise self.error(key, MSG_BAD_PORT.format(got=value))
        return value

    def int_or_string(self, key: builtins.str) -> builtins.int | builtins.str | None:
        """An ``IntOrString`` port: a number, or a name (digits given as a string count as a
        number, as the API's IntOrString decoding of a quoted number does not, but users
        mean it)."""
        value = self.raw.get(key)
        if value is None:
            return None
        if isinstance(value, bool):
            raise self.error(key, MSG_NOT_AN_INT.format(got=_show(value)))
        if isinstance(value, int):
            if not 1 <= value <= 65535:
                raise self.error(key, MSG_BAD_PORT.format(got=value))
            return value
        if isinstance(value, str):
            if value.isascii() and value.isdigit():
                return self.port_number(key)
            if not value:
                raise self.error(key, MSG_MISSING)
            return value
        raise self.error(key, MSG_NOT_AN_INT.format(got=_show(value)))

    def protocol(self, key: builtins.str = "protocol") -> Protocol:
        """``protocol``, defaulting to TCP."""
        value = self.str(key, "TCP") or "TCP"
        protocol = PROTOCOLS.get(value.upper())
        if protocol is None:
            raise self.error(key, MSG_BAD_PROTOCOL.format(got=value))
        return protocol

    def ip(
        self,
        key: builtins.str,
        value: builtins.str | None = None,
        index: builtins.int | None = None,
    ) -> builtins.str:
        raw = value if value is not None else self.raw.get(key)
        if type(raw) is builtins.str and CANONICAL_IPV4.fullmatch(raw):
            return raw
        try:
            return str(ipaddress.ip_address(str(raw).strip()))
        except ValueError:
            field = key if index is None else f"{key}[{index}]"
            raise self.error(field, MSG_BAD_IP.format(got=raw)) from None

    def ips(self, key: builtins.str) -> tuple[builtins.str, ...]:
        return tuple(self.ip(key, item, i) for i, item in enumerate(self.strs(key)))

    def cidr(
        self,
        key: builtins.str,
        value: builtins.str | None = None,
        index: builtins.int | None = None,
    ) -> builtins.str:
        raw = value if value is not None else self.raw.get(key)
        try:
            return str(ipaddress.ip_network(str(raw).strip(), strict=False))
        except ValueError:
            field = key if index is None else f"{key}[{index}]"
            raise self.error(field, MSG_BAD_CIDR.format(got=raw)) from None

    def cidrs(self, key: builtins.str) -> tuple[builtins.str, ...]:
        return tuple(self.cidr(key, item, i) for i, item in enumerate(self.strs(key)))


_new_fields = object.__new__


def object_fields(raw: dict[str, Any], source: SourceRef) -> tuple[Fields, Fields, str, str]:
    """(whole object, metadata, namespace or "", name) for a raw object."""
    kind = raw.get("kind") if isinstance(raw.get("kind"), str) else "?"
    meta_raw = raw.get("metadata")
    if type(meta_raw) is dict:
        name = meta_raw.get("name")
        if type(name) is str and name:  # the usual case: what the general path gives
            ns = meta_raw.get("namespace")
            label = f"{kind} {ns + '/' if isinstance(ns, str) else ''}{name}"
            top = Fields(raw, source, label)
            return top, top._child(meta_raw, "metadata"), ns if isinstance(ns, str) else "", name
    name = meta_raw.get("name") if isinstance(meta_raw, dict) else None
    ns = meta_raw.get("namespace") if isinstance(meta_raw, dict) else None
    label = f"{kind} {ns + '/' if isinstance(ns, str) else ''}{name if name else '(unnamed)'}"
    top = Fields(raw, source, label)
    meta = top.map("metadata")
    return top, meta, str(ns) if isinstance(ns, str) else "", str(meta.req_str("name"))
