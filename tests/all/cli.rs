//! The command line's contract: subcommands, exit codes, and load errors with locations.

use crate::support::openbao::TempDir;
use crate::support::process::run_flowrun;
use crate::support::repo_root;

fn write_app(dir: &TempDir, name: &str, text: &str) -> String {
    let path = dir.0.join(name);
    std::fs::write(&path, text).expect("write app");
    path.to_string_lossy().into_owned()
}

const HEADER: &str = r#"<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:web="http://www.mulesoft.org/schema/mule/http">"#;

#[test]
fn validate_reports_every_problem_with_its_location() {
    let dir = TempDir::new("cli-validate");
    let app = format!(
        "{HEADER}\n  <web:request-config name=\"dup\"/>\n  <flow name=\"dup\">\n    <set-variable value=\"x\" bogus=\"1\"/>\n    <web:request config-ref=\"nowhere\" path=\"/\"/>\n    <lgger message=\"m\"/>\n  </flow>\n</mule>\n"
    );
    let path = write_app(&dir, "bad.xml", &app);
    let output = run_flowrun(&repo_root(), &["validate", &path]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let expected = [
        "bad.xml:4:15: error: duplicate global name `dup`",
        "  = first declared at ",
        "bad.xml:5:6: error: missing required attribute `variableName` on `set-variable`",
        "bad.xml:5:29: error: unknown attribute `bogus` on `set-variable`",
        "bad.xml:6:30: error: `config-ref` names `nowhere`, but nothing has that name",
        "bad.xml:7:6: error: unknown element `lgger`, expected a flow step",
    ];
    for line in expected {
        assert!(stderr.contains(line), "missing `{line}` in:\n{stderr}");
    }
    assert!(stderr.contains("error: the app did not load: 5 errors"), "{stderr}");
}

#[test]
fn missing_property_uses_mules_message() {
    let dir = TempDir::new("cli-prop");
    let app = format!(
        "{HEADER}\n  <flow name=\"f\">\n    <logger message=\"${{nope}}\"/>\n  </flow>\n</mule>\n"
    );
    let path = write_app(&dir, "p.xml", &app);
    let output = run_flowrun(&repo_root(), &["validate", &path]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains(
            "p.xml:4:22: error: Couldn't find configuration property value for key ${nope}"
        ),
        "{stderr}"
    );
}

#[test]
fn system_properties_accept_both_spellings() {
    let dir = TempDir::new("cli-define");
    let app = format!(
        "{HEADER}\n  <flow name=\"f\">\n    <set-variable variableName=\"a\" value=\"${{one}}\"/>\n    <set-variable variableName=\"b\" value=\"${{two}}\"/>\n  </flow>\n</mule>\n"
    );
    let path = write_app(&dir, "d.xml", &app);
    let output =
        run_flowrun(&repo_root(), &["call", &path, "--flow", "f", "-Done=1", "-D", "two=2"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let result: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    assert_eq!(result["vars"], serde_json::json!({"a": "1", "b": "2"}));
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let output = run_flowrun(&repo_root(), &["call", "flows/rotate-ai-key.xml"]);
    assert_eq!(output.status.code(), Some(2), "missing --flow is a usage error");
    for sub in ["run", "call", "validate"] {
        let output = run_flowrun(&repo_root(), &[sub, "--help"]);
        assert_eq!(output.status.code(), Some(0), "{sub} --help");
        assert!(String::from_utf8_lossy(&output.stdout).contains("Usage: flowrun"), "{sub} --help");
    }
    let output = run_flowrun(&repo_root(), &["validate", "does-not-exist.xml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("does-not-exist.xml"));
}

fn call_vars(args: &[&str], envs: &[(&str, &str)]) -> serde_json::Value {
    let mut command = crate::support::process::flowrun();
    command.current_dir(repo_root()).args(args);
    for (k, v) in envs {
        command.env(k, v);
    }
    let output = command.output().expect("run flowrun");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    result["vars"].clone()
}

#[test]
fn property_sources_follow_mules_precedence() {
    let dir = TempDir::new("cli-precedence");
    std::fs::write(
        dir.0.join("config.yaml"),
        "p:\n  file: \"yaml\"\n  env: \"yaml\"\n  sys: \"yaml\"\nonly:\n  yaml: \"from yaml\"\n",
    )
    .expect("write yaml");
    std::fs::write(
        dir.0.join("more.properties"),
        "p.file=properties\nonly.props=from properties\n",
    )
    .expect("write properties");
    let app = format!(
        "{HEADER}\n  <configuration-properties file=\"config.yaml\"/>\n  <configuration-properties file=\"more.properties\"/>\n  <global-property name=\"p.global\" value=\"global\"/>\n  <global-property name=\"p.file\" value=\"global\"/>\n  <flow name=\"f\">\n    <set-variable variableName=\"file\" value=\"${{p.file}}\"/>\n    <set-variable variableName=\"env\" value=\"${{p.env}}\"/>\n    <set-variable variableName=\"sys\" value=\"${{p.sys}}\"/>\n    <set-variable variableName=\"global\" value=\"${{p.global}}\"/>\n    <set-variable variableName=\"props\" value=\"${{only.props}} and ${{only.yaml}}\"/>\n  </flow>\n</mule>\n"
    );
    let path = write_app(&dir, "app.xml", &app);
    let vars = call_vars(
        &["call", &path, "--flow", "f", "-Dp.sys=system"],
        &[("p.env", "environment"), ("p.sys", "environment")],
    );
    let expected = serde_json::json!({
        "file": "yaml",
        "env": "environment",
        "sys": "system",
        "global": "global",
        "props": "from properties and from yaml",
    });
    assert_eq!(vars, expected);
}

#[test]
fn an_app_spans_files_and_project_folders() {
    let dir = TempDir::new("cli-project");
    let mule = dir.0.join("src/main/mule");
    let resources = dir.0.join("src/main/resources");
    std::fs::create_dir_all(&mule).expect("mkdir");
    std::fs::create_dir_all(&resources).expect("mkdir");
    std::fs::write(resources.join("app.properties"), "greeting=hello\n").expect("write");
    std::fs::write(
        mule.join("a.xml"),
        format!("{HEADER}\n  <configuration-properties file=\"app.properties\"/>\n</mule>\n"),
    )
    .expect("write");
    std::fs::write(
        mule.join("b.xml"),
        format!("{HEADER}\n  <flow name=\"f\">\n    <set-variable variableName=\"g\" value=\"${{greeting}}\"/>\n  </flow>\n</mule>\n"),
    )
    .expect("write");
    let folder = dir.0.to_string_lossy().into_owned();
    let vars = call_vars(&["call", &folder, "--flow", "f"], &[]);
    assert_eq!(vars, serde_json::json!({"g": "hello"}));

    let a = mule.join("a.xml").to_string_lossy().into_owned();
    let b = mule.join("b.xml").to_string_lossy().into_owned();
    let output = run_flowrun(&repo_root(), &["validate", &a, &b]);
    // Given as files, the properties file is looked up next to the XML files, not in resources.
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("a.xml:3:35: error: file `app.properties` not found"), "{stderr}");
}

#[test]
fn call_failure_exits_1_with_the_mule_error() {
    let dir = TempDir::new("cli-fail");
    let app = format!(
        "{HEADER}\n  <flow name=\"f\">\n    <set-variable variableName=\"x\" value=\"#[payload.a]\"/>\n  </flow>\n</mule>\n"
    );
    let path = write_app(&dir, "f.xml", &app);
    let output =
        run_flowrun(&repo_root(), &["call", &path, "--flow", "f", "--payload", "\"just text\""]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Error type            : MULE:EXPRESSION"), "{stderr}");
    assert!(stderr.contains("evaluating expression: \"payload.a\""), "{stderr}");
    assert!(output.stdout.is_empty(), "no result on stdout when the flow fails");

    let output = run_flowrun(&repo_root(), &["call", &path, "--flow", "nope"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no flow named `nope`"));
}

#[test]
fn call_prints_payload_media_type_and_vars() {
    let dir = TempDir::new("cli-call");
    let app = format!(
        "{HEADER}\n  <flow name=\"f\">\n    <set-variable variableName=\"who\" value=\"#[payload.user.name default 'nobody']\"/>\n    <set-payload value='#[output application/json --- {{greeting: \"hi \" ++ vars.who, n: 1.50}}]'/>\n  </flow>\n</mule>\n"
    );
    let path = write_app(&dir, "c.xml", &app);
    let output = run_flowrun(
        &repo_root(),
        &["call", &path, "--flow", "f", "--payload", r#"{"user": {"name": "Ada"}}"#],
    );
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(result["payload"], serde_json::json!({"greeting": "hi Ada", "n": 1.50}));
    assert_eq!(result["mediaType"], "application/json; charset=UTF-8");
    assert_eq!(result["vars"], serde_json::json!({"who": "Ada"}));
}

#[test]
fn properties_file_keeps_the_key_off_the_command_line() {
    let dir = TempDir::new("cli-propfile");
    std::fs::write(dir.0.join("key.properties"), "mule.key=flowrun-demo-key\n").expect("write");
    let key_file = dir.0.join("key.properties").to_string_lossy().into_owned();
    let output = run_flowrun(
        &repo_root(),
        &["validate", "flows/rotate-ai-key.xml", "--properties", &key_file],
    );
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));

    // -D wins over the file, as a later, more specific source.
    let output = run_flowrun(
        &repo_root(),
        &[
            "validate",
            "flows/rotate-ai-key.xml",
            "--properties",
            &key_file,
            "-Dmule.key=wrong-demo-key!!",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn secrets_are_masked_in_logs_and_errors() {
    let dir = TempDir::new("cli-mask");
    std::fs::write(dir.0.join("s.yaml"), "api:\n  token: \"top-secret-token\"\n").expect("write");
    let closed_port = crate::support::free_port();
    let app = format!(
        r#"<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:http="http://www.mulesoft.org/schema/mule/http"
      xmlns:secure-properties="http://www.mulesoft.org/schema/mule/secure-properties">
  <secure-properties:config name="S" file="s.yaml" key="MyEncryptionKey1">
    <secure-properties:encrypt/>
  </secure-properties:config>
  <http:request-config name="R"><http:request-connection host="127.0.0.1" port="{closed_port}"/></http:request-config>
  <flow name="f">
    <logger message="token is ${{secure::api.token}}"/>
    <http:request config-ref="R" path="/x/${{secure::api.token}}"/>
  </flow>
</mule>"#
    );
    let path = write_app(&dir, "m.xml", &app);
    let mut command = crate::support::process::flowrun();
    command
        .env("FLOWRUN_LOG", "trace")
        .current_dir(repo_root())
        .args(["call", &path, "--flow", "f"]);
    let output = command.output().expect("run flowrun");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("token is ****"), "{stderr}");
    assert!(stderr.contains("/x/****"), "{stderr}");
    assert!(!stderr.contains("top-secret-token"), "{stderr}");
}

#[test]
fn a_broken_configuration_reports_one_error_not_a_cascade() {
    let dir = TempDir::new("cli-cascade");
    let app = r#"<mule xmlns="http://www.mulesoft.org/schema/mule/core" xmlns:http="http://www.mulesoft.org/schema/mule/http">
  <http:listener-config name="L"><http:listener-connection host="127.0.0.1" port="${port}"/></http:listener-config>
  <flow name="a"><http:listener config-ref="L" path="/a"/></flow>
  <flow name="b"><http:listener config-ref="L" path="/b"/></flow>
</mule>
"#;
    let path = write_app(&dir, "c.xml", app);
    let output = run_flowrun(&repo_root(), &["validate", &path, "-Dport=abc"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("error: the app did not load: 1 error"), "{stderr}");
    assert!(!stderr.contains("names `L`, but nothing has that name"), "{stderr}");
}

#[test]
fn xml_structure_errors_are_located() {
    let dir = TempDir::new("cli-xml");
    let path = write_app(
        &dir,
        "open.xml",
        "<mule xmlns=\"http://www.mulesoft.org/schema/mule/core\">\n  <flow name=\"f\"/>\n",
    );
    let output = run_flowrun(&repo_root(), &["validate", &path]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("open.xml:3:1: error: `<mule>` is not closed"), "{stderr}");

    let path = write_app(
        &dir,
        "tail.xml",
        "<mule xmlns=\"http://www.mulesoft.org/schema/mule/core\"/>\ngarbage\n",
    );
    let output = run_flowrun(&repo_root(), &["validate", &path]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("tail.xml:2:1: error: text after the root element"), "{stderr}");

    let path = write_app(&dir, "bare.xml", "<mule/>\n");
    let output = run_flowrun(&repo_root(), &["validate", &path]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bare.xml:1:2: error: the root element `mule` has no namespace"),
        "{stderr}"
    );
}

#[test]
fn validate_finds_listener_clashes_that_run_would_hit() {
    let dir = TempDir::new("cli-listener-clash");
    let a = write_app(
        &dir,
        "a.xml",
        &format!(
            "{HEADER}\n  <web:listener-config name=\"api\"><web:listener-connection host=\"127.0.0.1\" port=\"18081\"/></web:listener-config>\n  <web:listener-config name=\"api2\"><web:listener-connection host=\"127.0.0.1\" port=\"18081\"/></web:listener-config>\n  <flow name=\"one\"><web:listener config-ref=\"api\" path=\"/items\"/></flow>\n</mule>\n"
        ),
    );
    let b = write_app(
        &dir,
        "b.xml",
        &format!(
            "{HEADER}\n  <flow name=\"two\"><web:listener config-ref=\"api\" path=\"items\" allowedMethods=\"GET\"/></flow>\n</mule>\n"
        ),
    );
    let output = run_flowrun(&repo_root(), &["validate", &a, &b]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let expected = [
        "a.xml:4:84: error: `api2` listens on 127.0.0.1:18081, which `api` already listens on",
        "a.xml:3:83: `api` listens on 127.0.0.1:18081 here",
        "b.xml:3:57: error: `api`: a listener for path `/items` and methods GET is already \
         registered (as `/items` with methods (all))",
        "a.xml:5:57: the first listener for this path, in flow `one`",
        "error: the app did not load: 2 errors",
    ];
    for line in expected {
        assert!(stderr.contains(line), "missing `{line}` in:\n{stderr}");
    }
}

/// Runs `flowrun args` with stdout and stderr on a pipe whose reading end is already closed,
/// as `flowrun ... 2>&1 | true` does, and returns its exit code.
fn exit_code_with_closed_output(args: &[&str]) -> Option<i32> {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let stderr = writer.try_clone().expect("clone the pipe");
    let status = crate::support::process::flowrun()
        .args(args)
        .stdout(writer)
        .stderr(stderr)
        .status()
        .expect("run flowrun");
    status.code()
}

#[test]
fn closed_output_pipes_never_panic() {
    let dir = TempDir::new("cli-closed-pipe");
    let app = format!(
        "{HEADER}\n  <flow name=\"f\">\n    <logger message=\"before\"/>\n    <raise-error type=\"APP:BOOM\" description=\"boom\"/>\n  </flow>\n  <flow name=\"ok\">\n    <logger message=\"fine\"/>\n  </flow>\n</mule>\n"
    );
    let path = write_app(&dir, "app.xml", &app);
    let bad = write_app(&dir, "bad.xml", &format!("{HEADER}\n  <flw/>\n</mule>\n"));
    // A panic would exit with 101; each keeps its documented code instead.
    let cases: [(&[&str], i32); 6] = [
        (&["dw", "fooBar"], 1),
        (&["dw", "1 +"], 1),
        (&["call", &path, "--flow", "f"], 1),
        (&["call", &path, "--flow", "ok"], 1),
        (&["call", &path, "--flow", "nope"], 2),
        (&["validate", &bad], 2),
    ];
    for (args, code) in cases {
        assert_eq!(exit_code_with_closed_output(args), Some(code), "{args:?}");
    }
}

#[test]
fn errors_after_entities_point_at_the_text_as_written() {
    // Each entity is several characters of the file and one of the expression.
    let app = format!(
        "{HEADER}\n  <flow name=\"f\">\n    <choice>\n      <when expression=\"#[payload.amount &gt;= 10 and payload.kind == &quot;x&quot; and fooo]\">\n        <logger message=\"a &lt; b #[payload.a ++ barr]\"/>\n      </when>\n    </choice>\n    <set-variable variableName=\"v\" value=\"#[&#10;  1 + quux]\"/>\n  </flow>\n</mule>\n"
    );
    let stderr = crate::support::process::validate_bad_app("cli-entities", &app);
    crate::support::process::assert_has_lines(
        &stderr,
        &[
            "bad.xml:5:89: error: unable to resolve reference of: `fooo`",
            "bad.xml:6:50: error: unable to resolve reference of: `barr`",
            "bad.xml:9:56: error: unable to resolve reference of: `quux`",
        ],
    );
}

#[test]
fn set_payload_and_set_variable_evaluate_text_with_expressions_as_templates() {
    let dir = TempDir::new("cli-templates");
    let app = format!(
        "{HEADER}\n  <flow name=\"f\">\n    <set-variable variableName=\"sum\" value=\"x=#[1+1]\"/>\n    <set-variable variableName=\"two\" value=\" #[vars.sum] and #[payload.name] \"/>\n    <set-variable variableName=\"one\" value=\" #[1+1] \"/>\n    <set-variable variableName=\"text\" value=\"a ] b\"/>\n    <set-payload value=\"Hello #[payload.name]!\"/>\n  </flow>\n</mule>\n"
    );
    let path = write_app(&dir, "app.xml", &app);
    let output = run_flowrun(
        &repo_root(),
        &["call", &path, "--flow", "f", "--payload", r#"{"name": "Ann"}"#],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(printed["payload"], "Hello Ann!");
    let vars = serde_json::json!({"sum": "x=2", "two": "x=2 and Ann", "one": 2, "text": "a ] b"});
    assert_eq!(printed["vars"], vars);
}

#[test]
fn an_unclosed_expression_is_a_load_error() {
    let app = format!(
        "{HEADER}\n  <flow name=\"f\">\n    <set-payload value=\"#[payload.a\"/>\n    <set-variable variableName=\"x\" value=\"ok #[payload.a\"/>\n    <choice><when expression=\"#[payload.a\"><logger/></when></choice>\n  </flow>\n</mule>\n"
    );
    let stderr = crate::support::process::validate_bad_app("cli-unclosed", &app);
    crate::support::process::assert_has_lines(
        &stderr,
        &[
            "bad.xml:4:25: error: unclosed `#[`: a `]` is missing",
            "bad.xml:5:46: error: unclosed `#[`: a `]` is missing",
            "bad.xml:6:31: error: unclosed `#[`: a `]` is missing",
        ],
    );
}

#[test]
fn errors_in_element_text_point_at_the_text_as_written() {
    // Leading whitespace, entities and CDATA sections around the script each move it in the
    // file; the errors still land on the names.
    let app = r#"<mule xmlns="http://www.mulesoft.org/schema/mule/core" xmlns:ee="http://www.mulesoft.org/schema/mule/ee/core">
  <flow name="f">
    <ee:transform>
      <ee:message>
        <ee:set-payload>
          payload.a &gt; 1 and fooo
        </ee:set-payload>
      </ee:message>
      <ee:variables>
        <ee:set-variable variableName="v">
          <![CDATA[%dw 2.0
---
payload.a > 1 and barr]]>
        </ee:set-variable>
        <ee:set-variable variableName="w">payload.a &lt; 1 <![CDATA[ and  ]]> quux</ee:set-variable>
      </ee:variables>
    </ee:transform>
  </flow>
</mule>
"#;
    let stderr = crate::support::process::validate_bad_app("cli-text-entities", app);
    crate::support::process::assert_has_lines(
        &stderr,
        &[
            "bad.xml:6:32: error: unable to resolve reference of: `fooo`",
            "bad.xml:13:19: error: unable to resolve reference of: `barr`",
            "bad.xml:15:79: error: unable to resolve reference of: `quux`",
        ],
    );
}

#[test]
fn errors_after_placeholders_point_at_the_text_as_written() {
    // A placeholder reads as its value, longer or shorter than `${name}`.
    let app = r##"<mule xmlns="http://www.mulesoft.org/schema/mule/core" xmlns:ee="http://www.mulesoft.org/schema/mule/ee/core">
  <global-property name="long" value="payload.something.quite.long"/>
  <global-property name="short" value="1"/>
  <flow name="f">
    <set-variable variableName="a" value="#[${long} &gt; ${short} and fooo]"/>
    <ee:transform>
      <ee:message>
        <ee:set-payload>
          ${long} &gt; 1 and quux
        </ee:set-payload>
      </ee:message>
    </ee:transform>
  </flow>
</mule>
"##;
    let stderr = crate::support::process::validate_bad_app("cli-placeholders", app);
    crate::support::process::assert_has_lines(
        &stderr,
        &[
            "bad.xml:5:71: error: unable to resolve reference of: `fooo`",
            "bad.xml:9:30: error: unable to resolve reference of: `quux`",
        ],
    );
}

#[test]
fn call_embeds_json_text_as_json() {
    let dir = TempDir::new("cli-call-json-text");
    let app = format!(
        "{HEADER}\n  <flow name=\"f\">\n    <set-variable variableName=\"v\" value='{{\"k\": 2}}' mimeType=\"application/json\"/>\n    <set-variable variableName=\"t\" value='{{\"k\": 3}}'/>\n    <set-payload value='{{\"k\": 1}}' mimeType=\"application/json\"/>\n  </flow>\n</mule>\n"
    );
    let path = write_app(&dir, "j.xml", &app);
    let output = run_flowrun(&repo_root(), &["call", &path, "--flow", "f"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let printed: serde_json::Value = serde_json::from_str(&stdout).expect("call prints JSON");
    // Text typed as JSON is embedded as the JSON it holds; untyped text stays a string.
    assert_eq!(printed["payload"], serde_json::json!({"k": 1}), "{stdout}");
    assert_eq!(printed["vars"]["v"], serde_json::json!({"k": 2}), "{stdout}");
    assert_eq!(printed["vars"]["t"], serde_json::json!("{\"k\": 3}"), "{stdout}");
}

#[test]
fn validate_reports_a_file_that_is_not_utf8_with_the_problems_of_the_others() {
    let dir = TempDir::new("cli-not-utf8");
    // Latin-1 bytes: "é" as 0xE9, on line 2, after five characters.
    let mut latin1 = format!("{HEADER}\n  <!-- ").into_bytes();
    latin1.extend_from_slice(b"caf\xe9 -->\n</mule>\n");
    std::fs::write(dir.0.join("a.xml"), latin1).expect("write the Latin-1 file");
    let broken = format!("{HEADER}\n  <flow name=\"f\">\n    <lgger/>\n  </flow>\n</mule>\n");
    write_app(&dir, "b.xml", &broken);
    let output = run_flowrun(&repo_root(), &["validate", &dir.0.to_string_lossy()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "a.xml:3:11: the file is not UTF-8 text here; flowrun reads XML files in UTF-8 only"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("b.xml:4:6: error: unknown element `lgger`"), "{stderr}");
}

#[test]
fn a_missing_property_is_one_error_not_two() {
    let dir = TempDir::new("cli-missing-port");
    let app = format!(
        "{HEADER}\n  <web:listener-config name=\"in\">\n    <web:listener-connection host=\"127.0.0.1\" port=\"${{port}}\"/>\n  </web:listener-config>\n</mule>\n"
    );
    let path = write_app(&dir, "m.xml", &app);
    let output = run_flowrun(&repo_root(), &["validate", &path]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("Couldn't find configuration property value for key ${port}"),
        "{stderr}"
    );
    assert!(!stderr.contains("is not a port number"), "{stderr}");
    assert!(stderr.contains("error: the app did not load: 1 error"), "{stderr}");
}
