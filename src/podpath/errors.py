"""Errors podpath raises, with locations. Recoverable problems are :class:`~podpath.model.Note`
records collected on results, never raised.

    PodpathError                 base of everything podpath raises on purpose
    ├── InputError               bad input: file, document index, object, field path
    ├── ClusterAccessError       a live cluster could not be read (resource, HTTP status)
    ├── StateDirError            the data plane's state folder is unsafe, malformed or locked
    └── UnsupportedError         a request podpath cannot answer here (e.g. `up` without root)

The CLI maps every ``PodpathError`` to one line on standard error and exit status 2.
"""

from __future__ import annotations

# Message templates (tests assert against these constants).
MSG_NOT_A_MAPPING = "expected a mapping, got {got}"
MSG_NOT_A_LIST = "expected a list, got {got}"
MSG_NOT_AN_INT = "expected an integer, got {got}"
MSG_NOT_A_STRING = "expected a string, got {got}"
MSG_NOT_A_BOOL = "expected true or false, got {got}"
MSG_MISSING = "required field is missing"
MSG_BAD_PORT = "port {got} is out of range 1-65535"
MSG_BAD_PROTOCOL = "unknown protocol {got!r} (TCP, UDP or SCTP)"
MSG_BAD_OPERATOR = "invalid label selector operator {got!r} (In, NotIn, Exists, DoesNotExist)"
MSG_BAD_SELECTOR_VALUES = "operator {op} {need} values"
MSG_BAD_IP = "invalid IP address {got!r}"
MSG_BAD_CIDR = "invalid CIDR {got!r}"
MSG_YAML = "invalid YAML: {problem} (line {line}, column {column})"
MSG_TEMPLATE_HINT = (
    "; it looks like an unrendered Helm template ({{ }}): render it first, "
    "e.g. helm template CHART | podpath COMMAND -f -"
)
MSG_JSON = "invalid JSON: {problem} (line {line}, column {column})"
MSG_NO_SUCH_PATH = "no such file or directory"
MSG_TOO_LARGE = "file is larger than the {limit} byte limit"
MSG_ALIAS_BOMB = "YAML aliases expand to more than {limit} nodes (an alias bomb?)"
MSG_TOO_DEEP = "YAML nesting is deeper than {limit} levels"
MSG_DUPLICATE = "duplicate object {obj} (first defined in {first})"


class PodpathError(Exception):
    """Base class of the errors podpath raises on purpose."""


class InputError(PodpathError):
    """Bad input, located: the file, the document's index, the object and the field path."""

    def __init__(
        self,
        message: str,
        *,
        path: str = "",
        doc_index: int | None = None,
        obj: str = "",
        field: str = "",
        line: int | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.doc_index = doc_index
        self.obj = obj
        self.field = field
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.path:
            where.append(self.path if self.line is None else f"{self.path}:{self.line}")
        if self.doc_index is not None:
            where.append(f"document {self.doc_index}")
        if self.obj:
            where.append(self.obj)
        if self.field:
            where.append(f"field {self.field}")
        prefix = ": ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class ClusterAccessError(PodpathError):
    """A live cluster could not be read."""

    def __init__(self, message: str, *, resource: str = "", status: int | None = None) -> None:
        self.resource = resource
        self.status = status
        detail = f" ({resource}" + (f", HTTP {status}" if status else "") + ")" if resource else ""
        super().__init__(f"cannot read the cluster{detail}: {message}")


class StateDirError(PodpathError):
    """The data plane's state folder or a file in it is not safe to trust (owner, mode,
    symlink), not what podpath wrote, or locked by another podpath command."""


class UnsupportedError(PodpathError):
    """A request podpath cannot answer here."""
