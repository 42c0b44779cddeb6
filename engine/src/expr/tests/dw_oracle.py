#!/usr/bin/env python3
"""Re-checks flowrun's DataWeave corpus against MuleSoft's own engine.

The corpus (corpus.json beside this file) holds cases of the form
    {"name": ..., "script": ..., "inputs": {...}, "expect": {...}}
and is also run by the Rust test in engine/src/expr/corpus.rs, so both engines are
held to the same expectations.

Usage (needs Python 3.10+ and `pip install dataweave-native`, which ships the engine):
    python3 engine/src/expr/tests/dw_oracle.py            # check every case, exit 1 on a mismatch
    python3 engine/src/expr/tests/dw_oracle.py --update   # fill in cases that have no "expect" yet
    python3 engine/src/expr/tests/dw_oracle.py --update-all  # recompute every expectation

Inputs: "payload" and "attributes" are {"mime": ..., "text": ...}; "vars" maps names to
the same shape. The reference engine has no Mule variables, so "vars" is given to it as one
JSON object input named `vars`.

Expectations: {"output": text, "mime": media type} for a success, {"error": message} for a
failure. A script without an `output` directive yields a native value in flowrun; the
oracle then runs it once more with `output application/json` added, and "output" is that
JSON text (flowrun's test writes its native value as JSON to compare).
A case may carry "flowrun": {...} with flowrun's own, deliberately different expectation
and "why": the reason; the oracle check then still compares against "expect".

The check also runs the `script => compact JSON` examples of ../DESIGN.md.
"""

import json
import re
import sys
from pathlib import Path

CORPUS = Path(__file__).with_name("corpus.json")
DESIGN = Path(__file__).parent.parent / "DESIGN.md"


def oracle_inputs(inputs):
    from dataweave.models import InputValue

    out = {}
    for name in ("payload", "attributes"):
        if name in inputs:
            out[name] = InputValue(inputs[name]["text"], inputs[name]["mime"])
    if "vars" in inputs:
        parts = []
        for name, var in inputs["vars"].items():
            text = var["text"] if "json" in var["mime"] else json.dumps(var["text"])
            parts.append(json.dumps(name) + ": " + text)
        out["vars"] = InputValue("{" + ", ".join(parts) + "}", "application/json")
    return out


def has_output(script):
    # Directives may share a line (`%dw 2.0 output text/plain --- ...`): look at the header.
    head = script.split("---", 1)[0] if "---" in script else ""
    return re.search(r"(^|\s)output\s", head) is not None


def with_json_output(script):
    if re.search(r"(^|\n)\s*---", script):
        # `%dw 2.0` must stay the first directive.
        version = re.match(r"\s*%dw[ \t]+\S+[ \t]*\n", script)
        if version:
            return version.group(0) + "output application/json\n" + script[version.end():]
        return "output application/json\n" + script
    return "output application/json\n---\n" + script


def run_case(dw, case):
    inputs = oracle_inputs(case.get("inputs", {}))
    result = dw.run(case["script"], inputs)
    if not result.success:
        return {"error": result.error}
    if has_output(case["script"]):
        return {"output": result.get_string(), "mime": result.mime_type}
    result = dw.run(with_json_output(case["script"]), inputs)
    if not result.success:
        return {"error": result.error}
    return {"output": result.get_string()}


def design_examples():
    text = DESIGN.read_text()
    block = text.split("## Examples", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    for line in block.splitlines():
        if line.strip():
            script, expected = line.rsplit("=>", 1)
            yield script.strip(), expected.strip()


def main(argv):
    import dataweave

    update = "--update" in argv
    update_all = "--update-all" in argv
    cases = json.loads(CORPUS.read_text())
    dw = dataweave.DataWeave()
    dw.initialize()
    n_passed = n_failed = 0
    for case in cases:
        got = run_case(dw, case)
        if update_all or (update and "expect" not in case):
            case["expect"] = got
            continue
        if case.get("expect") == got:
            n_passed += 1
        else:
            n_failed += 1
            print(f"MISMATCH {case['name']}:\n  corpus: {case.get('expect')!r}\n  engine: {got!r}")
    if not (update or update_all):
        for script, expected in design_examples():
            result = dw.run("output application/json indent=false\n---\n" + script, {})
            got = result.get_string() if result.success else "error: " + str(result.error)
            if got == expected:
                n_passed += 1
            else:
                n_failed += 1
                print(f"MISMATCH DESIGN.md example {script}:\n  doc:    {expected!r}\n  engine: {got!r}")
    if update or update_all:
        CORPUS.write_text(json.dumps(cases, indent=2, ensure_ascii=False) + "\n")
        print(f"updated {CORPUS}")
        return 0
    print(f"{n_passed} passed, {n_failed} failed")
    return 1 if n_failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
