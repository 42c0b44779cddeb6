//! `ee:transform` through the binary: a Mule project whose flow sets the payload from a
//! `.dwl` resource and a variable from inline CDATA, run with `flowrun call`.

use crate::support::openbao::TempDir;
use crate::support::process::{Server, run_flowrun};

const APP: &str = r#"<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:ee="http://www.mulesoft.org/schema/mule/ee/core">
  <flow name="order">
    <ee:transform>
      <ee:message>
        <ee:set-payload resource="order.dwl"/>
      </ee:message>
      <ee:variables>
        <ee:set-variable variableName="itemCount"><![CDATA[%dw 2.0
output application/java
---
sizeOf(payload.items)]]></ee:set-variable>
      </ee:variables>
    </ee:transform>
  </flow>
</mule>
"#;

const ORDER_DWL: &str = r#"%dw 2.0
output application/json
---
{
  id: payload.id,
  total: sum(payload.items map ($.price * $.qty))
}
"#;

/// A Mule project folder with the app and its resource.
fn project(tag: &str, dwl: &str) -> TempDir {
    let dir = TempDir::new(tag);
    let mule = dir.0.join("src/main/mule");
    let resources = dir.0.join("src/main/resources");
    std::fs::create_dir_all(&mule).expect("create src/main/mule");
    std::fs::create_dir_all(&resources).expect("create src/main/resources");
    std::fs::write(mule.join("app.xml"), APP).expect("write the app");
    std::fs::write(resources.join("order.dwl"), dwl).expect("write the script");
    dir
}

#[test]
fn transform_sets_the_payload_from_a_resource_and_a_variable_inline() {
    let dir = project("transform-call", ORDER_DWL);
    let payload = r#"{"id": "A1", "items": [{"price": 2.5, "qty": 2}, {"price": 10, "qty": 1}]}"#;
    let output = run_flowrun(&dir.0, &["call", ".", "--flow", "order", "--payload", payload]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let printed: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("`flowrun call` prints JSON");
    // The reference engine writes `{"id": "A1", "total": 15}` for this script and payload.
    assert_eq!(printed["payload"], serde_json::json!({"id": "A1", "total": 15}));
    assert_eq!(printed["mediaType"], "application/json; charset=UTF-8");
    // The variable script saw the payload from before the transform.
    assert_eq!(printed["vars"]["itemCount"], 2);
}

#[test]
fn a_syntax_error_in_a_resource_names_the_dwl_file_and_line() {
    let dir =
        project("transform-bad", "%dw 2.0\noutput application/json\n---\n{id: payload.id +}\n");
    let output = run_flowrun(&dir.0, &["validate", "."]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    // The error sits at the `resource` attribute (line 6 of app.xml) and names the place in
    // the script: line 4, column 18 of order.dwl.
    assert!(stderr.contains("app.xml:6:35: error: "), "{stderr}");
    assert!(stderr.contains("order.dwl:4:18: "), "{stderr}");
}

#[test]
fn metadata_selectors_read_the_payload_media_type_and_bytes() {
    const METADATA_APP: &str = r##"<mule xmlns="http://www.mulesoft.org/schema/mule/core">
  <flow name="meta">
    <set-variable variableName="mime" value="#[payload.^mimeType]"/>
    <set-variable variableName="media" value="#[payload.^mediaType]"/>
    <set-variable variableName="raw" value="#[payload.^raw as String]"/>
  </flow>
</mule>
"##;
    let dir = TempDir::new("transform-metadata");
    let mule = dir.0.join("src/main/mule");
    std::fs::create_dir_all(&mule).expect("create src/main/mule");
    std::fs::write(mule.join("app.xml"), METADATA_APP).expect("write the app");
    let payload = r#"{"id":  "A1"}"#;
    let output = run_flowrun(&dir.0, &["call", ".", "--flow", "meta", "--payload", payload]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let printed: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("`flowrun call` prints JSON");
    assert_eq!(printed["vars"]["mime"], "application/json");
    assert_eq!(printed["vars"]["media"], "application/json");
    // The bytes as received, spacing included.
    assert_eq!(printed["vars"]["raw"], payload);
}

#[test]
fn flow_and_app_bindings_name_where_the_script_runs() {
    const NAMES_APP: &str = r##"<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:ee="http://www.mulesoft.org/schema/mule/ee/core">
  <flow name="outer">
    <set-variable variableName="outerFlow" value="#[flow.name]"/>
    <flow-ref name="inner"/>
    <flow-ref name="part"/>
    <ee:transform>
      <ee:variables>
        <ee:set-variable variableName="app"><![CDATA[%dw 2.0
output application/java
---
app.name ++ " " ++ app.encoding]]></ee:set-variable>
      </ee:variables>
    </ee:transform>
    <logger message="running #[flow.name]"/>
  </flow>
  <flow name="inner">
    <set-variable variableName="innerFlow" value="#[flow.name]"/>
  </flow>
  <sub-flow name="part">
    <set-variable variableName="subFlow" value="#[flow.name]"/>
  </sub-flow>
</mule>
"##;
    let dir = TempDir::new("transform-names");
    let mule = dir.0.join("names-app/src/main/mule");
    std::fs::create_dir_all(&mule).expect("create src/main/mule");
    std::fs::write(mule.join("app.xml"), NAMES_APP).expect("write the app");
    let output = run_flowrun(&dir.0.join("names-app"), &["call", ".", "--flow", "outer"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let printed: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("`flowrun call` prints JSON");
    assert_eq!(printed["vars"]["outerFlow"], "outer");
    assert_eq!(printed["vars"]["innerFlow"], "inner");
    // In a sub-flow, the sub-flow that holds the step (its root container, as in Mule).
    assert_eq!(printed["vars"]["subFlow"], "part");
    // A project folder's app is named after the folder.
    assert_eq!(printed["vars"]["app"], "names-app UTF-8");
    assert!(stderr.contains("running outer"), "{stderr}");
}

#[test]
fn csv_and_form_values_are_read_between_steps() {
    const APP: &str = r##"<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:ee="http://www.mulesoft.org/schema/mule/ee/core">
  <flow name="read">
    <ee:transform>
      <ee:message>
        <ee:set-payload><![CDATA[output application/csv --- [{id: 1, name: "ann"}, {id: 2, name: "bo"}]]]></ee:set-payload>
      </ee:message>
    </ee:transform>
    <set-variable variableName="fromTransform" value="#[payload[1].name]"/>
    <set-variable variableName="rows" value="id|name&#10;3|cy" mimeType="application/csv; separator=|"/>
    <set-variable variableName="fromVariable" value="#[vars.rows[0].name]"/>
    <set-variable variableName="form" value="a=1&amp;b=x%20y" mimeType="application/x-www-form-urlencoded"/>
    <set-variable variableName="fromForm" value="#[vars.form.b]"/>
    <remove-variable variableName="rows"/>
    <remove-variable variableName="form"/>
  </flow>
</mule>
"##;
    let dir = TempDir::new("transform-csv");
    std::fs::write(dir.0.join("app.xml"), APP).expect("write the app");
    let output = run_flowrun(&dir.0, &["call", "app.xml", "--flow", "read"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let printed: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("`flowrun call` prints JSON");
    let expected =
        serde_json::json!({"fromTransform": "bo", "fromVariable": "cy", "fromForm": "x y"});
    assert_eq!(printed["vars"], expected);
}

#[test]
fn input_directives_read_a_text_payload_as_json() {
    const APP: &str = r##"<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:ee="http://www.mulesoft.org/schema/mule/ee/core">
  <flow name="read">
    <set-payload value='{"items": [{"id": 7}]}' mimeType="text/plain"/>
    <ee:transform>
      <ee:message>
        <ee:set-payload><![CDATA[%dw 2.0
input payload application/json
output application/json
---
{id: payload.items[0].id}]]></ee:set-payload>
      </ee:message>
    </ee:transform>
  </flow>
</mule>
"##;
    let dir = TempDir::new("transform-input");
    std::fs::write(dir.0.join("app.xml"), APP).expect("write the app");
    let output = run_flowrun(&dir.0, &["call", "app.xml", "--flow", "read"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let printed: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("`flowrun call` prints JSON");
    assert_eq!(printed["payload"], serde_json::json!({"id": 7}));
}

/// Starts an app whose one flow has a listener on `/post` followed by an `ee:set-payload` of
/// `script`, POSTs `body` to it as JSON, and gives the status and the answer's text.
fn post_through_transform(tag: &str, script: &str, body: String) -> (u16, String) {
    let app = format!(
        r##"<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:ee="http://www.mulesoft.org/schema/mule/ee/core"
      xmlns:http="http://www.mulesoft.org/schema/mule/http">
  <http:listener-config name="in">
    <http:listener-connection host="127.0.0.1" port="${{http.port}}"/>
  </http:listener-config>
  <flow name="post">
    <http:listener config-ref="in" path="/post"/>
    <ee:transform>
      <ee:message>
        <ee:set-payload><![CDATA[{script}]]></ee:set-payload>
      </ee:message>
    </ee:transform>
  </flow>
</mule>
"##
    );
    let dir = TempDir::new(tag);
    std::fs::write(dir.0.join("app.xml"), app).expect("write the app");
    let port = crate::support::free_port();
    let define = format!("-Dhttp.port={port}");
    let mut server = Server::start(&dir.0, &["app.xml", &define], port);
    let response = reqwest::blocking::Client::new()
        .post(format!("http://127.0.0.1:{port}/post"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .expect("the app answers");
    let status = response.status().as_u16();
    let text = response.text().expect("a text body");
    server.stop();
    (status, text)
}

#[test]
fn a_failing_transform_reports_one_trace_to_an_http_caller() {
    let script = "output application/json --- payload.a + 1";
    let (status, body) = post_through_transform("transform-trace", script, r#"{"a": "x"}"#.into());
    assert_eq!(status, 500);
    // DataWeave's message with its excerpt and its one trace, quoted, then the script.
    let expected_end = "\n\n1| output application/json --- payload.a + 1\n                               ^^^^^^^^^^^^^\nTrace:\n  at main (line: 1, column: 29)\" evaluating expression: \"output application/json --- payload.a + 1\".";
    assert!(body.starts_with("\"You called the function '+' with these arguments: \n  1: String (\"x\")\n  2: Number (1)\n"), "{body}");
    assert!(body.ends_with(expected_end), "{body}");
    assert_eq!(body.matches("Trace:").count(), 1, "{body}");
}

#[test]
fn a_body_that_is_not_json_is_not_echoed_back() {
    // A minified body of about 200 KB that holds a secret, broken at its end.
    let filler = "x".repeat(200_000);
    let body = format!(r#"{{"password": "hunter2-secret", "a": "{filler}" x}}"#);
    let script = "output application/json --- payload.a";
    let (status, text) = post_through_transform("transform-bad-body", script, body);
    assert_eq!(status, 500);
    // What and where, but none of the body: DataWeave would quote the whole line.
    assert!(
        text.starts_with("\"Unexpected character 'x' at payload@[1:200040] (line:column), expected '}', while reading `payload` as Json.\n"),
        "{}",
        &text[..text.len().min(500)]
    );
    assert!(!text.contains("hunter2"), "the body is echoed");
    assert!(text.len() < 1_000, "{} bytes", text.len());
}
