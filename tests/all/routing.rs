//! Mule's routers, scopes and error handling, through `flowrun call` on the flows of
//! `tests/apps/routing.xml`, and the load errors of apps that misuse them.

use serde_json::{Value, json};

use crate::support::process::{Server, assert_has_lines, run_flowrun, validate_bad_app};
use crate::support::repo_root;

/// Result of `flowrun call tests/apps/routing.xml --flow NAME`.
struct Called {
    code: Option<i32>,
    printed: Value,
    stderr: String,
}

fn call(flow: &str, payload: Option<&str>) -> Called {
    call_app("tests/apps/routing.xml", flow, payload)
}

/// Result of `flowrun call APP --flow NAME [--payload PAYLOAD]`, run in the repository.
fn call_app(app: &str, flow: &str, payload: Option<&str>) -> Called {
    let mut args = vec!["call", app, "--flow", flow];
    if let Some(payload) = payload {
        args.extend(["--payload", payload]);
    }
    let output = run_flowrun(&repo_root(), &args);
    Called {
        code: output.status.code(),
        printed: serde_json::from_slice(&output.stdout).unwrap_or(Value::Null),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Calls a flow that must succeed and returns what `flowrun call` printed.
fn call_ok(flow: &str, payload: Option<&str>) -> Value {
    let called = call(flow, payload);
    assert_eq!(called.code, Some(0), "flow `{flow}` failed:\n{}", called.stderr);
    called.printed
}

#[test]
fn choice_takes_the_first_true_route_else_otherwise() {
    assert_eq!(call_ok("choice-routes", Some(r#"{"kind": "a"}"#))["payload"], "route a");
    assert_eq!(call_ok("choice-routes", Some(r#"{"kind": "b"}"#))["payload"], "route b");
    assert_eq!(call_ok("choice-routes", Some(r#"{"kind": "z"}"#))["payload"], "otherwise");
}

#[test]
fn choice_without_a_match_passes_the_event_through() {
    let printed = call_ok("choice-no-match", Some(r#"{"kind": "x"}"#));
    assert_eq!(printed["payload"], json!({"kind": "x"}));
    assert_eq!(printed["vars"]["before"], "kept");
}

#[test]
fn foreach_counts_from_one_restores_the_payload_and_keeps_variables() {
    let printed = call_ok("foreach-counts", Some(r#"{"items": ["a", "b", "c"]}"#));
    assert_eq!(printed["vars"]["seen"], json!(["1:a", "2:b", "3:c"]));
    assert_eq!(printed["payload"], json!({"items": ["a", "b", "c"]}));
    assert_eq!(printed["vars"]["counterAfter"], "removed");
    assert!(printed["vars"].get("rootMessage").is_none(), "{printed}");
}

#[test]
fn foreach_batches_the_payload_with_renamed_variables() {
    let printed = call_ok("foreach-batches", Some("[1, 2, 3, 4, 5]"));
    assert_eq!(
        printed["vars"]["batches"],
        json!([
            {"n": 1, "items": [1, 2], "rootSize": 5},
            {"n": 2, "items": [3, 4], "rootSize": 5},
            {"n": 3, "items": [5], "rootSize": 5},
        ])
    );
    assert_eq!(printed["payload"], json!([1, 2, 3, 4, 5]));
}

#[test]
fn on_error_continue_in_try_skips_the_rest_and_the_flow_goes_on() {
    let called = call("try-continue", Some(r#"{"id": "7"}"#));
    assert_eq!(called.code, Some(0), "{}", called.stderr);
    assert_eq!(called.printed["payload"], "handled: broken 7 (APP:BROKEN)");
    assert_eq!(called.printed["vars"]["after"], "ran");
    assert_eq!(called.printed["vars"]["failing"], "try-continue/processors/0/processors/0");
    // logException defaults to true: the handled error is logged once, as Mule does.
    assert_eq!(
        called.stderr.matches("Error type            : APP:BROKEN").count(),
        1,
        "{}",
        called.stderr
    );
    assert!(called.stderr.contains("OnErrorContinueHandler"), "{}", called.stderr);
    assert!(
        called.stderr.contains("try-continue/processors/0/processors/0 @ routing:routing.xml:"),
        "{}",
        called.stderr
    );
}

#[test]
fn an_error_no_try_handler_takes_reaches_the_flow_handler() {
    let printed = call_ok("try-no-match", None);
    assert_eq!(printed["payload"], "flow caught not for the try");
}

#[test]
fn on_error_propagate_runs_then_fails_the_flow() {
    let called = call("flow-propagate", None);
    assert_eq!(called.code, Some(1), "{}", called.stderr);
    assert!(called.stderr.contains("propagate handler saw propagated"), "{}", called.stderr);
    assert!(called.stderr.contains("Error type            : APP:BROKEN"), "{}", called.stderr);
    assert!(called.stderr.contains("Description           : propagated"), "{}", called.stderr);
    // Logged once, by the propagating handler, not again by the flow.
    assert_eq!(
        called.stderr.matches("Message               : propagated").count(),
        1,
        "{}",
        called.stderr
    );
}

#[test]
fn handlers_are_tried_in_order_and_a_parent_type_catches_its_children() {
    let printed = call_ok("handler-order", Some(r#"{"why": "special"}"#));
    assert_eq!(printed["payload"], "special connectivity handler");
    let printed = call_ok("handler-order", Some(r#"{"why": "ordinary"}"#));
    assert_eq!(printed["payload"], "connectivity handler, parent CONNECTIVITY");
}

#[test]
fn a_failing_expression_is_mule_expression() {
    let called = call("expression-error", Some("{}"));
    assert_eq!(called.code, Some(0), "{}", called.stderr);
    assert_eq!(called.printed["payload"], "EXPRESSION");
    // logException="false": nothing logged at ERROR.
    assert!(!called.stderr.contains("ERROR"), "{}", called.stderr);
}

#[test]
fn flow_ref_to_a_sub_flow_shares_the_event() {
    let printed = call_ok("ref-sub-flow", None);
    assert_eq!(printed["payload"], "HELLO");
    assert_eq!(printed["vars"]["shouted"], "yes");
}

#[test]
fn flow_ref_with_target_only_sets_the_variable() {
    let printed = call_ok("ref-target", None);
    assert_eq!(printed["payload"], "original");
    assert_eq!(printed["vars"]["result"], "ORIGINAL");
    assert!(printed["vars"].get("shouted").is_none(), "{printed}");
}

#[test]
fn errors_in_a_referenced_flow_go_to_its_handler_first() {
    let printed = call_ok("ref-flow-with-handler", None);
    assert_eq!(printed["payload"], "child handled it");
    assert_eq!(printed["vars"]["after"], "child handled it");

    let printed = call_ok("ref-flow-propagating", None);
    assert_eq!(printed["payload"], "parent caught child failed, child set child failed");
}

#[test]
fn until_successful_retries_max_retries_times_then_is_exhausted() {
    let called = call("retry-exhausted", None);
    assert_eq!(called.code, Some(1), "{}", called.stderr);
    assert_eq!(called.stderr.matches("attempt for null").count(), 3, "{}", called.stderr);
    assert!(
        called.stderr.contains("Retrying execution of event, attempt 2 of 2."),
        "{}",
        called.stderr
    );
    assert!(
        called.stderr.contains("Error type            : MULE:RETRY_EXHAUSTED"),
        "{}",
        called.stderr
    );
    assert!(called.stderr.contains("'until-successful' retries exhausted"), "{}", called.stderr);
}

#[test]
fn until_successful_passes_a_success_through_once() {
    let printed = call_ok("retry-succeeds", Some(r#""go""#));
    assert_eq!(printed["payload"], "go!");
}

#[test]
fn remove_variable_removes_and_warns_about_a_missing_one() {
    let called = call("remove-variable", None);
    assert_eq!(called.code, Some(0), "{}", called.stderr);
    assert_eq!(called.printed["vars"], json!({"keep": "y"}));
    assert!(
        called.stderr.contains("There is no variable named 'neverSet'. Check the 'variableName' parameter in the 'remove-variable' component at remove-variable/processors/3"),
        "{}",
        called.stderr
    );
}

const HEADER: &str = r#"<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:http="http://www.mulesoft.org/schema/mule/http">"#;

#[test]
fn misuse_of_routers_is_a_load_error_with_its_location() {
    let app = format!(
        "{HEADER}
  <sub-flow name=\"a\"><flow-ref name=\"b\"/></sub-flow>
  <sub-flow name=\"b\"><flow-ref name=\"a\"/></sub-flow>
  <flow name=\"f\">
    <flow-ref name=\"nowhere\"/>
    <raise-error type=\"HTTP:NOT_FOUND\"/>
    <logger><error-mapping targetType=\"HTTP:MINE\"/></logger>
    <choice><otherwise><logger/></otherwise></choice>
    <error-handler>
      <on-error-continue type=\"APP:NEVER_RAISED, HTTP:NOT_FOUND\"/>
    </error-handler>
  </flow>
</mule>
"
    );
    let stderr = validate_bad_app("routing-bad", &app);
    let expected = [
        "bad.xml:3:38: error: sub-flows call each other in a cycle: a -> b -> a",
        "bad.xml:6:21: error: `flow-ref` names `nowhere`, but no flow or sub-flow has that name",
        "bad.xml:7:24: error: `raise-error` cannot raise `HTTP:NOT_FOUND`",
        "bad.xml:8:40: error: `error-mapping` cannot raise `HTTP:MINE`",
        "bad.xml:9:6: error: `choice` needs a `when` element",
        "bad.xml:11:32: error: unknown error type `APP:NEVER_RAISED`",
    ];
    assert_has_lines(&stderr, &expected);
    assert!(stderr.contains("error: the app did not load: 6 errors"), "{stderr}");
}

/// Serves `tests/apps/http-errors.xml` and GETs `path` from it.
fn get(server_port: u16, path: &str) -> (u16, String) {
    let response = reqwest::blocking::get(format!("http://127.0.0.1:{server_port}{path}"))
        .expect("the app answers");
    let status = response.status().as_u16();
    (status, response.text().expect("a text body"))
}

#[test]
fn http_callers_see_what_the_error_handlers_decided() {
    let port = crate::support::free_port();
    let define = format!("-Dhttp.port={port}");
    let mut server = Server::start(&repo_root(), &["tests/apps/http-errors.xml", &define], port);

    assert_eq!(get(port, "/continue"), (200, "recovered from went wrong".to_owned()));
    assert_eq!(get(port, "/propagate"), (500, "went wrong".to_owned()));

    // A 404 from an http:request reaches the caller as a 500 with Mule's description.
    let (status, body) = get(port, "/request-404");
    assert_eq!(status, 500);
    assert_eq!(
        body,
        format!(
            "HTTP GET on resource 'http://127.0.0.1:{port}/nobody-serves-this' failed: not found (404)."
        )
    );
    assert_eq!(get(port, "/request-404-handled"), (200, "backend said 404".to_owned()));
    assert_eq!(get(port, "/mapped-404"), (200, "mapped to APP:NO_SUCH_THING".to_owned()));
    assert_eq!(
        get(port, "/validation-parent"),
        (200, "validation: NOT_FOUND under RESPONSE_VALIDATION".to_owned())
    );

    server.stop();
    let log = server.log();
    assert!(log.contains("propagating BAD"), "{log}");
    assert_eq!(log.matches("Error type            : HTTP:NOT_FOUND").count(), 3, "{log}");
}

#[test]
fn logs_can_be_json_lines_with_levels_per_category() {
    let output = run_flowrun(
        &repo_root(),
        &["call", "tests/apps/routing.xml", "--flow", "flow-propagate", "--log-format", "json"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<Value> = stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let logger = lines.iter().find(|l| l["message"] == "propagate handler saw propagated");
    let logger = logger.unwrap_or_else(|| panic!("no logger line in {stderr}"));
    assert_eq!(logger["level"], "INFO");
    assert_eq!(
        logger["category"],
        "org.mule.runtime.core.internal.processor.LoggerMessageProcessor"
    );
    assert_eq!(logger["processor"], "flow-propagate/errorHandler/0/processors/0");
    assert_eq!(logger["flow"], "flow-propagate");
    let error = lines.iter().find(|l| l["level"] == "ERROR").expect("an ERROR line");
    assert_eq!(
        error["category"],
        "org.mule.runtime.core.internal.exception.OnErrorPropagateHandler"
    );
    assert_eq!(error["correlationId"], logger["correlationId"]);
    assert!(
        error["message"].as_str().is_some_and(|m| m.contains("Error type            : APP:BROKEN"))
    );

    // `error` hides the logger's INFO line; an override for its category brings it back.
    let quiet = run_flowrun(
        &repo_root(),
        &["call", "tests/apps/routing.xml", "--flow", "flow-propagate", "--log-level", "error"],
    );
    let stderr = String::from_utf8_lossy(&quiet.stderr);
    assert!(!stderr.contains("propagate handler saw"), "{stderr}");
    assert!(stderr.contains("Error type            : APP:BROKEN"), "{stderr}");
    let output = crate::support::process::flowrun()
        .current_dir(repo_root())
        .env("FLOWRUN_LOG", "error,org.mule.runtime.core.internal.processor=info")
        .args(["call", "tests/apps/routing.xml", "--flow", "flow-propagate"])
        .output()
        .expect("run flowrun");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("LoggerMessageProcessor: propagate handler saw propagated"),
        "{stderr}"
    );

    let bad = run_flowrun(
        &repo_root(),
        &[
            "call",
            "tests/apps/routing.xml",
            "--flow",
            "flow-propagate",
            "--log-level",
            "info,x=loud",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&bad.stderr).trim(),
        "error: --log-level: `loud` is not a log level: use off, error, warn, info, debug or trace"
    );
}

#[test]
fn global_error_handlers_apply_by_ref_and_as_the_app_default() {
    const APP: &str = "tests/apps/global-handlers.xml";
    let called = call_app(APP, "uses-default", Some(r#"{"reason": "planned"}"#));
    assert_eq!(called.code, Some(0), "{}", called.stderr);
    assert_eq!(called.printed["payload"], "app default handler: planned");

    let called = call_app(APP, "default-does-not-match", None);
    assert_eq!(called.code, Some(1), "{}", called.stderr);
    assert!(called.stderr.contains("Error type            : APP:OTHER"), "{}", called.stderr);

    let called = call_app(APP, "uses-ref", None);
    assert_eq!(called.code, Some(0), "{}", called.stderr);
    assert_eq!(called.printed["payload"], "shared handler: via ref");
}

#[test]
fn scatter_gather_keys_messages_by_route_and_merges_variables() {
    let printed = call_ok("scatter-merge", None);
    assert_eq!(printed["payload"]["0"]["payload"], "zero");
    assert_eq!(printed["payload"]["1"]["payload"], json!({"n": 1, "sawShared": "from 1"}));
    let vars = &printed["vars"];
    // Set by both routes: an array, in route order; set by one: its value.
    assert_eq!(vars["shared"], json!(["from 0", "from 1"]));
    assert_eq!(vars["onlyZero"], "zero's");
    assert_eq!(vars["untouched"], "kept");
    assert_eq!(vars["first"], "zero");
    assert_eq!(vars["second"], 1);
    // Routes run on copies: route 1 saw its own change, not route 0's.
    assert_eq!(vars["routeSaw"], "from 1");
}

#[test]
fn a_failing_route_is_composite_routing_with_failures_and_results() {
    let printed = call_ok("scatter-fails", None);
    assert_eq!(
        printed["payload"],
        json!({
            "type": "MULE:COMPOSITE_ROUTING",
            "failedRoutes": ["1"],
            "failure": "route one is down",
            "failureType": "ROUTE_DOWN",
            "results": "fine",
            "nChildren": 1,
            "childType": "ROUTE_DOWN",
        })
    );
}

#[test]
fn a_route_past_the_timeout_fails_with_mule_timeout() {
    let started = std::time::Instant::now();
    let printed = call_ok("scatter-timeout", None);
    assert_eq!(printed["payload"], "TIMEOUT, quick");
    // The slow route would take 3 s; the timeout is 200 ms.
    assert!(started.elapsed() < std::time::Duration::from_millis(2500), "{:?}", started.elapsed());
}

#[test]
fn scatter_gather_with_target_keeps_the_payload() {
    let printed = call_ok("scatter-target", None);
    assert_eq!(printed["payload"], "original");
    assert_eq!(printed["vars"]["gathered"], "b");
}

#[test]
fn async_runs_in_the_background_on_a_copy_of_the_event() {
    let called = call("async-background", None);
    assert_eq!(called.code, Some(0), "{}", called.stderr);
    // The flow went on with its own event while the async chain was still retrying.
    assert_eq!(called.printed["payload"], "main");
    assert_eq!(called.printed["vars"], json!({"after": "main"}));
    // `flowrun call` waited for the async chain to end (its retries took a second) and log
    // its failure before exiting.
    assert!(
        called.stderr.contains("Error type            : MULE:RETRY_EXHAUSTED"),
        "{}",
        called.stderr
    );
}

#[test]
fn an_error_inside_async_is_logged_not_propagated() {
    let called = call("async-error", None);
    assert_eq!(called.code, Some(0), "{}", called.stderr);
    assert_eq!(called.printed["payload"], "flow finished");
    assert!(called.stderr.contains("Error type            : APP:IN_ASYNC"), "{}", called.stderr);
    assert!(
        called.stderr.contains("Element               : async-error/processors/0/processors/0 @"),
        "{}",
        called.stderr
    );
}

#[test]
fn misuse_of_scatter_gather_and_async_is_a_load_error() {
    let app = format!(
        "{HEADER}
  <flow name=\"f\" maxConcurrency=\"0\">
    <scatter-gather timeout=\"soon\"><route><logger/></route></scatter-gather>
    <scatter-gather maxConcurrency=\"-1\"><route><logger/></route><when/></scatter-gather>
    <async/>
  </flow>
</mule>
"
    );
    let stderr = validate_bad_app("parallel-bad", &app);
    let expected = [
        "bad.xml:3:34: error: `maxConcurrency` must be a whole number of at least 1, not `0`",
        "bad.xml:4:6: error: `scatter-gather` needs at least 2 `route` elements, not 1",
        "bad.xml:4:30: error: `timeout` must be a whole number of at least 1, not `soon`",
        "bad.xml:5:6: error: `scatter-gather` needs at least 2 `route` elements, not 1",
        "bad.xml:5:37: error: `maxConcurrency` must be a whole number of at least 1, not `-1`",
        "bad.xml:5:66: error: unexpected `when` inside `scatter-gather`",
        "bad.xml:6:6: error: `async` needs at least one step inside",
    ];
    assert_has_lines(&stderr, &expected);
}

#[test]
fn an_error_raised_in_a_try_handler_is_logged_by_the_handler_that_takes_it() {
    let called = call("handler-raises", None);
    assert_eq!(called.code, Some(0), "{}", called.stderr);
    assert_eq!(called.printed["payload"], "flow took second");
    assert_eq!(
        called.stderr.matches("Error type            : APP:FIRST").count(),
        1,
        "{}",
        called.stderr
    );
    assert!(!called.stderr.contains("APP:SECOND"), "{}", called.stderr);
}

#[test]
fn a_catch_all_handler_before_others_and_deep_nesting_are_load_errors() {
    let nested = "<try>".repeat(45) + "<logger/>" + &"</try>".repeat(45);
    let app = format!(
        "{HEADER}
  <flow name=\"f\">
    <logger/>
    <error-handler>
      <on-error-continue/>
      <on-error-continue type=\"EXPRESSION\"/>
    </error-handler>
  </flow>
  <flow name=\"deep\">{nested}</flow>
  <sub-flow name=\"sub\"><logger/><error-handler><on-error-continue/></error-handler></sub-flow>
  <flow name=\"retry\">
    <until-successful maxRetries=\"-2\" millisBetweenRetries=\"soon\"><logger/></until-successful>
  </flow>
</mule>
"
    );
    let stderr = validate_bad_app("routing-bad-handlers", &app);
    assert!(
        stderr.contains(
            "bad.xml:6:8: error: only the last handler of an `error-handler` may take every error"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("error: elements nest more than 40 levels deep here"), "{stderr}");
    assert!(
        stderr.contains("bad.xml:13:35: error: `maxRetries` must be a whole number of at least -1 (for ever), not `-2`"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "error: `millisBetweenRetries` must be a whole number of at least 0, not `soon`"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("error: a `sub-flow` cannot have an `error-handler`"), "{stderr}");
    assert!(stderr.contains("error: the app did not load: 5 errors"), "{stderr}");
}
