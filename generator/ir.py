"""Stage 3: AsyncAPI 2.6 / 3.0 document -> an immutable IR the templates only print.

Every name, type string and docstring is computed here, so templates stay dumb.
Every problem is a SpecError with the file, the JSON pointer and the line.
"""

from __future__ import annotations

import copy
import hashlib
import json
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from . import naming, recursion, shape
from .load import Document
from .shape import METHOD_EXTENSIONS, closest

#: Managed by the runtime (signing); never method arguments.
RUNTIME_PARAMS = frozenset({"apiKey", "signature", "timestamp"})
# Defaults for specs that do not say (the seed): the documented behaviour of these methods.
_DEFAULT_SIGNING = {
    "session.logon": "always",
    "userDataStream.subscribe.signature": "always",
    "userDataStream.subscribe": "session",
}
_DEFAULT_EFFECT = {
    "session.logon": "logon",
    "session.logout": "logout",
    "userDataStream.subscribe": "subscribe",
    "userDataStream.subscribe.signature": "subscribe",
    "userDataStream.unsubscribe": "unsubscribe",
}
_SCHEMAS = "#/components/schemas/"


@dataclass(frozen=True, slots=True)
class Param:
    wire: str
    name: str
    annotation: str
    required: bool
    doc: str


@dataclass(frozen=True, slots=True)
class Method:
    wire: str
    name: str
    const: str
    summary: str
    params: tuple[Param, ...]
    params_type: str | None
    result_type: str
    error_data_type: str | None
    security: str
    weight_expr: str
    weight_doc: str
    retry_safe: bool
    deprecated: bool
    require_one_of: tuple[tuple[str, ...], ...]
    client_id_param: str | None
    signing: str
    session_effect: str | None
    docstring: str
    #: `x-one-or-many`: typed overloads, one result for the `one` parameter, a list otherwise.
    one_or_many: OneOrMany | None = None
    #: `x-require-if`: parameters required or forbidden by another parameter's value.
    require_if: tuple[Condition, ...] = ()


@dataclass(frozen=True, slots=True)
class Condition:
    """One `x-require-if` rule: when `param` has one of `values`, `require` and `forbid` apply."""

    param: str  # wire name of the parameter whose value decides
    values: tuple[Any, ...]
    require: tuple[tuple[str, ...], ...]  # one name: required; several: at least one of them
    forbid: tuple[str, ...]
    expr: str  # the runtime's `RequireIf(...)`, for the template
    doc: str  # one line for the docstring (Python names)


@dataclass(frozen=True, slots=True)
class OneOrMany:
    one: str  # Python name of the parameter that asks for one item (`symbol`)
    many: str  # ... and of the one that asks for several (`symbols`)
    one_type: str  # `types.PriceTicker`
    many_type: str  # `list[types.PriceTicker]`


#: Every method also takes Binance's per-request `returnRateLimits` (not in the spec's tables).
RETURN_RATE_LIMITS = Param(
    "returnRateLimits",
    "return_rate_limits",
    "bool",
    False,
    "False: the response carries no `rateLimits` (the client then counts the request itself).",
)


@dataclass(frozen=True, slots=True)
class Row:
    """An `x-array-like` schema: a positional JSON array decoded into a Struct."""

    name: str
    fields: tuple[tuple[str, str], ...]
    doc: str


@dataclass(frozen=True, slots=True)
class ErrorCode:
    """One `x-error-codes` entry."""

    code: int
    name: str
    message: str
    kind: str


@dataclass(frozen=True, slots=True)
class Api:
    package: str
    spec_name: str
    spec_sha256: str
    title: str
    version: str
    servers: tuple[tuple[str, str], ...]
    methods: tuple[Method, ...]
    bundle: dict[str, Any]
    aliases: dict[str, str]
    rows: tuple[Row, ...]
    open_enums: tuple[tuple[str, tuple[str, ...]], ...]
    event_type: str | None
    error_codes: tuple[ErrorCode, ...]


# -- entry point ---------------------------------------------------------------------------


def build(document: Document, *, package: str = "binance_spot_ws") -> Api:
    try:
        shape.check(document)  # every keyword read below has the shape it is read with
        recursion.check(document)
        version = document.root["asyncapi"]
        builder = _Builder(document, package)
        pairs = list(builder.pairs_v3() if version.startswith("3") else builder.pairs_v2())
        return builder.finish(pairs)
    except RecursionError:
        raise document.error("#", "the spec nests too deeply to process") from None


@dataclass
class _Pair:
    request: dict[str, Any]
    request_ptr: str
    response: dict[str, Any]
    response_ptr: str
    extensions: dict[str, Any]


class _Builder:
    def __init__(self, document: Document, package: str) -> None:
        self.doc = document
        self.package = package
        self.schemas: dict[str, Any] = (document.root.get("components") or {}).get("schemas") or {}
        self.bundle: dict[str, Any] = {}
        self.aliases: dict[str, str] = {}
        self.params_roots: set[str] = set()

    # -- AsyncAPI 2.x: classify messages by payload, pair by x-response or by name --------

    def _messages(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        messages = (self.doc.root.get("components") or {}).get("messages") or {}
        for name, message in messages.items():
            pointer = f"#/components/messages/{name}"
            node, real = self.doc.deref(message, pointer)
            yield name, real, node

    def _payload_props(self, message: dict[str, Any], pointer: str) -> dict[str, Any]:
        payload, ptr = self.doc.deref(message.get("payload"), f"{pointer}/payload")
        if not isinstance(payload, dict):
            raise self.doc.error(f"{pointer}/payload", "message has no payload schema")
        props: dict[str, Any] = dict(payload.get("properties") or {})
        for index, part in enumerate(payload.get("allOf") or []):
            sub, _ = self.doc.deref(part, f"{ptr}/allOf/{index}")
            props.update((sub or {}).get("properties") or {})
        return props

    def _kind(self, message: dict[str, Any], pointer: str) -> str:
        props = self._payload_props(message, pointer)
        if "method" in props:
            return "request"
        if "event" in props:
            return "event"
        if "result" in props:
            return "response"
        if "error" in props or "status" in props:
            return "error"
        raise self.doc.error(
            f"{pointer}/payload",
            "the payload has none of `method` (a request), `result`, `status` or `error` (a response) "
            "and `event` (a user-data event): the generator cannot place this message",
        )

    def _only_on_requests(self, node: dict[str, Any], pointer: str, what: str) -> None:
        for key in METHOD_EXTENSIONS:
            if key in node:
                raise self.doc.error(
                    f"{pointer}/{key}",
                    f"{key} describes a method, but {what} is not a request (its payload has no `method`)",
                )

    def pairs_v2(self) -> Iterator[_Pair]:
        messages = list(self._messages())
        kinds = {name: self._kind(node, ptr) for name, ptr, node in messages}
        responses = {name: (ptr, node) for name, ptr, node in messages if kinds[name] == "response"}
        for name, ptr, node in messages:
            if kinds[name] == "event":
                self._event_message(node, ptr)
            if kinds[name] != "request":
                self._only_on_requests(node, ptr, "this message")
                continue
            ref = node.get("x-response")
            if ref is not None:
                response, response_ptr = self.doc.deref(ref, f"{ptr}/x-response")
                if not isinstance(response, dict):
                    raise self.doc.error(f"{ptr}/x-response", "x-response must reference a message")
            else:
                match = _suffix_match(name, responses)
                if match is None:
                    raise self.doc.error(ptr, f"request message {name!r} has no response (add x-response)")
                response_ptr, response = responses[match]
            yield _Pair(node, ptr, response, response_ptr, {})

    # -- AsyncAPI 3.x: operations with a reply ---------------------------------------------

    def pairs_v3(self) -> Iterator[_Pair]:
        for _name, ptr, node in self._messages():
            if self._kind(node, ptr) == "event":
                self._event_message(node, ptr)
        operations = self.doc.root.get("operations") or {}
        for op_name, operation in operations.items():
            op_ptr = f"#/operations/{op_name}"
            operation, op_ptr = self.doc.deref(operation, op_ptr)
            messages = operation.get("messages") or []
            if not messages:
                raise self.doc.error(f"{op_ptr}/messages", "operation has no messages")
            request, request_ptr = self.doc.deref(messages[0], f"{op_ptr}/messages/0")
            kind = self._kind(request, request_ptr)
            if kind != "request":
                self._only_on_requests(operation, op_ptr, "this operation's message")
                continue
            reply = operation.get("reply")
            replies = (reply or {}).get("messages") or []
            if not replies:
                raise self.doc.error(
                    op_ptr, f"operation {op_name!r} has no reply message (a method without a response)"
                )
            response, response_ptr = self.doc.deref(replies[0], f"{op_ptr}/reply/messages/0")
            extensions = {k: v for k, v in operation.items() if k.startswith("x-")}
            yield _Pair(request, request_ptr, response, response_ptr, extensions)

    # -- pieces ----------------------------------------------------------------------------

    def _event_message(self, message: dict[str, Any], pointer: str) -> None:
        props = self._payload_props(message, pointer)
        event = props["event"]
        if isinstance(event, dict) and isinstance(event.get("$ref"), str):
            target, real = self.doc.deref(event, f"{pointer}/payload/properties/event")
            if isinstance(target, dict) and "oneOf" in target and event["$ref"].startswith(_SCHEMAS):
                if "discriminator" not in target:  # events are decoded as a union tagged by the event type
                    raise self.doc.error(f"{real}/oneOf", "the user-data event oneOf needs a discriminator (e.g. `e`)")
                self.event_type = event["$ref"][len(_SCHEMAS) :]

    event_type: str | None = None

    def _named(self, schema: Any, pointer: str, fallback: str) -> tuple[str, Any]:
        """(type name, schema): a `$ref` to components/schemas keeps its name."""
        if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            ref = schema["$ref"]
            target, _ = self.doc.deref(schema, pointer)
            if ref.startswith(_SCHEMAS):
                return ref[len(_SCHEMAS) :], target
            return fallback, target
        return fallback, schema

    def _method_names(self, request: dict[str, Any], pointer: str) -> list[str]:
        props = self._payload_props(request, pointer)
        method, _ = self.doc.deref(props["method"], f"{pointer}/payload/properties/method")
        if not isinstance(method, dict):
            raise self.doc.error(f"{pointer}/payload/properties/method", "method must be a schema")
        at = f"{pointer}/payload/properties/method"
        if "const" in method:
            const = method["const"]
            if not isinstance(const, str) or not const:
                raise self.doc.error(f"{at}/const", f"the method's wire name must be a string, not {const!r}")
            name = request.get("name")
            if name is not None and name != const:
                raise self.doc.error(
                    f"{pointer}/name", f"message name {name!r} and method const {const!r} disagree (the const is sent)"
                )
            return [const]
        if isinstance(method.get("enum"), list) and method["enum"]:
            for index, value in enumerate(method["enum"]):
                if not isinstance(value, str) or not value:
                    raise self.doc.error(f"{at}/enum/{index}", f"a method's wire name must be a string, not {value!r}")
            return list(method["enum"])
        raise self.doc.error(f"{pointer}/payload/properties/method", "method needs `const` or `enum` (the wire name)")

    def finish(self, pairs: list[_Pair]) -> Api:
        methods: list[Method] = []
        for pair in pairs:
            methods.extend(self._methods_of(pair))
        _require_unique(self.doc, methods)
        for name, schema in self.schemas.items():
            if name not in self.bundle:
                self._add_def(name, schema, f"{_SCHEMAS}{name}", params=name in self.params_roots)
        rows = tuple(self._rows())
        open_enums = tuple(
            (name, tuple(str(v) for v in schema["enum"]))
            for name, schema in self.schemas.items()
            if isinstance(schema, dict) and isinstance(schema.get("enum"), list)
        )
        info = self.doc.root.get("info") or {}
        servers = self.doc.root.get("servers") or {}
        raw = self.doc.file.read_bytes()
        ordered = dict(sorted(self.bundle.items()))  # by name: stable whatever the spec's order
        return Api(
            package=self.package,
            spec_name=_display_path(self.doc.file),
            spec_sha256=hashlib.sha256(raw).hexdigest(),
            title=str(info.get("title", "")),
            version=str(info.get("version", "")),
            servers=tuple(
                (str(name), str(server.get("url", ""))) for name, server in servers.items() if isinstance(server, dict)
            ),
            methods=tuple(methods),
            bundle=ordered,
            aliases=dict(sorted(self.aliases.items())),
            rows=rows,
            open_enums=open_enums,
            event_type=self.event_type,
            error_codes=self._error_codes(),
        )

    def _error_codes(self) -> tuple[ErrorCode, ...]:
        entries = self.doc.root.get("x-error-codes") or []  # shape checked: {code: int, name: identifier, ...}
        pointer = "#/x-error-codes"
        codes: dict[int, ErrorCode] = {}
        names: set[str] = set()
        for i, entry in enumerate(entries):
            at = f"{pointer}/{i}"
            name, kind = entry["name"], entry.get("kind", "bad_request")
            if name in names:
                raise self.doc.error(f"{at}/name", f"{name!r} must be a unique Python identifier")
            if entry["code"] in codes:
                raise self.doc.error(f"{at}/code", f"code {entry['code']} is listed twice")
            names.add(name)
            codes[entry["code"]] = ErrorCode(entry["code"], name, _clean(str(entry.get("message", ""))), kind)
        return tuple(sorted(codes.values(), key=lambda e: -e.code))

    def _methods_of(self, pair: _Pair) -> Iterator[Method]:
        request, ptr = pair.request, pair.request_ptr
        ext = {k: v for k, v in request.items() if k.startswith("x-")} | pair.extensions
        props = self._payload_props(request, ptr)
        wires = self._method_names(request, ptr)
        shared = len(wires) > 1
        message_name = ptr.rsplit("/", 1)[-1]
        base = naming.pascal(message_name) if shared else naming.pascal(wires[0])
        # parameters
        params_type: str | None = None
        params_schema: dict[str, Any] = {}
        if "params" in props:
            params_type, params_schema = self._named(
                props["params"], f"{ptr}/payload/properties/params", f"{base}Params"
            )
            if not isinstance(params_schema, dict):
                raise self.doc.error(f"{ptr}/payload/properties/params", "params must be an object schema")
            params_schema = _without(params_schema, RUNTIME_PARAMS)
            if not params_schema.get("properties"):
                params_type = None
            else:
                self.params_roots.add(params_type)
                self._add_def(params_type, params_schema, f"{ptr}/payload/properties/params", params=True)
        # result
        response_props = self._payload_props(pair.response, pair.response_ptr)
        if "result" not in response_props:
            raise self.doc.error(pair.response_ptr, "response message has no `result` schema")
        response_name = pair.response_ptr.rsplit("/", 1)[-1]
        result_base = naming.pascal(response_name) if shared else naming.pascal(wires[0])
        result_name, result_schema = self._named(
            response_props["result"], f"{pair.response_ptr}/payload/properties/result", f"{result_base}Result"
        )
        if _free_form(result_schema):
            result_type = "dict[str, Any]"  # the spec does not describe it: hand over the JSON object
        else:
            self._add_def(result_name, result_schema, f"{pair.response_ptr}/payload/properties/result", params=False)
            result_type = f"types.{result_name}"
        error_data_type = self._error_data(response_props, pair.response_ptr, result_base)
        # metadata
        signed_in_seed = "signature" in ((props.get("params") or {}).get("properties") or {}) or (
            isinstance(props.get("params"), dict)
            and "$ref" in props["params"]
            and "signature" in (self.doc.deref(props["params"], ptr)[0].get("properties") or {})
        )
        security = str(ext.get("x-security", "SIGNED" if signed_in_seed else "NONE"))
        retry_safe = bool(ext.get("x-retry-safe", security in ("NONE", "USER_DATA")))
        params = tuple(self._params(params_schema, ptr))
        wire_names = {p.wire for p in params}
        require = tuple(tuple(str(n) for n in group) for group in ext.get("x-require-one-of") or [])
        for group in require:
            for wire_name in group:
                if wire_name not in wire_names:
                    raise self.doc.error(f"{ptr}/x-require-one-of", f"{wire_name!r} is not a parameter")
        require_if = self._require_if(ext.get("x-require-if") or [], f"{ptr}/x-require-if", params, params_schema)
        weight_expr, weight_doc = self._weight(ext.get("x-weight", 1), f"{ptr}/x-weight", params_schema)
        named_id = ext.get("x-client-id-param")
        if named_id is not None and named_id not in wire_names:
            raise self.doc.error(f"{ptr}/x-client-id-param", f"{named_id!r} is not a parameter")
        one_or_many = self._one_or_many(ext.get("x-one-or-many"), f"{ptr}/x-one-or-many", params, result_schema)
        for wire in wires:
            client_id = named_id
            if (
                client_id is None
                and security == "TRADE"
                and not retry_safe
                and (".place" in wire or "cancelReplace" in wire)
            ):
                client_id = next((n for n in ("newClientOrderId", "listClientOrderId") if n in wire_names), None)
            signing = str(ext.get("x-signing", _DEFAULT_SIGNING.get(wire, "request")))
            effect = ext.get("x-session-effect", _DEFAULT_EFFECT.get(wire))
            name = str(ext.get("x-python-name") or naming.snake(wire))
            summary = _clean(request.get("summary") or request.get("title") or wire)
            description = _clean(request.get("description") or "") if not shared else ""
            method = Method(
                wire=wire,
                name=name,
                const=naming.constant(wire),
                summary=summary,
                params=params,
                params_type=params_type,
                result_type=result_type,
                error_data_type=error_data_type,
                security=security,
                weight_expr=weight_expr,
                weight_doc=weight_doc,
                retry_safe=retry_safe,
                deprecated=bool(ext.get("x-deprecated") or request.get("deprecated")),
                require_one_of=require,
                client_id_param=client_id,
                signing=signing,
                session_effect=effect,
                docstring="",
                one_or_many=one_or_many,
                require_if=require_if,
            )
            yield _with_docstring(method, description, ptr)

    def _require_if(
        self, rules: list[dict[str, Any]], pointer: str, params: tuple[Param, ...], schema: dict[str, Any]
    ) -> tuple[Condition, ...]:
        """`x-require-if` (shape checked): every name a parameter, every value one the parameter can take."""
        by_wire = {p.wire: p for p in params}
        props: dict[str, Any] = schema.get("properties") or {}
        out: list[Condition] = []
        for index, rule in enumerate(rules):
            at = f"{pointer}/{index}"
            param = str(rule["param"])
            if param not in by_wire:
                raise self.doc.error(f"{at}/param", f"{param!r} is not a parameter{closest(param, by_wire)}")
            values = tuple(rule["in"])
            self._condition_values(props[param], values, f"{at}/in")
            require = tuple((n,) if isinstance(n, str) else tuple(str(x) for x in n) for n in rule.get("require") or [])
            forbid = tuple(str(n) for n in rule.get("forbid") or [])
            named = [(f"{at}/require/{i}", n) for i, group in enumerate(require) for n in group]
            named += [(f"{at}/forbid/{i}", n) for i, n in enumerate(forbid)]
            for where, name in named:
                if name not in by_wire:
                    raise self.doc.error(where, f"{name!r} is not a parameter{closest(name, by_wire)}")
                if name == param:
                    raise self.doc.error(where, f"{name!r} is the parameter the condition reads")
            for i, group in enumerate(require):
                if len(group) == 1 and by_wire[group[0]].required:
                    raise self.doc.error(f"{at}/require/{i}", f"{group[0]!r} is always required: the rule adds nothing")
                if set(group) & set(forbid):
                    raise self.doc.error(f"{at}/forbid", f"{sorted(set(group) & set(forbid))[0]!r} is required too")
            py = {p.wire: p.name for p in params}
            expr_args = [repr(param), repr(values)]
            if require:
                expr_args.append(f"require={require!r}")
            if forbid:
                expr_args.append(f"forbid={forbid!r}")
            shown = ", ".join(str(v) for v in values)
            parts = []
            if require:
                parts.append("needs " + ", ".join(" or ".join(py[n] for n in group) for group in require))
            if forbid:
                parts.append("takes no " + ", ".join(py[n] for n in forbid))
            out.append(
                Condition(
                    param=param,
                    values=values,
                    require=require,
                    forbid=forbid,
                    expr=f"RequireIf({', '.join(expr_args)})",
                    doc=f"{py[param]} {shown}: {'; '.join(parts)}.",
                )
            )
        return tuple(out)

    def _condition_values(self, node: Any, values: tuple[Any, ...], pointer: str) -> None:
        """Each value fits the parameter: one of its `enum`, and of its scalar type."""
        target, _ = self.doc.deref(node, pointer)
        if not isinstance(target, dict):
            raise self.doc.error(pointer, "the parameter's schema must be a mapping")
        enum = target.get("enum")
        kind = target.get("type")
        kinds = set(kind) if isinstance(kind, list) else {kind}
        if enum is None and (not kinds & {"string", "integer", "boolean"} or target.get("format") == "decimal"):
            raise self.doc.error(pointer, "a condition reads a string, integer, boolean or enum parameter")
        for i, value in enumerate(values):
            if isinstance(enum, list):
                if value not in enum:
                    hint = closest(str(value), [str(v) for v in enum])
                    raise self.doc.error(f"{pointer}/{i}", f"{value!r} is not one of the parameter's values{hint}")
                continue
            fits = (
                ("string" in kinds and isinstance(value, str))
                or ("integer" in kinds and isinstance(value, int) and not isinstance(value, bool))
                or ("boolean" in kinds and isinstance(value, bool))
            )
            if not fits:
                raise self.doc.error(f"{pointer}/{i}", f"{value!r} does not fit the parameter's type")

    def _one_or_many(self, spec: Any, pointer: str, params: tuple[Param, ...], result: Any) -> OneOrMany | None:
        """`x-one-or-many: {one: symbol, many: symbols}` on a method whose result is `oneOf: [X, array of X]`."""
        if spec is None:
            return None
        by_wire = {p.wire: p for p in params}
        for role in ("one", "many"):
            if spec[role] not in by_wire:
                raise self.doc.error(f"{pointer}/{role}", f"{spec[role]!r} is not a parameter")
            if by_wire[spec[role]].required:
                raise self.doc.error(f"{pointer}/{role}", f"{spec[role]!r} must be optional")
        members = result.get("oneOf") if isinstance(result, dict) else None
        item, listed = members if isinstance(members, list) and len(members) == 2 else (None, None)
        if not (
            isinstance(item, dict)
            and isinstance(item.get("$ref"), str)
            and item["$ref"].startswith(_SCHEMAS)
            and isinstance(listed, dict)
            and listed.get("type") == "array"
            and (listed.get("items") or {}).get("$ref") == item["$ref"]
        ):
            raise self.doc.error(
                pointer, "x-one-or-many needs a result `oneOf: [{$ref: X}, {type: array, items: {$ref: X}}]`"
            )
        name = f"types.{item['$ref'][len(_SCHEMAS) :]}"
        return OneOrMany(by_wire[spec["one"]].name, by_wire[spec["many"]].name, name, f"list[{name}]")

    def _error_data(self, response_props: dict[str, Any], response_ptr: str, base: str) -> str | None:
        """The type of `error.data` when the response message describes it (`error.properties.data`)."""
        if "error" not in response_props:
            return None
        pointer = f"{response_ptr}/payload/properties/error"
        error, _ = self.doc.deref(response_props["error"], pointer)
        data = ((error or {}).get("properties") or {}).get("data") if isinstance(error, dict) else None
        if data is None:
            return None
        name, schema = self._named(data, f"{pointer}/properties/data", f"{base}ErrorData")
        if _free_form(schema):
            return None
        self._add_def(name, schema, f"{pointer}/properties/data", params=False)
        return f"types.{name}"

    def _params(self, schema: dict[str, Any], pointer: str) -> Iterator[Param]:
        required = set(schema.get("required") or [])
        props: dict[str, Any] = schema.get("properties") or {}
        ordered = [k for k in props if k in required] + [k for k in props if k not in required]
        for wire in ordered:
            prop_ptr = f"{pointer}/payload/properties/params/properties/{wire}"
            node = props[wire]
            python = (node.get("x-python-name") if isinstance(node, dict) else None) or naming.snake(wire)
            annotation = self._annotation(node, prop_ptr)
            target, _ = self.doc.deref(node, prop_ptr)
            doc = _clean(
                (node.get("description") if isinstance(node, dict) else None) or (target or {}).get("description") or ""
            )
            yield Param(wire, python, annotation, wire in required, doc)

    def _annotation(self, node: Any, pointer: str) -> str:
        if not isinstance(node, dict):
            raise self.doc.error(pointer, "parameter schema must be a mapping")
        ref = node.get("$ref")
        target, _ = self.doc.deref(node, pointer)
        if not isinstance(target, dict):
            raise self.doc.error(pointer, "parameter schema must be a mapping")
        if isinstance(target.get("enum"), list):
            literal = "Literal[" + ", ".join(json.dumps(str(v)) for v in target["enum"]) + "]"
            if isinstance(ref, str) and ref.startswith(_SCHEMAS):
                return f"types.{ref[len(_SCHEMAS) :]} | {literal}"
            return literal
        kind = target.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        if kind == "string":
            return "Decimal" if target.get("format") == "decimal" else "str"
        if kind == "integer":
            return "int"
        if kind == "number":
            return "Decimal"
        if kind == "boolean":
            return "bool"
        if kind == "array":
            return f"list[{self._annotation(target.get('items') or {}, f'{pointer}/items')}]"
        if kind is None and "oneOf" not in target:
            raise self.doc.error(pointer, "parameter has no type")
        return "Any"

    def _weight(self, spec: Any, pointer: str, params: dict[str, Any]) -> tuple[str, str]:
        if isinstance(spec, int):  # shape checked: a count or {base, rules}
            return f"Weight({spec})", str(spec)
        rules: list[str] = []
        props = params.get("properties") or {}
        defaults: dict[str, Any] = {}
        for index, rule in enumerate(spec.get("rules") or []):
            if not isinstance(rule, dict) or rule.get("param") not in props:
                raise self.doc.error(f"{pointer}/rules/{index}", "each rule needs `param` naming a parameter")
            param = rule["param"]
            target, _ = self.doc.deref(props[param], pointer)
            if isinstance(target, dict) and "default" in target:
                defaults[param] = target["default"]
            args = [repr(param)]
            for key, arg in (
                ("weight", "weight"),
                ("present", "present"),
                ("equals", "equals"),
                ("perItem", "per_item"),
                ("cap", "cap"),
            ):
                if key in rule:
                    args.append(f"{arg}={rule[key]!r}")
            for key, arg in (("ranges", "ranges"), ("countRanges", "count_ranges")):
                if key in rule:
                    pairs = ", ".join(f"({a!r}, {b!r})" for a, b in rule[key])
                    args.append(f"{arg}=({pairs},)")
            rules.append(f"WeightRule({', '.join(args)})")
        expr = f"Weight({spec['base']}, ({', '.join(rules)},), {defaults!r})" if rules else f"Weight({spec['base']})"
        return expr, f"{spec['base']} (depends on parameters)" if rules else str(spec["base"])

    # -- the JSON Schema bundle for datamodel-code-generator -------------------------------

    def _add_def(self, name: str, schema: Any, pointer: str, *, params: bool) -> None:
        if name in self.bundle:
            return
        if isinstance(schema, dict) and schema.get("x-array-like"):
            self.bundle[name] = {"x-array-like": True}  # rendered by our own template
            return
        self.bundle[name] = {}  # reserve the name before recursing
        self.bundle[name] = self._convert(schema, pointer, name, params=params)

    def _convert(self, schema: Any, pointer: str, owner: str, *, params: bool) -> Any:
        if isinstance(schema, list):
            return [self._convert(s, f"{pointer}/{i}", owner, params=params) for i, s in enumerate(schema)]
        if not isinstance(schema, dict):
            return schema
        ref = schema.get("$ref")
        if isinstance(ref, str):
            target, _ = self.doc.deref(schema, pointer)
            if not ref.startswith(_SCHEMAS):
                return self._convert(target, ref, owner, params=params)
            name = ref[len(_SCHEMAS) :]
            if isinstance(target, dict) and target.get("x-array-like"):
                self._add_def(name, target, ref, params=False)
                return {"customTypePath": f"{self.package}._aliases.{name}"}
            if isinstance(target, dict) and isinstance(target.get("enum"), list) and not params:
                return {"customTypePath": f"{self.package}._aliases.{name}Value"}
            self._add_def(name, target, ref, params=params)
            return {"$ref": f"#/$defs/{name}"}
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key.startswith("x-") or key in ("examples", "example"):
                continue
            if key == "properties" and isinstance(value, dict):
                out[key] = self._properties(value, f"{pointer}/properties", owner, params=params)
            elif key in ("items", "oneOf", "anyOf", "allOf", "additionalProperties"):
                out[key] = self._convert(value, f"{pointer}/{key}", owner, params=params)
            elif key == "discriminator" and isinstance(value, dict):
                out[key] = {
                    "propertyName": value.get("propertyName"),
                    **(
                        {"mapping": {k: v.replace(_SCHEMAS, "#/$defs/") for k, v in value["mapping"].items()}}
                        if "mapping" in value
                        else {}
                    ),
                }
            else:
                out[key] = value
        if out.get("type") == "object" and "properties" not in schema and "additionalProperties" not in out:
            out["additionalProperties"] = True  # a free-form object: dict[str, Any]
        return out

    def _properties(self, props: dict[str, Any], pointer: str, owner: str, *, params: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seen: dict[str, str] = {}
        for wire, node in props.items():
            if params and wire in RUNTIME_PARAMS:
                continue
            prop_ptr = f"{pointer}/{wire}"
            python = node.get("x-python-name") if isinstance(node, dict) else None
            snake = python or naming.snake(wire)
            if snake in seen:
                raise self.doc.error(prop_ptr, f"{wire!r} and {seen[snake]!r} both become {snake!r}; add x-python-name")
            seen[snake] = wire
            if python:
                self.aliases[f"{owner}.{wire}"] = python
            out[wire] = self._hoist(node, prop_ptr, owner, snake, params=params)
        return out

    def _hoist(self, node: Any, pointer: str, owner: str, snake: str, *, params: bool) -> Any:
        """Inline objects become named definitions (`ParentField`), so names stay readable."""
        if isinstance(node, dict) and node.get("type") == "object" and node.get("properties"):
            name = f"{owner}{naming.pascal(snake)}"
            self._add_def(name, node, pointer, params=params)
            return {
                "$ref": f"#/$defs/{name}",
                **({"description": node["description"]} if "description" in node else {}),
            }
        if isinstance(node, dict) and node.get("type") == "array" and isinstance(node.get("items"), dict):
            items = node["items"]
            if items.get("type") == "object" and items.get("properties"):
                name = f"{owner}{naming.pascal(snake)}Item"
                self._add_def(name, items, f"{pointer}/items", params=params)
                converted = self._convert(
                    {k: v for k, v in node.items() if k != "items"}, pointer, owner, params=params
                )
                return {**converted, "items": {"$ref": f"#/$defs/{name}"}}
        return self._convert(node, pointer, owner, params=params)

    def _rows(self) -> Iterator[Row]:
        for name, schema in self.schemas.items():
            if not (isinstance(schema, dict) and schema.get("x-array-like")):
                continue
            pointer = f"{_SCHEMAS}{name}"
            items = schema.get("prefixItems")
            if not isinstance(items, list) or not items:
                raise self.doc.error(pointer, "x-array-like needs prefixItems with a title each")
            fields = []
            for index, item in enumerate(items):
                target, _ = self.doc.deref(item, f"{pointer}/prefixItems/{index}")
                title = (target or {}).get("x-python-name") or (target or {}).get("title")
                if not title:
                    raise self.doc.error(f"{pointer}/prefixItems/{index}", "each prefixItems entry needs a title")
                fields.append((naming.snake(str(title)), self._annotation(target, f"{pointer}/prefixItems/{index}")))
            yield Row(name, tuple(fields), _clean(schema.get("description") or ""))


def _display_path(path: Any) -> str:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return Path(path).name


def _suffix_match(request_name: str, responses: dict[str, Any]) -> str | None:
    stem = request_name.removesuffix("Request")
    best: str | None = None
    for name in responses:
        candidate = name.removesuffix("Response")
        if stem.endswith(candidate) and (best is None or len(candidate) > len(best.removesuffix("Response"))):
            best = name
    return best


def _free_form(schema: Any) -> bool:
    return (
        isinstance(schema, dict)
        and schema.get("type") == "object"
        and "properties" not in schema
        and not any(k in schema for k in ("oneOf", "anyOf", "allOf", "$ref"))
    )


def _without(schema: dict[str, Any], names: frozenset[str]) -> dict[str, Any]:
    out = copy.deepcopy(schema)
    props = out.get("properties") or {}
    for name in names:
        props.pop(name, None)
    if "required" in out:
        out["required"] = [r for r in out["required"] if r not in names]
    return out


def _require_unique(document: Document, methods: list[Method]) -> None:
    seen: dict[str, str] = {}
    for method in methods:
        for key in (method.name, "const:" + method.const):
            if key in seen and seen[key] != method.wire:
                raise document.error(
                    "#/components/messages",
                    f"{method.wire!r} and {seen[key]!r} both become {method.name!r}; add x-python-name",
                )
            seen[key] = method.wire
    wires = [m.wire for m in methods]
    duplicates = sorted({w for w in wires if wires.count(w) > 1})
    if duplicates:
        raise document.error("#/components/messages", f"methods defined twice: {', '.join(duplicates)}")


def _clean(text: str) -> str:
    return " ".join(str(text).split())


def _with_docstring(method: Method, description: str, pointer: str) -> Method:
    lines = [method.summary]
    if description and description != method.summary:
        lines += ["", *textwrap.wrap(description, 88)]
    retry = (
        "retried after a lost connection"
        if method.retry_safe
        else "never sent twice; outcome-unknown errors carry the client order id"
    )
    lines += ["", f"`{method.wire}` · security {method.security} · weight {method.weight_doc} · {retry}."]
    if method.deprecated:
        lines += ["", "Deprecated by Binance."]
    if method.require_if:
        lines += ["", "Checked before sending (a ParamError otherwise):", ""]
        for condition in method.require_if:
            wrapped = textwrap.wrap(condition.doc, 86)
            lines += ["- " + wrapped[0], *("  " + w for w in wrapped[1:])]
    lines += ["", "Args:"]
    for param in (*method.params, RETURN_RATE_LIMITS):
        text = param.doc or ("Required." if param.required else "Optional.")
        wrapped = textwrap.wrap(f"{param.name}: {text}", 84)
        lines += ["    " + wrapped[0], *("        " + w for w in wrapped[1:])]
    body = "\n".join(lines).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return Method(**{**{f: getattr(method, f) for f in method.__dataclass_fields__}, "docstring": body})
