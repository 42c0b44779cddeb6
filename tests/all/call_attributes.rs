//! `flowrun call --attribute KEY=VALUE`: plain text, and JSON objects and arrays read as
//! structures, so flows that read `attributes.uriParams.id` can be called from the shell.

use crate::support::openbao::TempDir;
use crate::support::repo_root;

/// Calls the flow `f` of `app` with `args` after it and returns the variables it set.
fn call_vars(app: &str, args: &[&str]) -> serde_json::Value {
    let dir = TempDir::new("call-attributes");
    let path = dir.0.join("app.xml");
    std::fs::write(&path, app).expect("write app");
    let path = path.to_string_lossy().into_owned();
    let output = crate::support::process::flowrun()
        .current_dir(repo_root())
        .args(["call", &path, "--flow", "f"])
        .args(args)
        .output()
        .expect("run flowrun");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    result["vars"].clone()
}

const APP: &str = r##"<mule xmlns="http://www.mulesoft.org/schema/mule/core">
  <flow name="f">
    <set-variable variableName="id" value="#[attributes.uriParams.id]"/>
    <set-variable variableName="second" value="#[attributes.list[1]]"/>
    <set-variable variableName="text" value="#[attributes.text]"/>
    <set-variable variableName="broken" value="#[attributes.broken]"/>
    <set-variable variableName="number" value="#[attributes.number]"/>
  </flow>
</mule>
"##;

#[test]
fn json_attribute_values_are_structures() {
    let vars = call_vars(
        APP,
        &[
            "--attribute",
            r#"uriParams={"id":"7"}"#,
            "--attribute",
            "list=[\"a\", \"b\"]",
            "--attribute",
            "text=plain text",
            "--attribute",
            "broken={not json",
            "--attribute",
            "number=42",
        ],
    );
    assert_eq!(
        vars,
        serde_json::json!({
            "id": "7",
            "second": "b",
            "text": "plain text",
            "broken": "{not json",
            "number": "42",
        })
    );
}

#[test]
fn header_attributes_are_looked_up_ignoring_case() {
    const HEADERS_APP: &str = r##"<mule xmlns="http://www.mulesoft.org/schema/mule/core">
  <flow name="f">
    <set-variable variableName="key" value="#[attributes.headers['X-Api-Key']]"/>
    <set-variable variableName="type" value="#[attributes.headers.'content-type']"/>
  </flow>
</mule>
"##;
    let vars = call_vars(
        HEADERS_APP,
        &["--attribute", r#"headers={"x-api-key": "k1", "Content-Type": "text/plain"}"#],
    );
    assert_eq!(vars, serde_json::json!({"key": "k1", "type": "text/plain"}));
}
