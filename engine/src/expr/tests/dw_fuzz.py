#!/usr/bin/env python3
"""Differential fuzzer: flowrun's DataWeave against MuleSoft's own engine.

Generates random expressions from the grammar flowrun supports (selectors, literals, `++`,
`default`, `==`/`!=`, comparisons, arithmetic, `if`/`else`, `map`/`filter`/`reduce` with
`$` and `$$`, object and array constructors, core functions from ../DESIGN.md) and random
JSON payloads, runs each case in both engines with `output application/json`, and compares
the results as parsed JSON (numbers by value, keys in order). Errors are compared by
category only: both engines failing counts as agreement, whatever the messages say.

A disagreement is shrunk (subexpressions, then smaller literals, then a smaller payload)
and printed as a minimal case. Cases that match an entry of KNOWN_DIFFERENCES, differences
flowrun keeps on purpose (see ../DESIGN.md, "Left out on purpose"), are counted as passed,
and so are cases where the reference engine agrees with flowrun once the payload is read
into memory instead of streamed (the engine loses parts of streamed inputs; DESIGN.md, Testing).

Usage (Python 3.11, `pip install dataweave-native`; builds flowrun's `dw_eval` example):
    python3 engine/src/expr/tests/dw_fuzz.py --cases 300 --seed 1    # the fixed CI budget
    python3 engine/src/expr/tests/dw_fuzz.py --seconds 600           # longer, by hand
Exit status 1 when a disagreement is not explained by KNOWN_DIFFERENCES.
The last line is always `N passed, M failed`.
"""

import argparse
import json
import os
import random
import re
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
HEADER = "output application/json indent=false\n---\n"

# Differences flowrun keeps deliberately, each with a test on the (minimal) case and the
# reason. A test receives the expression text and both answers.
KNOWN_DIFFERENCES = [
    (
        "eager evaluation",
        lambda expr, fr, dw: "error" in fr and "output" in dw and (
            re.search(r"\b(map|filter|mapObject|filterObject|pluck|flatMap|distinctBy)\b", expr)
            or "{(" in expr),
        "DESIGN.md: flowrun evaluates eagerly. DataWeave computes what lazy functions and "
        "object spreads give only as far as it is read, so a failure in a part nobody reads "
        "(`typeOf(xs map f)`, `1 != {(payload.b)}`) does not happen there.",
    ),
    (
        "size limits",
        lambda expr, fr, dw: re.match(r"flowrun (builds|writes|hands on|makes) \w+ of at most", fr.get("error", "")),
        "DESIGN.md (Limits): flowrun refuses to build a string, array, object or range past "
        "its size limits (64 MiB, 10,000,000 elements); DataWeave goes on until memory runs out.",
    ),
    (
        "static typing",
        lambda expr, fr, dw: "output" in fr and "Expecting Type: `" in dw.get("error", ""),
        "DESIGN.md: no static type checking. DataWeave's type checker rejects some scripts "
        "before they run (`min([] distinctBy $)`: `Expecting Type: String, but got: Any`); "
        "flowrun runs them, and fails only where a value really has the wrong type.",
    ),
]

# Disagreements that are flowrun bugs, not choices: each is still printed with its minimal case
# on every run, and counted apart, so that the fixed-budget run in CI reports them without
# failing on a bug already known. Fixing one means deleting its entry here.
OPEN_BUGS = []

# ---------------------------------------------------------------- payloads

KEYS = ["a", "b", "name", "n", "items", "tags"]
WORDS = ["x", "Hello", "a b", "", "42", "true", " pad ", "Ünï"]


def gen_json(rng, depth=0):
    roll = rng.random()
    if depth >= 3 or roll < 0.5:
        return rng.choice([
            None, True, False, rng.randint(-5, 20), rng.randint(0, 9) + rng.choice([0.5, 0.25, 0.1]),
            rng.choice(WORDS), rng.choice(WORDS),
        ])
    if roll < 0.75:
        return [gen_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(KEYS): gen_json(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def gen_payload(rng):
    payload = {k: gen_json(rng, 1) for k in rng.sample(KEYS, rng.randint(2, len(KEYS)))}
    if rng.random() < 0.7:
        payload["items"] = [rng.randint(-3, 9) for _ in range(rng.randint(0, 5))]
    if rng.random() < 0.5:
        payload["tags"] = [rng.choice(WORDS) for _ in range(rng.randint(0, 4))]
    return payload


# ---------------------------------------------------------------- expressions


class Node:
    """A piece of expression: a template with `{0}`, `{1}`... for its children."""

    def __init__(self, template, *children):
        self.template = template
        self.children = list(children)

    def render(self):
        parts = []
        for child in self.children:
            text = child.render()
            parts.append(text if child.atomic() else "(" + text + ")")
        return self.template.format(*parts)

    def atomic(self):
        # Array and object constructors and calls bracket themselves.
        bracketed = self.template.startswith(("[", "{{")) and self.template.endswith(("]", "}}"))
        call = re.fullmatch(r"[a-zA-Z]+\((\{\d\})?\)", self.template) is not None
        return not self.children or bracketed or call

    def nodes(self):
        yield self
        for child in self.children:
            yield from child.nodes()

    def size(self):
        return sum(1 for _ in self.nodes())



def valid(root):
    """Whether a case may be run. Every generated case may: an infix function that takes a
    function makes its right operand a lambda whatever it is written as, in both engines
    (`[1, 2] map 1` is `[1, 1]`), and a `$` anywhere else belongs to the enclosing lambda.
    Kept as the hook where a generated form both engines cannot agree on would be ruled out."""
    return True


def leaf(text):
    return Node(text.replace("{", "{{").replace("}", "}}"))


def dw_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


class Gen:
    def __init__(self, rng):
        self.rng = rng

    def pick(self, depth, options):
        """Chooses among (weight, builder) pairs; leaves only when too deep."""
        if depth <= 0:
            options = [o for o in options if o[0] < 0] or options
        total = sum(abs(w) for w, _ in options)
        roll = self.rng.uniform(0, total)
        for weight, build in options:
            roll -= abs(weight)
            if roll <= 0:
                return build()
        return options[-1][1]()

    def body(self, build):
        """A lambda body: an expression that may use `$`."""
        return build()

    # Negative weights mark leaves.
    def num(self, d, lam=False):
        r = self.rng
        opts = [
            (-3, lambda: leaf(str(r.randint(-3, 12)))),
            (-1, lambda: leaf(r.choice(["1.5", "0.1", "2.50", "1e2", "100.0"]))),
            (-2, lambda: leaf("payload.n")),
            (2, lambda: Node("{0} " + r.choice(["+", "-", "*"]) + " {1}", self.num(d - 1, lam), self.num(d - 1, lam))),
            (1, lambda: Node("{0} / {1}", self.num(d - 1, lam), self.num(d - 1, lam))),
            (1, lambda: Node("-{0}", self.num(d - 1, lam))),
            (1, lambda: Node("sizeOf({0})", self.pick(d - 1, [(1, lambda: self.arr(d - 1, lam)), (1, lambda: self.str(d - 1, lam))]))),
            (1, lambda: Node(r.choice(["abs", "floor", "ceil", "round"]) + "({0})", self.num(d - 1, lam))),
            (1, lambda: Node("{0} default {1}", self.any(d - 1, lam), self.num(d - 1, lam))),
            (1, lambda: Node("if ({0}) {1} else {2}", self.bool(d - 1, lam), self.num(d - 1, lam), self.num(d - 1, lam))),
            (1, lambda: Node(r.choice(["max", "min", "sum", "avg"]) + "({0})", self.arr(d - 1, lam))),
            (1, lambda: Node("{0} reduce ($$ + $)", self.arr(d - 1, lam))),
            (1, lambda: Node("sizeOf({0})", self.obj(d - 1, lam))),
            (1, lambda: Node("sum(({0}) to ({1}))", self.num(d - 1, lam), self.num(d - 1, lam))),
            (1, lambda: Node("{0} as Number", self.str(d - 1, lam))),
            (1, lambda: Node("{0} indexOf {1}", self.arr(d - 1, lam), self.any(d - 1, lam))),
            (1, lambda: Node("do {{ var v = {0} --- v * v }}", self.num(d - 1, lam))),
        ]
        if lam:
            opts += [(-3, lambda: leaf("$")), (-1, lambda: leaf("$$"))]
        return self.pick(d, opts)

    def str(self, d, lam=False):
        r = self.rng
        opts = [
            (-3, lambda: leaf(dw_string(r.choice(WORDS)))),
            (-2, lambda: leaf("payload.name")),
            (3, lambda: Node("{0} ++ {1}", self.scalar(d - 1, lam), self.scalar(d - 1, lam))),
            (1, lambda: Node(r.choice(["upper", "lower", "trim"]) + "({0})", self.str(d - 1, lam))),
            (1, lambda: Node("{0} default {1}", self.any(d - 1, lam), self.str(d - 1, lam))),
            (1, lambda: Node("{0} as String", self.scalar(d - 1, lam))),
            (1, lambda: Node('"<$({0})>"', self.scalar(d - 1, lam))),
            (1, lambda: Node("{0} joinBy " + dw_string(r.choice(["-", ", "])), self.arr(d - 1, lam))),
            (1, lambda: Node('{0} replace "a" with "_"', self.str(d - 1, lam))),
            (1, lambda: Node("typeOf({0})", self.any(d - 1, lam))),
            (1, lambda: Node("dw::core::Strings::" + r.choice(["capitalize", "camelize", "dasherize", "underscore"]) + "({0})", self.str(d - 1, lam))),
            (1, lambda: Node("dw::core::Strings::" + r.choice(["substringBefore", "substringAfter", "substringBeforeLast", "substringAfterLast"]) + "({0}, " + dw_string(r.choice(["a", " ", "x"])) + ")", self.str(d - 1, lam))),
            (1, lambda: Node("{0} as String {{format: " + dw_string(r.choice(["#.00", "0", "#,##0.0", "000"])) + "}}", self.num(d - 1, lam))),
            (1, lambda: Node("{0} match {{ case x if x is String -> x case x is Number -> \"n\" else -> \"other\" }}", self.any(d - 1, lam))),
            (1, lambda: Node("{0} match {{ case /([a-z]+)(\\d*)/ -> $[1] else -> \"-\" }}", self.str(d - 1, lam))),
            (1, lambda: Node("{0}[" + r.choice(["0", "-1", "1 to -1", "0 to 1"]) + "]", self.str(d - 1, lam))),
            (1, lambda: Node("if ({0}) {1} else {2}", self.bool(d - 1, lam), self.str(d - 1, lam), self.str(d - 1, lam))),
        ]
        if lam:
            opts += [(-3, lambda: leaf("$"))]
        return self.pick(d, opts)

    def bool(self, d, lam=False):
        r = self.rng
        opts = [
            (-1, lambda: leaf(r.choice(["true", "false"]))),
            (-1, lambda: leaf(r.choice(["payload.a?", "payload.zz?"]))),
            (3, lambda: Node("{0} " + r.choice(["==", "!="]) + " {1}", self.any(d - 1, lam), self.any(d - 1, lam))),
            (2, lambda: Node("{0} " + r.choice(["<", ">", "<=", ">="]) + " {1}", self.scalar(d - 1, lam), self.scalar(d - 1, lam))),
            (1, lambda: Node("{0} " + r.choice(["and", "or"]) + " {1}", self.bool(d - 1, lam), self.bool(d - 1, lam))),
            (1, lambda: Node(r.choice(["!", "not "]) + "{0}", self.bool(d - 1, lam))),
            (1, lambda: Node("isEmpty({0})", self.any(d - 1, lam))),
            (1, lambda: Node("{0} " + r.choice(["contains", "startsWith", "endsWith"]) + " {1}", self.str(d - 1, lam), self.str(d - 1, lam))),
            (1, lambda: Node("{0} is " + r.choice(["Number", "String", "Array", "Object", "Null", "Boolean"]), self.any(d - 1, lam))),
            (1, lambda: Node(r.choice(["isEven", "isOdd", "isInteger"]) + "({0})", self.num(d - 1, lam))),
            (1, lambda: Node("{0} ~= {1}", self.any(d - 1, lam), self.any(d - 1, lam))),
            (1, lambda: Node("{0} contains {1}", self.arr(d - 1, lam), self.any(d - 1, lam))),
            (1, lambda: Node("isBlank({0})", self.str(d - 1, lam))),
        ]
        return self.pick(d, opts)

    def arr(self, d, lam=False):
        r = self.rng
        opts = [
            (-2, lambda: leaf(r.choice(["payload.items", "payload.tags", "[]"]))),
            (-1, lambda: leaf("[1, 2, 3]")),
            (2, lambda: Node("[" + ", ".join("{%d}" % i for i in range(n)) + "]", *[self.any(d - 1, lam) for _ in range(n)])
             if (n := r.randint(0, 3)) else leaf("[]")),
            (2, lambda: Node("{0} map {1}", self.arr(d - 1, lam), self.body(lambda: self.any(d - 1, True)))),
            (2, lambda: Node("{0} filter {1}", self.arr(d - 1, lam), self.body(lambda: self.bool(d - 1, True)))),
            (1, lambda: Node("{0} ++ {1}", self.arr(d - 1, lam), self.arr(d - 1, lam))),
            (1, lambda: Node("flatten([{0}, {1}])", self.arr(d - 1, lam), self.arr(d - 1, lam))),
            (1, lambda: Node("{0} orderBy $", self.arr(d - 1, lam))),
            (1, lambda: Node("{0} distinctBy $", self.arr(d - 1, lam))),
            (1, lambda: Node("{0}[" + r.choice(["0 to 1", "1 to 0", "-1 to 0", "0 to -1"]) + "]", self.arr(d - 1, lam))),
            (1, lambda: leaf(r.choice(["payload.*a", "payload..a", "payload.items.a"]))),
            (1, lambda: Node(r.choice(["keysOf", "valuesOf"]) + "({0})", self.obj(d - 1, lam))),
            (1, lambda: Node("{0} splitBy " + dw_string(r.choice([" ", "a", ","])), self.str(d - 1, lam))),
            (1, lambda: Node("{0} pluck " + r.choice(["$", "$$", "$$$"]), self.obj(d - 1, lam))),
            (1, lambda: Node("{0} flatMap [$, $$]", self.arr(d - 1, lam))),
            (1, lambda: Node("{0} -- {1}", self.arr(d - 1, lam), self.arr(d - 1, lam))),
            (1, lambda: Node("{0} zip {1}", self.arr(d - 1, lam), self.arr(d - 1, lam))),
            (1, lambda: Node("{0} map ((x, i) -> {1})", self.arr(d - 1, lam), self.any(d - 1, True))),
            (1, lambda: Node("({0}) to ({1})", self.num(d - 1, lam), self.num(d - 1, lam))),
            (1, lambda: Node("{0} find {1}", self.arr(d - 1, lam), self.any(d - 1, lam))),
            (1, lambda: Node("entriesOf({0}) map $.key", self.obj(d - 1, lam))),
            (1, lambda: Node("do {{ fun twice(x) = [x, x] --- {0} flatMap twice($) }}", self.arr(d - 1, lam))),
        ]
        return self.pick(d, opts)

    def obj(self, d, lam=False):
        r = self.rng

        def constructor():
            n = r.randint(0, 3)
            keys = [r.choice(KEYS + ["k"]) for _ in range(n)]
            members = ", ".join(f"{k}: {{{i}}}" for i, k in enumerate(keys))
            return Node("{{" + members + "}}", *[self.any(d - 1, lam) for _ in range(n)])

        opts = [
            (-2, lambda: leaf(r.choice(["payload", "payload.b", "{}"]))),
            (3, constructor),
            (1, lambda: Node("{{({0})}}", self.obj(d - 1, lam))),
            (1, lambda: Node("{0} mapObject {{($$): {1}}}", self.obj(d - 1, lam), self.body(lambda: self.any(d - 1, True)))),
            (1, lambda: Node("{0} filterObject {1}", self.obj(d - 1, lam), self.body(lambda: self.bool(d - 1, True)))),
            (1, lambda: Node('{0} - "a"', self.obj(d - 1, lam))),
            (1, lambda: Node("{0} ++ {1}", self.obj(d - 1, lam), self.obj(d - 1, lam))),
            (1, lambda: Node("{0} groupBy ($ as String)", self.arr(d - 1, lam))),
            (1, lambda: Node('{0} -- ["a", "b"]', self.obj(d - 1, lam))),
            (1, lambda: Node("{0} filterObject ((v, k) -> k ~= " + dw_string(r.choice(KEYS)) + ")", self.obj(d - 1, lam))),
            (1, lambda: Node("{{(" + r.choice(KEYS) + "): {0}, ({1})}}", self.any(d - 1, lam), self.obj(d - 1, lam))),
        ]
        return self.pick(d, opts)

    def scalar(self, d, lam=False):
        return self.pick(d, [(2, lambda: self.num(d, lam)), (2, lambda: self.str(d, lam)),
                             (1, lambda: self.bool(d, lam)), (-1, lambda: self.select(lam))])

    def select(self, lam):
        r = self.rng
        base = "$" if lam and r.random() < 0.5 else "payload"
        path = "".join(r.choice([".a", ".b", ".name", ".items", "[0]", "[-1]", '["n"]', ".*a", "..a"])
                       for _ in range(r.randint(1, 3)))
        return leaf(base + path)

    def any(self, d, lam=False):
        return self.pick(d, [
            (2, lambda: self.num(d, lam)), (2, lambda: self.str(d, lam)), (1, lambda: self.bool(d, lam)),
            (2, lambda: self.arr(d, lam)), (2, lambda: self.obj(d, lam)), (-2, lambda: self.select(lam)),
            (-1, lambda: leaf("null")),
        ])


# ---------------------------------------------------------------- the two engines


class Flowrun:
    """flowrun's `dw_eval` example, one process for the whole run."""

    def __init__(self):
        target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
        subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "flowrun-engine",
                        "--example", "dw_eval"], cwd=ROOT, check=True)
        binary = Path(target) / "release" / "examples" / "dw_eval"
        self.proc = self.start(binary)
        self.binary = binary

    @staticmethod
    def start(binary):
        return subprocess.Popen([str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def run(self, script, payload):
        line = json.dumps({"script": script, "payload": payload})
        try:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline()
        except BrokenPipeError:
            answer = ""
        if not answer:
            # The process died (a stack overflow cannot be caught): report it and restart.
            self.proc = self.start(self.binary)
            return {"panic": "dw_eval exited"}
        return json.loads(answer)


class MuleSoft:
    def __init__(self):
        import dataweave
        from dataweave.models import InputValue

        self.input = InputValue
        self.dw = dataweave.DataWeave()
        self.dw.initialize()

    def run(self, script, payload, mime="application/json"):
        properties = {"onlyData": True} if mime == "application/dw" else None
        result = self.dw.run(script, {"payload": self.input(payload, mime, properties=properties)})
        if not result.success:
            return {"error": result.error or "failed"}
        return {"output": result.get_string()}


def tagged(value):
    """A comparable form of parsed JSON: types kept apart (True is not 1), numbers by value."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, Decimal):
        return ("n", value)
    if isinstance(value, str):
        return ("s", value)
    if value is None:
        return ("z",)
    if isinstance(value, list) and value and isinstance(value[0], PairMark):
        return ("o", [(k, tagged(v)) for k, v in value[1:]])
    if isinstance(value, list):
        return ("a", [tagged(v) for v in value])
    raise TypeError(value)


class PairMark:
    pass


def parse(text):
    def pairs(items):
        return [PairMark()] + items
    return tagged(json.loads(text, object_pairs_hook=pairs, parse_float=Decimal, parse_int=Decimal))


def agree(fr, dw):
    if "panic" in fr:
        return False
    if "error" in fr and "error" in dw:
        return True
    if "output" in fr and "output" in dw:
        try:
            return parse(fr["output"]) == parse(dw["output"])
        except (ValueError, TypeError):
            return fr["output"] == dw["output"]
    return False


def signature(fr, dw):
    """Which kind of disagreement: kept while shrinking so that it stays the same bug."""
    return ("panic" if "panic" in fr else "error" if "error" in fr else "ok",
            "error" if "error" in dw else "ok")


# ---------------------------------------------------------------- shrinking


def replacements(node):
    yield from node.children
    for text in ("null", "1", '"a"', "true", "[]", "{}", "payload"):
        if node.template != text:
            yield leaf(text)


def shrink_expr(root, still_fails):
    changed = True
    while changed:
        changed = False
        for target in list(root.nodes()):
            for candidate in list(replacements(target)):
                if len(candidate.render()) >= len(target.render()):
                    continue
                saved = (target.template, target.children)
                target.template, target.children = candidate.template, candidate.children
                if valid(root) and still_fails(root):
                    changed = True
                    break
                target.template, target.children = saved
            if changed:
                break
    return root


def smaller_json(value):
    if isinstance(value, dict):
        for k in value:
            yield {kk: vv for kk, vv in value.items() if kk != k}
        for k, v in value.items():
            for smaller in smaller_json(v):
                yield {**value, k: smaller}
    elif isinstance(value, list):
        for i in range(len(value)):
            yield value[:i] + value[i + 1:]
        for i, v in enumerate(value):
            for smaller in smaller_json(v):
                yield value[:i] + [smaller] + value[i + 1:]
    elif value is not None:
        yield None


def shrink_payload(payload, still_fails):
    changed = True
    while changed:
        changed = False
        for candidate in smaller_json(payload):
            if still_fails(candidate):
                payload, changed = candidate, True
                break
    return payload


# ---------------------------------------------------------------- main


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--cases", type=int, default=None, help="stop after N cases")
    parser.add_argument("--seconds", type=float, default=None, help="stop after S seconds")
    parser.add_argument("--depth", type=int, default=4, help="how deep expressions nest")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    if args.cases is None and args.seconds is None:
        args.cases = 300
    rng = random.Random(seed)
    print(f"seed {seed}", file=sys.stderr)

    flowrun, mulesoft = Flowrun(), MuleSoft()
    passed = failed = known = open_bugs = 0
    started = time.monotonic()
    seen = set()
    while True:
        n_done = passed + failed
        if args.cases is not None and n_done >= args.cases:
            break
        if args.seconds is not None and time.monotonic() - started >= args.seconds:
            break
        expr = Gen(rng).any(rng.randint(1, args.depth))
        while not valid(expr):
            expr = Gen(rng).any(rng.randint(1, args.depth))
        payload = gen_payload(rng)

        def answers(node, data):
            script, text = HEADER + node.render(), json.dumps(data)
            return flowrun.run(script, text), mulesoft.run(script, text)

        fr, dw = answers(expr, payload)
        if agree(fr, dw):
            passed += 1
            continue
        kind = signature(fr, dw)

        def fails_expr(node):
            f, d = answers(node, payload)
            return not agree(f, d) and signature(f, d) == kind

        def fails_payload(data):
            f, d = answers(expr, data)
            return not agree(f, d) and signature(f, d) == kind

        expr = shrink_expr(expr, fails_expr)
        payload = shrink_payload(payload, fails_payload)
        fr, dw = answers(expr, payload)
        text = expr.render()
        reason = next((name for name, test, _ in KNOWN_DIFFERENCES if test(text, fr, dw)), None)
        # The reference engine streams a JSON input, and loses parts of it in some
        # expressions (`payload.*a ++ [1]` with {"a": [null]} gives [[], 1]; `{} ++ payload`
        # with {"n": [null]} gives {"n": []}). Read into memory (as DataWeave notation, which
        # JSON is), the same payload gives the engine's own answer for the value.
        if not reason and agree(fr, mulesoft.run(HEADER + text, json.dumps(payload), "application/dw")):
            reason = "reference engine streaming bug"
        if reason:
            passed += 1
            known += 1
            continue
        bug = next((name for name, test, _ in OPEN_BUGS if test(text, fr, dw)), None)
        if bug:
            open_bugs += 1
            print(f"OPEN BUG ({bug}): {text}\n  payload:  {json.dumps(payload)}\n"
                  f"  flowrun:  {json.dumps(fr)[:300]}\n  dataweave: {json.dumps(dw)[:300]}")
            continue
        failed += 1
        if (text, json.dumps(payload)) in seen:
            continue
        seen.add((text, json.dumps(payload)))
        print(f"DISAGREE: {text}\n  payload:  {json.dumps(payload)}\n"
              f"  flowrun:  {json.dumps(fr)[:300]}\n  dataweave: {json.dumps(dw)[:300]}")
    if known:
        print(f"{known} known differences (counted as passed)")
    if open_bugs:
        print(f"{open_bugs} cases hit open bugs listed in OPEN_BUGS (not counted)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
