//! Whole Mule 4 project folders in `tests/projects/`, shaped like real apps (several XML
//! files, `src/main/resources`, Studio's `doc:` attributes): those that use only what flowrun
//! implements load and run; those full of connectors flowrun lacks get every unsupported
//! element reported once, with its location, in one run, and nothing that only follows from
//! one of them or from a missing property file.

use serde_json::json;

use crate::support::process::run_flowrun;
use crate::support::repo_root;

#[test]
fn a_project_of_supported_elements_loads_clean_and_runs() {
    let dir = repo_root().join("tests/projects/orders-api");
    let output = run_flowrun(&dir, &["validate", "."]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "no warnings expected: {stderr}");
    // `.` is named after the folder it stands for.
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("orders-api: ok"), "{output:?}");

    let order = r#"{"orderId": "A1", "lines": [{"sku": "x", "qty": 2, "price": 1.5}, {"sku": "y", "qty": 1, "price": 10}]}"#;
    let output = run_flowrun(&dir, &["call", ".", "--flow", "post-order-flow", "--payload", order]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(printed["payload"], json!({"orderId": "A1", "lines": 2, "total": 13}));

    let empty = r#"{"orderId": "A2", "lines": []}"#;
    let output = run_flowrun(&dir, &["call", ".", "--flow", "post-order-flow", "--payload", empty]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(printed["payload"], json!({"message": "An order needs at least one line"}));
    assert_eq!(printed["vars"]["httpStatus"], "400");
}

#[test]
fn every_unsupported_element_of_a_project_is_reported_once_with_its_location() {
    let dir = repo_root().join("tests/projects/legacy-sync");
    let output = run_flowrun(&dir, &["validate", "."]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.contains(": error: ")).collect();
    let expected = [
        "./src/main/mule/global.xml:15:74: error: protocol `HTTPS` is not supported yet by `http:listener-connection`",
        "./src/main/mule/global.xml:16:5: error: unsupported element `tls:context` inside `http:listener-connection`",
        "./src/main/mule/global.xml:22:3: error: unsupported element `db:config`",
        "./src/main/mule/global.xml:26:3: error: unsupported element `salesforce:sfdc-config`",
        "./src/main/mule/global.xml:30:3: error: unsupported element `os:object-store`",
        "./src/main/mule/sync.xml:15:4: error: unsupported element `os:retrieve`",
        "./src/main/mule/sync.xml:18:4: error: unsupported element `db:select`",
        "./src/main/mule/sync.xml:31:5: error: unsupported element `salesforce:upsert`",
        "./src/main/mule/sync.xml:33:4: error: unsupported element `vm:publish`",
        "./src/main/mule/sync.xml:34:4: error: unsupported element `parse-template`",
    ];
    assert_eq!(errors.len(), expected.len(), "{stderr}");
    for (got, want) in errors.iter().zip(expected) {
        assert!(got.starts_with(want), "expected `{want}`, got `{got}`\n{stderr}");
    }
    // Error types of those connectors (`DB:CONNECTIVITY`) cannot be checked, so they add
    // nothing; neither do the elements inside the unsupported ones (`db:sql`).
    assert!(!stderr.contains("DB:CONNECTIVITY"), "{stderr}");
    assert!(!stderr.contains("db:sql"), "{stderr}");
    assert!(stderr.contains("error: the app did not load: 10 errors"), "{stderr}");
}

/// The lines of `flowrun validate` output that report an error or a warning.
fn reported(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains(": error: ") || l.contains(": warning: ")).collect()
}

fn assert_reported(stderr: &str, expected: &[&str]) {
    let lines = reported(stderr);
    assert_eq!(lines.len(), expected.len(), "{stderr}");
    for (got, want) in lines.iter().zip(expected) {
        assert!(got.starts_with(want), "expected `{want}`, got `{got}`\n{stderr}");
    }
}

#[test]
fn what_mule_allows_around_supported_elements_is_accepted() {
    // Configuration files in a folder under `src/main/mule`, `<reconnection>` in a
    // connection, streaming strategies in a source and an operation, business events
    // (`tracking:enable-default-events`),
    // `api-gateway:autodiscovery`, and a handler naming APIkit types in an app that declares
    // the APIkit namespace without using its router.
    let dir = repo_root().join("tests/projects/partner-gateway");
    let output = run_flowrun(&dir, &["validate", "."]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_reported(
        &stderr,
        &[
            "./src/main/mule/common/global.xml:17:3: warning: flowrun does not register with API Manager: the API's policies are not applied",
        ],
    );

    let partner = r#"{"id": 7, "name": "acme"}"#;
    let args = ["call", ".", "--flow", "partner-summary-flow", "--payload", partner];
    let output = run_flowrun(&dir, &args);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(printed["payload"], json!({"id": 7, "name": "ACME"}));
    // `${file::banner.txt}` is the text of that file in `src/main/resources`.
    assert_eq!(printed["vars"]["banner"], "Partner gateway v1\n");
}

#[test]
fn nothing_that_only_follows_from_an_unsupported_element_is_reported() {
    let dir = repo_root().join("tests/projects/billing-sync");
    let output = run_flowrun(&dir, &["validate", "."]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let expected = [
        "./src/main/mule/billing.xml:11:5: error: unsupported element `redelivery-policy` inside `http:listener`",
        "./src/main/mule/billing.xml:14:4: error: unsupported element `sftp:write`",
        "./src/main/mule/billing.xml:20:4: error: unsupported element `http:load-static-resource`",
        "./src/main/mule/global.xml:12:3: error: unsupported element `import`",
        "./src/main/mule/global.xml:15:3: warning: flowrun does not register with API Manager",
        "./src/main/mule/global.xml:15:85: error: `flowRef` names `billing-api-main`, but no flow has that name",
        "./src/main/mule/global.xml:21:3: error: unsupported element `tls:context`",
        "./src/main/mule/global.xml:25:91: error: unsupported attribute `tlsContext` on `http:request-connection`: flowrun does not implement TLS (HTTPS) yet",
        "./src/main/mule/global.xml:30:3: error: unsupported element `sftp:config`",
        "./src/main/mule/global.xml:38:5: error: unsupported element `email:send`",
    ];
    assert_reported(&stderr, &expected);
    // The global handler holding `email:send` did not build; the flow and the default that
    // name it add nothing. `${sftp.password}` is used only by the unsupported `sftp:config`.
    assert!(!stderr.contains("billing-error-handler"), "{stderr}");
    assert!(!stderr.contains("sftp.password"), "{stderr}");
    assert!(!stderr.contains("secure::"), "{stderr}");
}

#[test]
fn a_missing_property_file_is_reported_once_not_at_every_value_it_would_define() {
    let dir = repo_root().join("tests/projects/billing-sync");
    let output = run_flowrun(&dir, &["validate", "-Denv=qa", "."]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let file_errors: Vec<&str> = reported(&stderr)
        .into_iter()
        .filter(|l| l.starts_with("./src/main/mule/global.xml:14:"))
        .collect();
    assert_eq!(
        file_errors,
        ["./src/main/mule/global.xml:14:70: error: file `config/qa.yaml` not found"]
    );
    // `port="${http.port}"` would be defined by that file: it is not "not a port number".
    assert!(!stderr.contains("port number"), "{stderr}");
    assert!(stderr.contains("error: the app did not load: 10 errors"), "{stderr}");

    let dir = repo_root().join("tests/projects/windows-export");
    let output = run_flowrun(&dir, &["validate", "."]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_reported(
        &stderr,
        &[
            "./src/main/mule/windows-export.xml:9:70: error: file `properties\\config.yaml` not found",
        ],
    );
    assert!(
        stderr.contains("= `\\` is not a folder separator here; write `properties/config.yaml`"),
        "{stderr}"
    );
}
