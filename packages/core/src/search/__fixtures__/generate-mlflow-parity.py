"""Records how MLflow itself treats a corpus of search filters and order_by clauses.

Run with the repository's venv (real MLflow), then let Biome format the output:
    .venv/bin/python packages/core/src/search/__fixtures__/generate-mlflow-parity.py
    npx biome format --write packages/core/src/search/__fixtures__/mlflow-parity.json
(--verbose prints MLflow's message for every rejected input.)

Each filter is sent through MLflow's SQL stores (SQLite), so the verdict covers both the parser in
mlflow/utils/search_utils.py and the checks the stores add (comparators per entity, value types).
For accepted filters the parsed clauses are converted to Cairn's AST shape, so that
mlflow-parity.test.ts can require the same meaning from parseSearchFilter / parseOrderBy.
Cairn deliberately drops run_id IN-list values with uppercase letters (MLflow <= 3.6 did); the
conversion below applies the same rule.
"""

import itertools
import json
import logging
import math
import os
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)

import mlflow  # noqa: E402
from mlflow.entities import ViewType  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402
from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistryStore  # noqa: E402
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore as TrackingStore  # noqa: E402
from mlflow.utils.search_utils import (  # noqa: E402
    SearchExperimentsUtils,
    SearchModelUtils,
    SearchModelVersionUtils,
    SearchUtils,
)

ENTITY = {"metric": "metric", "parameter": "param", "tag": "tag", "attribute": "attribute", "dataset": "dataset"}


def number(value):
    value = float(value)
    return value if math.isfinite(value) else ("Infinity" if value > 0 else "-Infinity")


def drop_uppercase(values):
    return [v for v in values if v == v.lower()]


def convert_runs(clause):
    entity = ENTITY[clause["type"]]
    key = SearchUtils.translate_key_alias(clause["key"]) if entity == "attribute" else clause["key"]
    value = clause["value"]
    if entity == "metric" or (entity == "attribute" and key in ("start_time", "end_time")):
        value = number(value)
    elif isinstance(value, tuple):
        value = drop_uppercase(list(value)) if key == "run_id" and entity == "attribute" else list(value)
    return entity, key, clause["comparator"].upper(), value


def convert_experiments(clause):
    key, value = clause["key"], clause["value"]
    if clause["type"] == "attribute" and key in ("creation_time", "last_update_time"):
        value = int(value)
    elif clause["type"] == "attribute" and key == "experiment_id":
        value = [str(int(v)) for v in value] if isinstance(value, tuple) else str(int(value))
    return clause["type"], key, clause["comparator"].upper(), value


def convert_registered_models(clause):
    value = clause["value"]
    return clause["type"], clause["key"], clause["comparator"].upper(), list(value) if isinstance(value, tuple) else value


def convert_model_versions(clause):
    key, value = clause["key"], clause["value"]
    if clause["type"] == "attribute" and key == "version_number":
        value = int(value)
    elif isinstance(value, tuple):
        value = drop_uppercase(list(value)) if key == "run_id" else list(value)
    return clause["type"], key, clause["comparator"].upper(), value


def to_ast(clauses, convert):
    nodes = []
    for clause in clauses:
        entity, key, comparator, value = convert(clause)
        nodes.append({"kind": "comparison", "entity": entity, "key": key, "comparator": comparator, "value": value})
    if not nodes:
        return None
    return nodes[0] if len(nodes) == 1 else {"kind": "and", "operands": nodes}


def verdict(call):
    try:
        return "accept", call()
    except MlflowException as e:
        code = "reject" if e.error_code == "INVALID_PARAMETER_VALUE" else "error"
        return code, str(e.message).splitlines()[0][:100]
    except Exception as e:  # MLflow answers these with 500
        return "error", f"{type(e).__name__}: {e}".splitlines()[0][:100]


# ------------------------------------------------------------------------------------------------
# corpus

VALUES = ["1", "-1.5", "'x'", '"x"', "x", "`x`", "('a', 'B')", "()", "(1)"]
COMPARATORS = ["=", "!=", "<>", ">", "<=", "LIKE", "ilike", "RLIKE", "NOT LIKE", "IN", "not in", "IS NULL",
               "is not null"]


def clauses(identifiers):
    for identifier, comparator, value in itertools.product(identifiers, COMPARATORS, VALUES):
        if comparator.upper().startswith("IS"):
            if value == "1":
                yield f"{identifier} {comparator}"
        else:
            yield f"{identifier} {comparator} {value}"


RUN_FILTERS = [
    *clauses(["metrics.m", "params.p", "tags.t", "status", "run_id", "start_time", "created", "dataset.name"]),
    *[f"{prefix}.k = 1" for prefix in ["metric", "metrics", "`metrics`", "Metrics", "foo", '"metrics"']],
    *[f"{prefix}.k = 'v'" for prefix in ["param", "params", "parameter", "parameters", "tag", "tags", "`tags`"]],
    *[f"{prefix}.status = 'FINISHED'" for prefix in ["attribute", "attributes", "attr", "run", "Attribute"]],
    *[f"{key} = 'v'" for key in ["run_id", "run_name", "user_id", "status", "artifact_uri", "experiment_id",
                                  "lifecycle_stage", "`run_name`", '"run_name"', "`Run Name`", '"run name"',
                                  "`Run name`", "attributes.`run name`", "run_uuid", "name"]],
    *[f"{key} > 5" for key in ["start_time", "end_time", "created", "Created", "attr.created", "`created`"]],
    *[f"dataset{s}.{k} = 'v'" for s in ["", "s"] for k in ["name", "digest", "context", "foo", "`name`"]],
    *[f"metrics.{k} > 0" for k in ["a.b", "a.b.c", "`my-metric`", '"my metric"', "'my metric'", "1abc", "select",
                                   "timestamp", "order", "from", "my-metric", "`a``b`", '"a""b"', "ü", "a_b"]],
    # numbers
    *[f"metrics.m > {n}" for n in ["-1", "1e3", "1E3", "1e-3", "1.5E3", ".5", "-.5", "1.", "01", "-0", "1e400",
                                   "+1", "0x10", "1_000", "- 1", "1E+3", "1abc"]],
    *[f"start_time >= {n}" for n in ["1.5", "1e3", "-1"]],
    # strings
    *[f"params.p = {s}" for s in ["''", '""', "'%'", "'it''s'", "'a\\'b'", "'x\\'", '"a""b"', "'multi\nline'",
                                  "'ü'", "'a' 'b'", "'unterminated", "'", "'''"]],
    # IN lists
    *[f"run_id IN {lst}" for lst in ["('a')", "('a',)", "('a', 'b',)", "(\"a\", 'b')", "('a' 'b')", "('it''s')",
                                      "('a\\nb')", "('a\\'b')", "('A', 'b', 'aB', '123', 'a-1')", "((\'a\'))",
                                      "(b'a')", "(r'a')", "('a', 1)", "(,)", "('a',,)", "('a'", "'a'", "(a)",
                                      "('\\x41')", "('\\u00e9')", "('\\q')"]],
    *[f"run_id NOT IN {lst}" for lst in ["('a')", "('ABC', 'def')"]],
    "attr.run_id in ('abc')", "run_id IN('a')", "run_id NOT  IN ('a')", "run_id = ('a')",
    "run_name IN ('a')", "status NOT IN ('a')", "dataset.context NOT IN ('a', 'B')", "dataset.digest IN ('A')",
    # conjunctions and structure
    "metrics.a = 1 AND metrics.b = 2", "metrics.a = 1 and metrics.b = 2 And metrics.c = 3",
    "metrics.a = 1 metrics.b = 2", "AND metrics.a = 1", "metrics.a = 1 AND", "metrics.a = 1 AND AND metrics.b = 2",
    "and", "AND AND", "  ", "metrics.a=1and metrics.b=2", "params.a='x'and params.b='y'",
    "params.a = 'x' OR params.b = 'y'", "(params.a = 'x')", "params.a = 'x' AND (params.b = 'y')",
    "params.a = 'x';", "params.a = 'x'; params.b = 'y'", "params.a = 'x' -- c", "params.a = 'x' /* c */",
    "params.a = 'x', params.b = 'y'", "params.a = 'x' ,", "NOT params.a = 'x'", "params.a = 'x' AND NOT params.b = 'y'",
    "params.a = 'x' params.b", "params.a = 'x' AND 5", "metrics.a = 1 AND NULL", "metrics . a = 1",
    "metrics .a = 1", "metrics. a = 1", "metrics.`a`.b = 1", "`metrics.a` = 1", "metrics.a`b` = 1",
    "params.a\n=\n'x'", "\tparams.a = 'x'\n", "params.a IS\nNULL", "params.a IS  NOT   NULL", "params.a IS NOT",
    "params.a IS 'x'", "params.a NOT 'x'", "params.a", "params.a =", "= 'x'", "'x' = params.a",
    "tags.`mlflow.runName` = 'run-1' AND metrics.rmse < 0.5 AND params.lr LIKE '0.%'",
    "attributes.status = 'FINISHED' AND attributes.start_time > 0 AND tags.t IS NULL AND params.p IS NOT NULL",
]

EXPERIMENT_FILTERS = [
    *clauses(["name", "experiment_id", "creation_time", "last_update_time", "tags.t"]),
    *[f"{prefix}.name = 'x'" for prefix in ["attribute", "attributes", "attr", "run", "tag", "tags", "`attribute`", "metrics"]],
    *[f"{key} = 'x'" for key in ["name", "`name`", '"name"', "artifact_location", "lifecycle_stage", "foo"]],
    *[f"experiment_id {c}" for c in ["= '01'", "= ' 1 '", "= 'abc'", "IN ('1', '2')", "IN ('1', 'x')", "= '1_0'",
                                     "LIKE '1'", "NOT IN ('3')", "= 1"]],
    *[f"creation_time {c}" for c in ["> 5", "> 1.5", "> 1e3", ">= -1", "= '5'"]],
    "name = 'a' AND tags.t = 'b'", "name LIKE 'a%' and tags.`k.k` ILIKE '%B'", "tags.t IS NULL AND name = 'a'",
    "name = 'a' OR name = 'b'",
]

REGISTERED_MODEL_FILTERS = [
    *clauses(["name", "tags.t"]),
    *[f"{prefix}.name = 'x'" for prefix in ["attribute", "attributes", "tag", "tags", "`tags`"]],
    *[f"{key} = 'x'" for key in ["name", "`name`", '"name"', "description", "foo"]],
    "name = 'a' AND tags.t = 'b'", "tags.`mlflow.prompt.is_prompt` = 'true'", "name IN ('a', 'B')",
]

MODEL_VERSION_FILTERS = [
    *clauses(["name", "run_id", "source_path", "version_number", "tags.t"]),
    *[f"{prefix}.name = 'x'" for prefix in ["attribute", "attributes", "tag", "tags"]],
    *[f"{key} = 'x'" for key in ["name", "`name`", "source", "current_stage", "foo"]],
    *[f"version_number {c}" for c in ["= '3'", "= ' 3 '", "= 'x'", "= 1.5", "> -1", "= 1e3", "IN ('1')"]],
    "name = 'a' AND version_number > 1 AND tags.t LIKE 'x%'", "run_id IN ('abc', 'DEF')",
    "creation_timestamp > 1", "last_updated_timestamp > 1",
]

RUN_ORDER_BY = [
    [o] for o in [
        "metrics.m", "metrics.m DESC", "metrics.m desc", "metrics.m ASC", "metrics.m DeSc", "params.p", "tags.t",
        "metrics.`my metric` DESC", 'metrics."my metric"', "metrics.'my metric'", "tags.`a.b` DESC", "params.a.b",
        "start_time", "end_time", "created", "Created DESC", "run_name", "run_id", "status", "user_id",
        "artifact_uri", "Run Name", "attributes.`Run Name`", "timestamp", "name", "dataset.name", "datasets.digest",
        "attr.status", "run.start_time", "foo.x", "metrics.m foo", "metrics.m DESC NULLS LAST", "metrics.m, metrics.n",
        "", " ", " metrics.m", "metrics.m  DESC", "metrics.", "metrics.m DESC DESC",
    ]
] + [
    ["metrics.m", "metrics.m DESC"], ["start_time", "created DESC"], ["metrics.m", "params.m", "tags.m"],
    ["params.a", "parameters.a"], ["metrics.a", "metrics.b"],
]

EXPERIMENT_ORDER_BY = [
    [o] for o in ["name", "name DESC", "experiment_id", "creation_time", "last_update_time ASC", "attribute.name",
                  "attributes.name", "tags.t", "tag.t", "foo", "timestamp", "name foo"]
] + [["name", "name DESC"], ["creation_time DESC", "experiment_id ASC"]]

REGISTERED_MODEL_ORDER_BY = [
    [o] for o in ["name", "name DESC", "timestamp", "timestamp desc", "last_updated_timestamp", "creation_timestamp",
                  "attribute.name", "tags.t", "foo"]
] + [["name", "timestamp"], ["timestamp", "last_updated_timestamp"], ["name", "name DESC"]]

MODEL_VERSION_ORDER_BY = [
    [o] for o in ["name", "version_number DESC", "creation_timestamp", "last_updated_timestamp ASC",
                  "attribute.name", "tags.t", "timestamp", "run_id", "foo"]
] + [["name", "version_number"], ["name", "name DESC"], ["creation_timestamp", "last_updated_timestamp"]]


def main():
    verbose = "--verbose" in sys.argv
    directory = tempfile.mkdtemp()
    uri = f"sqlite:///{directory}/mlflow.db"
    tracking = TrackingStore(uri, os.path.join(directory, "artifacts"))
    registry = RegistryStore(uri)

    targets = {
        "runs": (
            lambda f: tracking.search_runs(["0"], f, ViewType.ALL, 10),
            lambda f: to_ast(SearchUtils.parse_search_filter(f), convert_runs),
            RUN_FILTERS,
            lambda o: tracking.search_runs(["0"], None, ViewType.ALL, 10, o),
            lambda o: [
                {"entity": ENTITY[t], "key": SearchUtils.translate_key_alias(k) if t == "attribute" else k,
                 "ascending": a}
                for t, k, a in map(SearchUtils.parse_order_by_for_search_runs, o)
            ],
            RUN_ORDER_BY,
        ),
        "experiments": (
            lambda f: tracking.search_experiments(ViewType.ALL, 10, f),
            lambda f: to_ast(SearchExperimentsUtils.parse_search_filter(f), convert_experiments),
            EXPERIMENT_FILTERS,
            lambda o: tracking.search_experiments(ViewType.ALL, 10, None, o),
            lambda o: [{"entity": t, "key": k, "ascending": a}
                       for t, k, a in map(SearchExperimentsUtils.parse_order_by_for_search_experiments, o)],
            EXPERIMENT_ORDER_BY,
        ),
        "registered_models": (
            lambda f: registry.search_registered_models(f, 10),
            lambda f: to_ast(SearchModelUtils.parse_search_filter(f), convert_registered_models),
            REGISTERED_MODEL_FILTERS,
            lambda o: registry.search_registered_models(None, 10, o),
            lambda o: [{"entity": "attribute", "key": "last_updated_timestamp" if k == "timestamp" else k,
                        "ascending": a}
                       for k, a in map(SearchUtils.parse_order_by_for_search_registered_models, o)],
            REGISTERED_MODEL_ORDER_BY,
        ),
        "model_versions": (
            lambda f: registry.search_model_versions(f, 10),
            lambda f: to_ast(SearchModelVersionUtils.parse_search_filter(f), convert_model_versions),
            MODEL_VERSION_FILTERS,
            lambda o: registry.search_model_versions(None, 10, o),
            lambda o: [{"entity": t, "key": k, "ascending": a}
                       for t, k, a in map(SearchModelVersionUtils.parse_order_by_for_search_model_versions, o)],
            MODEL_VERSION_ORDER_BY,
        ),
    }

    filters, order_bys = [], []
    for target, (search, parse, corpus, search_ordered, parse_order_by, order_corpus) in targets.items():
        for text in dict.fromkeys(corpus):
            outcome, detail = verdict(lambda: search(text))
            case = {"target": target, "filter": text, "mlflow": outcome}
            if outcome == "accept":
                case["expected"] = parse(text)
            elif verbose:
                print(target, repr(text), outcome, detail)
            filters.append(case)
        for items in order_corpus:
            outcome, detail = verdict(lambda: search_ordered(items))
            case = {"target": target, "orderBy": items, "mlflow": outcome}
            if outcome == "accept":
                case["expected"] = parse_order_by(items)
            elif verbose:
                print(target, items, outcome, detail)
            order_bys.append(case)

    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mlflow-parity.json")
    def lines(cases):
        return ",\n".join("    " + json.dumps(c, ensure_ascii=False, allow_nan=False) for c in cases)

    with open(out, "w") as f:
        f.write(f'{{\n  "mlflowVersion": "{mlflow.__version__}",\n')
        f.write(f'  "filters": [\n{lines(filters)}\n  ],\n  "orderBy": [\n{lines(order_bys)}\n  ]\n}}\n')
    print(f"wrote {len(filters)} filters and {len(order_bys)} order_by cases to {out}")


if __name__ == "__main__":
    main()
