"""Job specs from YAML text, YAML files or Python dicts, into v1.JobSpec.

The YAML spelling is the CLI's (cli/job_spec_yaml.cc), reproduced rule for
rule so that a file `edgenas submit` accepts gives the same JobSpec here and
a file it refuses is refused with the same message:

  * keys are exactly the proto field names, read through the message
    descriptors (a new proto field needs no change here);
  * unknown keys, keys given twice, wrong shapes and wrong scalar types are
    refused naming the field path and the 1-based YAML line
    (`objectives[1].metrc: unknown field; known: metric, direction, ...
    (line 4)`), as INVALID_ARGUMENT;
  * a quoted scalar is a string: it is refused for integer, number and
    true/false fields; enum words are the value names in lower case
    (`maximize`), matched case-insensitively;
  * a list under space.options (`kernels: [3, 5, 7]`) is stored as its
    comma-joined text ("3,5,7");
  * tags, anchors, aliases and directives are refused, as are files over
    1 MiB and control characters (cli/yaml_guard.h).

Dicts follow the same rules with Python values: a str is a quoted scalar
(never an integer), an int or float is a plain number, None is null.
Semantic checks (known spaces, metrics, budgets) are the coordinator's.
"""
import os
import re

import yaml
from google.protobuf.descriptor import FieldDescriptor

from edgenas.errors import EdgenasError
from edgenas.v1 import job_pb2

import grpc

MAX_SPEC_YAML_BYTES = 1 << 20  # cli/yaml_guard.h kMaxJobSpecYamlBytes

_NULL_TAG = "tag:yaml.org,2002:null"
_INT = re.compile(r"^\s*[+-]?[0-9]+\s*$")
_UINT = re.compile(r"^\s*\+?[0-9]+\s*$")
_INT32 = (-(1 << 31), (1 << 31) - 1)
_INT64 = (-(1 << 63), (1 << 63) - 1)
_UINT32_MAX = (1 << 32) - 1
_UINT64_MAX = (1 << 64) - 1
_INT_TYPES = {FieldDescriptor.CPPTYPE_INT32, FieldDescriptor.CPPTYPE_INT64}
_UINT_TYPES = {FieldDescriptor.CPPTYPE_UINT32, FieldDescriptor.CPPTYPE_UINT64}
_FLOAT_TYPES = {FieldDescriptor.CPPTYPE_DOUBLE, FieldDescriptor.CPPTYPE_FLOAT}


def _invalid(message):
    return EdgenasError(grpc.StatusCode.INVALID_ARGUMENT, message)


def _c_hex_escape(text):
    """absl::CHexEscape over the UTF-8 bytes of `text`."""
    out = []
    for b in text.encode("utf-8"):
        c = chr(b)
        if c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif c in "\"'\\":
            out.append("\\" + c)
        elif b < 0x20 or b >= 0x7f:
            out.append("\\x%02x" % b)
        else:
            out.append(c)
    return "".join(out)


def _describe_text(text, quoted):
    raw = text.encode("utf-8")
    if len(raw) > 60:
        text = raw[:60].decode("utf-8", errors="ignore") + "..."
    return '"%s"%s' % (_c_hex_escape(text), " (quoted, so a string)" if quoted else "")


def _enum_word(value):
    return value.name.lower()


def _enum_words(enum_type):
    return [_enum_word(v) for v in enum_type.values if v.number != 0]


# -- The two sources: YAML nodes and Python values, behind one small interface.

class _YamlValue:
    """A composed YAML node as the reader sees it (yaml-cpp's view: null is
    not a scalar; quoted and block scalars are strings)."""

    def __init__(self, node):
        self.node = node

    def kind(self):
        n = self.node
        if isinstance(n, yaml.MappingNode):
            return "map"
        if isinstance(n, yaml.SequenceNode):
            return "list"
        if n.tag == _NULL_TAG and n.style is None:
            return "null"
        return "scalar"

    def is_quoted(self):
        return self.kind() == "scalar" and self.node.style is not None

    def scalar_text(self):
        return self.node.value

    def items(self):
        return [(_YamlValue(k), _YamlValue(v)) for k, v in self.node.value]

    def elements(self):
        return [_YamlValue(e) for e in self.node.value]

    def describe(self):
        kind = self.kind()
        if kind == "null":
            return "null"
        if kind == "list":
            return "a list"
        if kind == "map":
            return "a map"
        return _describe_text(self.node.value, self.is_quoted())

    def line_suffix(self):
        mark = self.node.start_mark
        if mark is None:
            return ""
        if self.kind() == "null" and self.node.value == "" and mark.buffer is not None:
            # An empty value ("parallelism:"): yaml-cpp marks it where the
            # next token starts, past blanks, line breaks and comments.
            return f" (line {_next_token_line(mark.buffer, mark.pointer)})"
        return f" (line {mark.line + 1})"


def _next_token_line(buffer, pos):
    """1-based line of the first character at or after `pos` that is not a
    blank, a line break or part of a comment (end of text if none)."""
    end = len(buffer.rstrip("\0"))
    while pos < end:
        c = buffer[pos]
        if c in " \t\r\n":
            pos += 1
        elif c == "#":
            newline = buffer.find("\n", pos)
            pos = end if newline < 0 else newline
        else:
            break
    return buffer.count("\n", 0, pos) + 1


class _PyValue:
    """A Python value: str is a quoted scalar, int/float/bool plain ones."""

    def __init__(self, value):
        self.value = value

    def kind(self):
        v = self.value
        if v is None:
            return "null"
        if isinstance(v, dict):
            return "map"
        if isinstance(v, (list, tuple)):
            return "list"
        if isinstance(v, (str, bool, int, float)):
            return "scalar"
        return "other"

    def is_quoted(self):
        return isinstance(self.value, str)

    def scalar_text(self):
        v = self.value
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float):
            return repr(v)
        return str(v)

    def items(self):
        return [(_PyValue(k), _PyValue(v)) for k, v in self.value.items()]

    def elements(self):
        return [_PyValue(e) for e in self.value]

    def describe(self):
        kind = self.kind()
        if kind == "null":
            return "null"
        if kind == "list":
            return "a list"
        if kind == "map":
            return "a map"
        if kind == "other":
            return f"a {type(self.value).__name__}"
        if isinstance(self.value, str):
            return _describe_text(self.value, False)
        return self.scalar_text()

    def line_suffix(self):
        return ""


class _Reader:
    """cli/job_spec_yaml.cc's SpecReader over either kind of value."""

    def error(self, path, value, what):
        return _invalid(f"{path}: {what}{value.line_suffix()}")

    def expected(self, path, value, type_words):
        return self.error(path, value, f"expected {type_words}, got {value.describe()}")

    def read_message(self, value, path, message):
        if value.kind() != "map":
            raise self.expected(path, value, "a map")
        descriptor = message.DESCRIPTOR
        seen = set()
        for key, item in value.items():
            if key.kind() != "scalar" or (isinstance(key, _PyValue) and not key.is_quoted()):
                raise self.error(path or "job spec", key,
                                 f"field names must be plain words, got {key.describe()}")
            name = key.scalar_text()
            field_path = f"{path}.{name}" if path else name
            field = descriptor.fields_by_name.get(name)
            if field is None:
                known = ", ".join(f.name for f in descriptor.fields)
                raise self.error(field_path, key, f"unknown field; known: {known}")
            if name in seen:
                raise self.error(field_path, key, "field given twice")
            seen.add(name)
            self.read_field(item, field_path, field, message)

    def read_field(self, value, path, field, message):
        if _is_map(field):
            return self.read_map(value, path, field, message)
        if field.label != FieldDescriptor.LABEL_REPEATED:
            return self.read_value(value, path, field, message)
        if value.kind() != "list":
            raise self.expected(path, value, "a list")
        for i, element in enumerate(value.elements()):
            self.read_value(element, f"{path}[{i}]", field, message)

    def read_map(self, value, path, field, message):
        if value.kind() != "map":
            raise self.expected(path, value, "a map")
        key_field = field.message_type.fields_by_name["key"]
        value_field = field.message_type.fields_by_name["value"]
        container = getattr(message, field.name)
        seen = set()
        for key, item in value.items():
            if key.kind() != "scalar":
                raise self.expected(path, key, "plain keys")
            key_text = key.scalar_text()
            entry_path = f"{path}.{key_text}"
            if key_text in seen:
                raise self.error(entry_path, key, "key given twice")
            seen.add(key_text)
            map_key = self._convert_scalar(key, path, key_field)
            # A list of plain values in space.options (a list option,
            # "kernels: [3, 5, 7]") is stored as its comma-joined text.
            if path == "space.options" and item.kind() == "list":
                parts = []
                for element in item.elements():
                    if element.kind() != "scalar":
                        raise self.expected(entry_path, element, "plain values")
                    parts.append(element.scalar_text())
                container[map_key] = ",".join(parts)
                continue
            if value_field.cpp_type == FieldDescriptor.CPPTYPE_MESSAGE:
                self.read_message(item, entry_path, container[map_key])
            else:
                container[map_key] = self._convert_scalar(item, entry_path, value_field)

    def read_value(self, value, path, field, message):
        repeated = field.label == FieldDescriptor.LABEL_REPEATED
        if field.cpp_type == FieldDescriptor.CPPTYPE_MESSAGE:
            child = getattr(message, field.name).add() if repeated else getattr(message,
                                                                                field.name)
            if not repeated:
                child.SetInParent()  # an empty map still sets the field, as in C++
            return self.read_message(value, path, child)
        converted = self._convert_scalar(value, path, field)
        if repeated:
            getattr(message, field.name).append(converted)
        else:
            setattr(message, field.name, converted)

    def _scalar_text(self, value, path, type_words, allow_quoted):
        if value.kind() != "scalar" or (not allow_quoted and value.is_quoted()):
            raise self.expected(path, value, type_words)
        return value.scalar_text()

    def _convert_scalar(self, value, path, field):
        cpp = field.cpp_type
        if cpp == FieldDescriptor.CPPTYPE_STRING:
            return self._scalar_text(value, path, "a string", True)
        if cpp in _INT_TYPES:
            if isinstance(value, _PyValue) and isinstance(value.value, float):
                raise self.expected(path, value, "an integer")
            text = self._scalar_text(value, path, "an integer", False)
            if not _INT.match(text):
                raise self.expected(path, value, "an integer")
            number = int(text)
            if cpp == FieldDescriptor.CPPTYPE_INT32:
                if not _INT32[0] <= number <= _INT32[1]:
                    raise self.error(path, value,
                                     f"integer {text} is out of the 32-bit range")
            elif not _INT64[0] <= number <= _INT64[1]:
                raise self.expected(path, value, "an integer")
            return number
        if cpp in _UINT_TYPES:
            words = "a non-negative integer"
            if isinstance(value, _PyValue) and isinstance(value.value, float):
                raise self.expected(path, value, words)
            text = self._scalar_text(value, path, words, False)
            limit = _UINT32_MAX if cpp == FieldDescriptor.CPPTYPE_UINT32 else _UINT64_MAX
            if not _UINT.match(text) or int(text) > limit:
                raise self.expected(path, value, words)
            return int(text)
        if cpp in _FLOAT_TYPES:
            text = self._scalar_text(value, path, "a number", False)
            if "_" in text:
                raise self.expected(path, value, "a number")
            try:
                return float(text)
            except ValueError:
                raise self.expected(path, value, "a number") from None
        if cpp == FieldDescriptor.CPPTYPE_BOOL:
            text = self._scalar_text(value, path, "true or false", False)
            if text not in ("true", "false"):
                raise self.expected(path, value, "true or false")
            return text == "true"
        if cpp == FieldDescriptor.CPPTYPE_ENUM:
            enum_type = field.enum_type
            one_of = "one of " + ", ".join(_enum_words(enum_type))
            if (isinstance(value, _PyValue) and isinstance(value.value, int)
                    and not isinstance(value.value, bool)):
                # A generated constant such as job_pb2.MAXIMIZE.
                number = enum_type.values_by_number.get(value.value)
                if number is None or value.value == 0:
                    raise self.expected(path, value, one_of)
                return value.value
            text = self._scalar_text(value, path, one_of, True)
            for v in enum_type.values:
                if v.number != 0 and text.lower() == _enum_word(v):
                    return v.number
            raise self.expected(path, value, one_of)
        raise self.error(path, value, "field type not supported in YAML")


def _is_map(field):
    return (field.label == FieldDescriptor.LABEL_REPEATED
            and field.cpp_type == FieldDescriptor.CPPTYPE_MESSAGE
            and field.message_type.GetOptions().map_entry)


# -- YAML guards (cli/yaml_guard.cc): what a job spec never needs.

def _guard_yaml(text):
    size = len(text.encode("utf-8"))
    if size > MAX_SPEC_YAML_BYTES:
        raise _invalid(f"job spec: {size} bytes; at most {MAX_SPEC_YAML_BYTES}")
    for i, c in enumerate(text):
        o = ord(c)
        if (o < 0x20 and c not in "\t\n\r") or o == 0x7F:
            line = text.count("\n", 0, i) + 1
            raise _invalid("job spec is not valid YAML here: control character 0x%x (line %d)"
                           % (o, line))
    refused = (yaml.TagToken, yaml.AnchorToken, yaml.AliasToken, yaml.DirectiveToken)
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, refused):
                mark = token.start_mark
                raise _invalid(
                    "job spec is not valid YAML here: tags (!), anchors (&), aliases (*) and "
                    "directives (%) are not used in job specs; quote the value "
                    f"(line {mark.line + 1}, column {mark.column + 1})")
    except yaml.YAMLError:
        pass  # reported with its line by the parse below


def _yaml_error(error):
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    suffix = "" if mark is None else f" (line {mark.line + 1})"
    return _invalid(f"job spec is not valid YAML: {problem}{suffix}")


def parse_yaml(text):
    """JobSpec from YAML text; EdgenasError(INVALID_ARGUMENT) naming the
    field path and line, as `edgenas submit` says it."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise _invalid(f"job spec is not valid YAML: not UTF-8 text (byte {e.start})") \
                from None
    _guard_yaml(text)
    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as e:
        raise _yaml_error(e) from None
    if not documents or (documents[0] is None or _YamlValue(documents[0]).kind() == "null"):
        raise _invalid("job spec is empty")
    if len(documents) > 1:
        second = documents[1]
        suffix = "" if second is None else _YamlValue(second).line_suffix()
        raise _invalid(f"job spec: expected one YAML document, got {len(documents)}{suffix}")
    root = _YamlValue(documents[0])
    reader = _Reader()
    if root.kind() != "map":
        raise reader.expected("job spec", root, "a map of fields at the top level")
    spec = job_pb2.JobSpec()
    reader.read_message(root, "", spec)
    return spec


def load_file(path):
    """JobSpec from a YAML file; NOT_FOUND when it cannot be read, parse
    errors prefixed with the path (as LoadJobSpecFile)."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        raise EdgenasError(grpc.StatusCode.NOT_FOUND,
                           f"{path}: cannot open the job spec file") from None
    try:
        return parse_yaml(data)
    except EdgenasError as e:
        raise EdgenasError(e.code, f"{path}: {e.message}") from None


def from_dict(spec):
    """JobSpec from a dict shaped like the YAML (same keys, same rules)."""
    reader = _Reader()
    root = _PyValue(spec)
    if root.kind() != "map":
        raise reader.expected("job spec", root, "a map of fields at the top level")
    message = job_pb2.JobSpec()
    reader.read_message(root, "", message)
    return message


def _looks_like_path(text):
    return "\n" not in text and text.strip().endswith((".yaml", ".yml"))


def to_job_spec(spec):
    """A JobSpec from what Client.submit accepts: a JobSpec, a dict, a path
    (str ending in .yaml/.yml, or os.PathLike) or YAML text."""
    if isinstance(spec, job_pb2.JobSpec):
        return spec
    if isinstance(spec, dict):
        return from_dict(spec)
    if isinstance(spec, os.PathLike):
        return load_file(spec)
    if isinstance(spec, bytes):
        return parse_yaml(spec)
    if isinstance(spec, str):
        if _looks_like_path(spec) or ("\n" not in spec and os.path.isfile(spec)):
            return load_file(spec)
        return parse_yaml(spec)
    raise TypeError("spec must be a dict, YAML text, a path to a YAML file or a "
                    f"edgenas.v1.job_pb2.JobSpec, got {type(spec).__name__}")
