//! Whole Mule 4 project folders in `tests/projects/`, shaped like real apps (several XML
//! files, `src/main/resources`, Studio's `doc:` attributes): one that uses only what flowrun
//! implements loads and runs; one full of connectors flowrun lacks gets every unsupported
//! element reported once, with its location, in one run.

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
