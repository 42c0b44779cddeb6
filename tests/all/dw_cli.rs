//! `flowrun dw` through the binary. Every expected output and message was produced by
//! MuleSoft's DataWeave engine (`dataweave-native`) for the same script and inputs.

use std::process::Output;

use crate::support::openbao::TempDir;
use crate::support::process::run_flowrun;

const ORDER: &str = r#"{"id": "A1", "items": [{"price": 2.5, "qty": 2}, {"price": 10, "qty": 1}]}"#;

/// A folder with `order.json`, `user.txt` and `cfg.dwl`.
fn inputs(tag: &str) -> TempDir {
    let dir = TempDir::new(tag);
    std::fs::write(dir.0.join("order.json"), ORDER).expect("write order.json");
    std::fs::write(dir.0.join("user.txt"), "ann").expect("write user.txt");
    std::fs::write(dir.0.join("cfg.dwl"), r#"{rate: 0.2, name: "x"}"#).expect("write cfg.dwl");
    dir
}

fn dw(dir: &TempDir, args: &[&str]) -> Output {
    let mut all = vec!["dw"];
    all.extend_from_slice(args);
    run_flowrun(&dir.0, &all)
}

#[track_caller]
fn stdout_of(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

#[test]
fn named_inputs_are_read_by_their_extension() {
    let dir = inputs("dw-inputs");
    let script =
        "output application/json --- {id: payload.id, who: upper(user), n: sizeOf(payload.items)}";
    let output = dw(&dir, &["-i", "payload=order.json", "-i", "user=user.txt", script]);
    assert_eq!(stdout_of(&output), "{\n  \"id\": \"A1\",\n  \"who\": \"ANN\",\n  \"n\": 2\n}\n");
}

#[test]
fn csv_inputs_are_read_with_their_header() {
    let dir = inputs("dw-csv");
    std::fs::write(dir.0.join("rows.csv"), "id,name\n1,\"Ann, B\"\n2,Bo\n")
        .expect("write rows.csv");
    let output = dw(&dir, &["-i", "rows=rows.csv", "rows map {($.id): $.name}"]);
    assert_eq!(
        stdout_of(&output),
        "[\n  {\n    \"1\": \"Ann, B\"\n  },\n  {\n    \"2\": \"Bo\"\n  }\n]\n"
    );
}

#[test]
fn a_script_without_output_writes_json() {
    let dir = inputs("dw-default");
    let output = dw(&dir, &["-i", "payload=order.json", "payload.items map $.price * $.qty"]);
    assert_eq!(stdout_of(&output), "[\n  5,\n  10\n]\n");
}

#[test]
fn scripts_from_files_follow_their_output_directive() {
    let dir = inputs("dw-file");
    let script = "%dw 2.0\noutput text/plain\n---\n\"Order \" ++ payload.id ++ \" by \" ++ user\n";
    std::fs::write(dir.0.join("order.dwl"), script).expect("write the script");
    let output = dw(&dir, &["-i", "payload=order.json", "-i", "user=user.txt", "-f", "order.dwl"]);
    assert_eq!(stdout_of(&output), "Order A1 by ann\n");
}

#[test]
fn dwl_inputs_are_dataweave_values() {
    let dir = inputs("dw-dwl");
    let output = dw(&dir, &["-i", "cfg=cfg.dwl", "{name: cfg.name, net: 100 * (1 - cfg.rate)}"]);
    assert_eq!(stdout_of(&output), "{\n  \"name\": \"x\",\n  \"net\": 80\n}\n");
}

#[test]
fn compile_errors_print_dataweaves_message_and_exit_1() {
    let dir = inputs("dw-compile");
    let output = dw(&dir, &["{a: nope}"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let expected = "Unable to resolve reference of: `nope`.\n\n1| {a: nope}\n       ^^^^\nLocation:\nanonymous (line: 1, column:5)\n";
    assert_eq!(String::from_utf8_lossy(&output.stderr), expected);
    // In a script file, the location names the file.
    std::fs::write(
        dir.0.join("bad.dwl"),
        "%dw 2.0\noutput application/json\n---\n{id: payload.id +}\n",
    )
    .expect("write the script");
    let output = dw(&dir, &["-f", "bad.dwl"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("\n\n4| {id: payload.id +}\n"), "{stderr}");
    assert!(stderr.ends_with("\nLocation:\nbad.dwl (line: 4, column:18)\n"), "{stderr}");
}

#[test]
fn syntax_errors_are_worded_and_placed_as_dataweave_does() {
    let dir = inputs("dw-syntax");
    // What MuleSoft's engine prints for the same scripts, to the byte.
    let cases = [
        (
            "[1, 2",
            "Unexpected end of input, expected ']' or ',' for the array expression. (line 1, column 6):\n\n\n1| [1, 2\n        ^\nLocation:\nanonymous (line: 1, column:6)\n",
        ),
        (
            "{total: 1 +}",
            "Missing addition expression.\n\n1| {total: 1 +}\n              ^\nLocation:\nanonymous (line: 1, column:12)\n",
        ),
        (
            "%dw 2.0\noutput application/json\n---\nif (true) 1",
            "Missing Else\n\n4| if (true) 1\n              ^\nLocation:\nanonymous (line: 4, column:12)\n",
        ),
        (
            "output\n---\n1",
            "Missing output definition i.e. output application/json or output json\n\n1| output\n...\n---\n\nLocation:\nanonymous (line: 1, column:7)\n",
        ),
    ];
    for (script, expected) in cases {
        let output = dw(&dir, &[script]);
        assert_eq!(output.status.code(), Some(1), "{script}");
        assert_eq!(String::from_utf8_lossy(&output.stderr), expected, "{script}");
    }
}

#[test]
fn attributes_and_vars_can_be_given_as_inputs() {
    let dir = inputs("dw-mule-names");
    std::fs::write(dir.0.join("o.json"), r#"{"x": 1, "y": {"z": "a"}}"#).expect("write o.json");
    std::fs::write(dir.0.join("list.json"), "[1]").expect("write list.json");
    let output =
        dw(&dir, &["-i", "vars=o.json", "-i", "attributes=o.json", "[vars.x, attributes.y.z]"]);
    assert_eq!(stdout_of(&output), "[\n  1,\n  \"a\"\n]\n");
    let output = dw(&dir, &["-i", "vars=list.json", "vars"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("must hold an object, whose keys are the variables"), "{stderr}");
}

#[test]
fn input_names_must_be_names_given_once() {
    let dir = inputs("dw-input-names");
    std::fs::write(dir.0.join("o.json"), "{}").expect("write o.json");
    for (args, says) in [
        (&["-i", "pay load=o.json", "1"][..], "must be a DataWeave name"),
        (&["-i", "1x=o.json", "1"], "must be a DataWeave name"),
        (&["-i", "if=o.json", "1"], "`if` is a reserved word"),
        (&["-i", "match=o.json", "1"], "`match` is a reserved word"),
        (&["-i", "payload=o.json", "-i", "payload=o.json", "1"], "given twice"),
    ] {
        let output = dw(&dir, args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[test]
fn a_script_may_start_with_a_minus() {
    let dir = inputs("dw-minus");
    let output = dw(&dir, &["-5 as String {format: \"#;(#)\"}"]);
    assert_eq!(stdout_of(&output), "\"(5)\"\n");
}

#[test]
fn syntax_errors_on_characters_of_several_bytes_are_messages() {
    let dir = inputs("dw-multibyte");
    // Quotes pasted from a word processor, a `≥`, and a file that starts with a byte-order mark.
    std::fs::write(dir.0.join("bom.dwl"), "\u{feff}%dw 2.0\noutput application/json\n---\n1\n")
        .expect("write the script");
    for args in [&["\u{201c}a\u{201d}"][..], &["a \u{2265} 1"], &["-f", "bom.dwl"]] {
        let output = dw(&dir, args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("\nLocation:\n"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn excerpts_of_scripts_with_windows_line_ends_leave_out_the_carriage_return() {
    let dir = inputs("dw-crlf");
    let compile = "%dw 2.0\r\noutput application/json\r\n---\r\n{a: nope}\r\n";
    let run = "%dw 2.0\r\noutput application/json\r\n---\r\n{a: 1 + \"a\"}\r\n";
    std::fs::write(dir.0.join("compile.dwl"), compile).expect("write compile.dwl");
    std::fs::write(dir.0.join("run.dwl"), run).expect("write run.dwl");
    for (file, excerpt) in [
        ("compile.dwl", "\n4| {a: nope}\n       ^^^^\n"),
        ("run.dwl", "\n4| {a: 1 + \"a\"}\n       ^^^^^^^\n"),
    ] {
        let output = dw(&dir, &["-f", file]);
        assert_eq!(output.status.code(), Some(1), "{file}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(excerpt), "{file}: {stderr:?}");
        assert!(!stderr.contains('\r'), "{file}: {stderr:?}");
    }
}

#[test]
fn runtime_errors_print_dataweaves_message_and_exit_1() {
    let dir = inputs("dw-runtime");
    std::fs::write(dir.0.join("b.json"), r#"{"b": 1}"#).expect("write b.json");
    let output = dw(&dir, &["-i", "payload=b.json", "payload.a ++ \"x\""]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("You called the function '++' with these arguments: \n  1: Null (null)\n  2: String (\"x\")\n"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(
            "1| payload.a ++ \"x\"\n             ^^\nTrace:\n  at main (line: 1, column: 11)\n"
        ),
        "{stderr}"
    );
}

#[test]
fn bad_inputs_are_usage_errors() {
    let dir = inputs("dw-usage");
    let output = dw(&dir, &["-i", "x=missing.json", "x"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read `missing.json`"));
    std::fs::write(dir.0.join("data.bin"), "1").expect("write data.bin");
    let output = dw(&dir, &["-i", "x=data.bin", "x"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("reads .json, .csv, .txt and .dwl"));
    std::fs::write(dir.0.join("data.xml"), "<a>1</a>").expect("write data.xml");
    let output = dw(&dir, &["-i", "x=data.xml", "x"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot read `data.xml`: flowrun does not read XML yet"), "{stderr}");
    let output = dw(&dir, &[]);
    assert_eq!(output.status.code(), Some(2), "a script is required");
}

#[test]
fn payload_and_mule_names_are_unknown_unless_given() {
    let dir = inputs("dw-no-payload");
    let output = dw(&dir, &["payload.id"]);
    assert_eq!(output.status.code(), Some(1));
    let expected = "Unable to resolve reference of: `payload`.\n\n1| payload.id\n   ^^^^^^^\nLocation:\nanonymous (line: 1, column:1)\n";
    assert_eq!(String::from_utf8_lossy(&output.stderr), expected);
    let output = dw(&dir, &["-i", "user=user.txt", "{u: user, a: attributes}"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("Unable to resolve reference of: `attributes`.\n"), "{stderr}");
    // Given with `-i`, it is read as any other input.
    let output = dw(&dir, &["-i", "payload=order.json", "payload.id"]);
    assert_eq!(stdout_of(&output), "\"A1\"\n");
}

#[test]
fn reader_errors_say_what_and_where_without_quoting_the_input() {
    let dir = inputs("dw-bad-json");
    std::fs::write(dir.0.join("bad.json"), "{\"a\": 1,}").expect("write bad.json");
    let script = "%dw 2.0\noutput application/json\n---\n{a: payload.a}\n";
    std::fs::write(dir.0.join("read.dwl"), script).expect("write the script");
    let output = dw(&dir, &["-i", "payload=bad.json", "-f", "read.dwl"]);
    assert_eq!(output.status.code(), Some(1));
    // DataWeave would follow the first line with the input line and a caret under it.
    let expected = "Unexpected character '}' at payload@[1:9] (line:column), expected '\"', while reading `payload` as Json.\nTrace:\n  at main (line: 4, column: 5)\n";
    assert_eq!(String::from_utf8_lossy(&output.stderr), expected);
    // A large minified body: the message stays short and holds none of it.
    let body = format!("{{\"token\": \"s3cr3t-token\", \"a\": [{}1 2]}}", "1,".repeat(500_000));
    std::fs::write(dir.0.join("big.json"), body).expect("write big.json");
    let output = dw(&dir, &["-i", "payload=big.json", "-f", "read.dwl"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with(
            "Unexpected character '2' at payload@[1:1000035] (line:column), expected ']'"
        ),
        "{stderr:.300}"
    );
    assert!(!stderr.contains("s3cr3t") && stderr.len() < 1_000, "{stderr:.300}");
}

#[test]
fn wrong_argument_counts_fail_before_the_script_runs() {
    let dir = inputs("dw-arity");
    // The call is in a branch that never runs: DataWeave rejects it when it compiles.
    let script = "%dw 2.0\nfun f(a) = a\n---\nif (false) f(1, 2) else 0\n";
    std::fs::write(dir.0.join("arity.dwl"), script).expect("write the script");
    let output = dw(&dir, &["-f", "arity.dwl"]);
    assert_eq!(output.status.code(), Some(1));
    let expected = "Expects `1` argument but got `2`.\n\n4| if (false) f(1, 2) else 0\n              ^^^^^^^\nLocation:\narity.dwl (line: 4, column:12)\n";
    assert_eq!(String::from_utf8_lossy(&output.stderr), expected);
}

#[test]
fn log_writes_its_line_to_stderr() {
    let dir = inputs("dw-log");
    // DataWeave logs `prefix - value`, the value in its own notation, as flows do.
    let output = dw(
        &dir,
        &["-i", "payload=order.json", r#"log("order", {id: payload.id, n: [1, "x"]}).id"#],
    );
    assert_eq!(stdout_of(&output), "\"A1\"\n");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "order - {\n  id: \"A1\",\n  n: [\n    1, \n    \"x\"\n  ]\n}\n"
    );
    let output = dw(&dir, &["log(3) + 1"]);
    assert_eq!(stdout_of(&output), "4\n");
    assert_eq!(String::from_utf8_lossy(&output.stderr), "3\n");
}

#[test]
fn input_directives_choose_the_reader() {
    let dir = inputs("dw-input-directive");
    std::fs::write(dir.0.join("order.txt"), ORDER).expect("write order.txt");
    std::fs::write(dir.0.join("rows.txt"), "id|name\n1|ann\n").expect("write rows.txt");
    let script = "%dw 2.0\ninput payload application/json\noutput application/json\n---\npayload.items[1].price";
    assert_eq!(stdout_of(&dw(&dir, &["-i", "payload=order.txt", script])), "10\n");
    let script = "%dw 2.0\ninput rows application/csv separator=\"|\"\n---\nrows[0].name";
    assert_eq!(stdout_of(&dw(&dir, &["-i", "rows=rows.txt", script])), "\"ann\"\n");
}

#[test]
fn attribute_headers_are_found_whatever_their_case() {
    // As in a flow, where the listener gives header names in lowercase: a file written
    // with `Content-Type` is read as the listener would have given it.
    let dir = inputs("dw-attribute-headers");
    let attrs =
        r#"{"headers": {"Content-Type": "application/json", "X-Id": "9"}, "method": "POST"}"#;
    std::fs::write(dir.0.join("attrs.json"), attrs).expect("write attrs.json");
    let script = r#"output application/json indent=false --- [attributes.headers."Content-Type", attributes.headers["x-id"], attributes.method]"#;
    let output = dw(&dir, &["-i", "attributes=attrs.json", script]);
    assert_eq!(stdout_of(&output), "[\"application/json\",\"9\",\"POST\"]\n");
}

#[test]
fn a_reserved_word_key_is_reported_in_dataweave_words() {
    let dir = inputs("dw-reserved-key");
    let output = dw(&dir, &["output application/json --- { if: 1 }"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Possible solution wrap `if` into quotes e.g payload.'if'\n\n1| output"),
        "{stderr}"
    );
}
