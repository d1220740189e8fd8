"""Parse and validate each distinct query text once, not once per request.

Front ends send the same few operations over and over with different variables, and
graphql-core's validation walks the whole document with every rule each time: on the
mixed benchmark workload it was about 40% of the API's CPU per request, parsing another
8%. Both depend only on the text and the (fixed) schema, never on variables or the
caller, so their result is kept per text. The cache is bounded (least recently used
text out) and skips very long texts, so unique queries cannot grow memory without limit.

strawberry's own ``ParserCache``/``ValidationCache`` cannot be used as they are: the depth
and alias limits make a new rule class per request, so validation would never hit.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

from graphql import ASTValidationRule, DocumentNode, GraphQLError
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension
from strawberry.schema.schema import validate_document

MAX_DEPTH = 10
MAX_ALIASES = 30
CACHED_TEXTS = 256
LONGEST_CACHED = 20_000  # characters; longer texts are parsed and validated each time


@dataclass(frozen=True)
class Prepared:
    document: DocumentNode
    errors: list[GraphQLError]


class PreparedCache:
    """The last ``size`` distinct query texts, each parsed and validated."""

    def __init__(self, size: int = CACHED_TEXTS) -> None:
        self.size = size
        self.rules: tuple[type[ASTValidationRule], ...] = (
            *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
            *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
        )
        self._texts: OrderedDict[str, Prepared] = OrderedDict()

    def get(self, text: str) -> Prepared | None:
        hit = self._texts.get(text)
        if hit is not None:
            self._texts.move_to_end(text)
        return hit

    def put(self, text: str, prepared: Prepared) -> None:
        if len(text) > LONGEST_CACHED:
            return
        self._texts[text] = prepared
        if len(self._texts) > self.size:
            self._texts.popitem(last=False)

    def __len__(self) -> int:
        return len(self._texts)


class PreparedQueries(SchemaExtension):
    """Take a known text's document and validation errors from the cache; parse and
    validate an unknown one (with the depth and alias limits) and remember it."""

    cache: PreparedCache  # set by ``prepared_queries``

    hit: Prepared | None = None  # this request's cache entry, found at parsing

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        self.hit = self.cache.get(ctx.query) if ctx.query else None
        if (
            self.hit is not None
        ):  # strawberry then skips its parse, else parses as usual
            ctx.graphql_document = self.hit.document
        yield

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        hit = self.hit
        if hit is None and ctx.graphql_document is not None:  # parsed by strawberry
            errors = validate_document(
                ctx.schema._schema,
                ctx.graphql_document,
                (*ctx.validation_rules, *self.cache.rules),
            )
            hit = Prepared(ctx.graphql_document, errors)
            if ctx.query:
                self.cache.put(ctx.query, hit)
        if hit is not None:  # strawberry skips its own validation
            ctx.pre_execution_errors = list(hit.errors)
        yield


def prepared_queries(cache: PreparedCache | None = None) -> type[PreparedQueries]:
    """The extension, with its own cache (one per schema: another schema validates
    differently)."""
    return type(
        "SchemaPreparedQueries", (PreparedQueries,), {"cache": cache or PreparedCache()}
    )
