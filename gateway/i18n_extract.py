"""A Babel extractor for the gateway's symbolic message keys.

Code never wraps texts in ``_()``: it names a key, ``catalogs().text("ussd.help", lang, ...)``,
and USSD flows name keys in YAML (``text: ussd.main.title``). ``babel.cfg`` points
``pybabel extract`` at :func:`extract_keys`, which understands three kinds of file:

* Python (``*.py``): the string literal passed first to a ``.text(``, ``.raw(`` or ``.variants(``
  call, when it looks like a key (``area.name``, lower case, dotted).
* Flow YAML (``*.yaml``/``*.yml``): every string under a mapping key ``text``, ``label`` or
  ``hint``, at any depth (a list of strings there counts too).
* The English catalog (``*.po``): every key it declares. This is how keys that code only reaches
  through data (keywords, the consent version stored with each consent, keys built at run time)
  reach ``messages.pot``: the English catalog is where a key is declared with its English text, so
  ``pybabel update`` never drops a key that has one. Removing a key is deleting it from the English
  catalog; if code or a flow still uses it, the next extraction brings it back without English and
  ``messages lint`` fails. Each such entry carries the English catalog's comment for it, its English
  text and its placeholders as extracted comments, which ``pybabel update`` copies into every other
  language's catalog for its translators.
"""

from __future__ import annotations

import ast
import io
import re
from collections.abc import Collection, Iterator, Mapping
from string import Formatter
from typing import IO, Any

import yaml
from babel.messages.pofile import read_po

# (line number, function name, message, comments), as Babel's extraction protocol wants. The
# function name is always None: Babel would look a name up in its keyword table, and None means
# "take the message as it is".
Extracted = tuple[int, None, str, list[str]]

CALL_NAMES = frozenset({"text", "raw", "variants"})
FLOW_FIELDS = frozenset({"text", "label", "hint"})
KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")


def extract_keys(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Yield the message keys a file uses; Babel's extractor signature.

    The kind of file comes from the ``kind`` option (``python``, ``flow`` or ``catalog``, settable
    per section in ``babel.cfg``), else from the file name's ending.
    """
    kind = options.get("kind") or _kind_of(str(getattr(fileobj, "name", "")))
    source = fileobj.read()
    if kind == "python":
        yield from _from_python(source.decode(str(options.get("encoding", "utf-8"))))
    elif kind == "flow":
        yield from _from_flow(source.decode(str(options.get("encoding", "utf-8"))))
    elif kind == "catalog":
        yield from _from_catalog(source)
    else:
        raise ValueError(f"extract_keys: cannot tell what kind of file {fileobj!r} is")


def _kind_of(name: str) -> str | None:
    if name.endswith(".py"):
        return "python"
    if name.endswith((".yaml", ".yml")):
        return "flow"
    if name.endswith((".po", ".pot")):
        return "catalog"
    return None


def _from_python(source: str) -> Iterator[Extracted]:
    calls = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)]
    for call in sorted(calls, key=lambda node: (node.lineno, node.col_offset)):
        if not (isinstance(call.func, ast.Attribute) and call.func.attr in CALL_NAMES):
            continue
        first = call.args[0] if call.args else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            if KEY_PATTERN.fullmatch(first.value):
                yield first.lineno, None, first.value, []


def _from_flow(source: str) -> Iterator[Extracted]:
    # compose (not load) keeps each scalar's line; a flow field holding free text instead of a key
    # is extracted too, so the lint reports it as a key with no English text.
    seen: set[int] = set()
    for document in yaml.compose_all(source, Loader=yaml.SafeLoader):
        if document is not None:
            yield from _flow_node(document, seen)


def _flow_node(node: yaml.Node, seen: set[int]) -> Iterator[Extracted]:
    if id(node) in seen:  # an alias to a node already walked
        return
    seen.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _flow_node(item, seen)
    elif isinstance(node, yaml.MappingNode):
        for field, value in node.value:
            if isinstance(field, yaml.ScalarNode) and field.value in FLOW_FIELDS:
                yield from _flow_scalars(value)
            else:
                yield from _flow_node(value, seen)


def _flow_scalars(node: yaml.Node) -> Iterator[Extracted]:
    values = node.value if isinstance(node, yaml.SequenceNode) else [node]
    for value in values:
        if isinstance(value, yaml.ScalarNode) and value.tag.endswith(":str") and value.value:
            yield value.start_mark.line + 1, None, value.value, []


def _from_catalog(source: bytes) -> Iterator[Extracted]:
    # Line 0: Babel then writes the catalog's path without a line number, so the template does not
    # change each time the catalog's lines shift.
    for message in read_po(io.BytesIO(source), ignore_obsolete=True):
        if message.id and isinstance(message.id, str):
            english = message.string if isinstance(message.string, str) else ""
            yield 0, None, message.id, [*message.user_comments, *_english_comments(english)]


def _english_comments(english: str) -> list[str]:
    """The English text and its placeholders, as comments for a translator."""
    if not english:
        return []
    comments = ["English: " + english.replace("\n", "\\n")]  # a comment is one line
    try:
        names = [field for _, field, _, _ in Formatter().parse(english) if field is not None]
    except ValueError:
        return comments  # malformed braces: the lint says so
    if names:
        listed = ", ".join("{" + name + "}" for name in dict.fromkeys(names))
        comments.append(f"Placeholders (keep them as they are): {listed}")
    return comments
