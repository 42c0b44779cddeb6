//! The main job end to end: `flowrun flows/rotate-ai-key.xml` against a real OpenBao.

use std::time::Duration;

use crate::support::anypoint::Anypoint;
use crate::support::openbao::OpenBao;
use crate::support::process::{Server, run_flowrun};
use crate::support::{free_port, repo_root};

/// The token stored, encrypted, in flows/secure.yaml.
const DEMO_TOKEN: &str = "demo-root-token";
const DEMO_KEY: &str = "flowrun-demo-key";
const SHARED_SECRETS_PATH: &str = "/secrets/api/v1/organizations/demo-org/environments/demo-env/secretGroups/demo-secret-group/sharedSecrets";

struct Setup {
    admin_port: u16,
    args: Vec<String>,
}

fn setup(vault_port: u16, anypoint_port: u16, extra: &[&str]) -> Setup {
    let admin_port = free_port();
    let mut args: Vec<String> = vec!["flows/rotate-ai-key.xml".into()];
    for define in [
        format!("admin.port={admin_port}"),
        format!("vault.port={vault_port}"),
        format!("anypoint.port={anypoint_port}"),
        format!("mule.key={DEMO_KEY}"),
    ] {
        args.push("-D".into());
        args.push(define);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    Setup { admin_port, args }
}

fn start(setup: &Setup) -> Server {
    let args: Vec<&str> = setup.args.iter().map(String::as_str).collect();
    Server::start(&repo_root(), &args, setup.admin_port)
}

fn post_rotate(admin_port: u16) -> (u16, String, Option<String>) {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let response = client
        .post(format!("http://127.0.0.1:{admin_port}/admin/rotate-key"))
        .send()
        .expect("flowrun answers");
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
    (status, response.text().expect("body"), content_type)
}

#[test]
fn rotation_reads_openbao_and_puts_the_key_to_anypoint() {
    let bao = OpenBao::start(DEMO_TOKEN);
    let new_key = format!("sk-rotated-{}", free_port());
    bao.put_kv("ai-keys", serde_json::json!({"openai_key": new_key}));
    let anypoint = Anypoint::start();
    let setup = setup(bao.port, anypoint.port, &[]);
    let mut server = start(&setup);

    let (status, _body, _) = post_rotate(setup.admin_port);
    assert_eq!(status, 200, "log:\n{}", server.log());

    let requests = anypoint.requests();
    assert_eq!(requests.len(), 1, "exactly one request to Anypoint: {requests:?}");
    let put = &requests[0];
    assert_eq!(put.method, "PUT");
    assert_eq!(put.url, SHARED_SECRETS_PATH);
    let content_type = put.header("content-type").unwrap_or_default();
    assert!(content_type.starts_with("application/json"), "content type {content_type}");
    let body: serde_json::Value = serde_json::from_str(&put.body).expect("JSON body");
    assert_eq!(body, serde_json::json!({"name": "ai.openai.key", "value": new_key}));

    let reads: Vec<_> = bao
        .audit_entries()
        .into_iter()
        .filter(|e| e["type"] == "response" && e["request"]["path"] == "secret/data/ai-keys")
        .filter(|e| e["request"]["operation"] == "read")
        .collect();
    assert_eq!(reads.len(), 1, "OpenBao audit log shows one read of secret/data/ai-keys");
    assert!(reads[0]["error"].is_null(), "the read succeeded: {}", reads[0]);

    let log = server.wait_for_log("AI API key rotated successfully");
    let line =
        log.lines().find(|l| l.contains("AI API key rotated successfully")).expect("logger line");
    assert!(line.starts_with("INFO  "), "{line}");
    assert!(line.contains("[processor: rotate-ai-key/processors/3; event: "), "{line}");
    assert!(
        line.ends_with("org.mule.runtime.core.internal.processor.LoggerMessageProcessor: AI API key rotated successfully"),
        "{line}"
    );
    assert!(!log.contains(&new_key), "the new key must not be logged");
    assert!(!log.contains(DEMO_TOKEN), "the Vault token must not be logged");
    assert_eq!(server.stop(), Some(0), "SIGTERM stops flowrun with exit code 0");
}

#[test]
fn openbao_down_answers_500_with_connectivity_and_puts_nothing() {
    let mut bao = OpenBao::start(DEMO_TOKEN);
    let vault_port = bao.port;
    bao.stop();
    let anypoint = Anypoint::start();
    let setup = setup(vault_port, anypoint.port, &[]);
    let server = start(&setup);

    let (status, body, content_type) = post_rotate(setup.admin_port);
    assert_eq!(status, 500);
    assert_eq!(content_type.as_deref(), Some("text/plain"), "error responses are text/plain");
    let uri = format!("http://127.0.0.1:{vault_port}/v1/secret/data/ai-keys");
    assert!(body.starts_with(&format!("HTTP GET on resource '{uri}' failed: ")), "{body}");
    assert!(anypoint.requests().is_empty(), "nothing is PUT when Vault is down");
    let log = server.wait_for_log("HTTP:CONNECTIVITY");
    assert!(log.contains("Error type            : HTTP:CONNECTIVITY"), "{log}");
}

#[test]
fn wrong_token_is_forbidden() {
    let bao = OpenBao::start(DEMO_TOKEN);
    bao.put_kv("ai-keys", serde_json::json!({"openai_key": "sk-unused"}));
    let anypoint = Anypoint::start();
    // A system property named `secure::vault.token` overrides the secure file, as in Mule.
    let setup = setup(bao.port, anypoint.port, &["-Dsecure::vault.token=not-the-token"]);
    let server = start(&setup);

    let (status, body, _) = post_rotate(setup.admin_port);
    assert_eq!(status, 500);
    let uri = format!("http://127.0.0.1:{}/v1/secret/data/ai-keys", bao.port);
    assert_eq!(body, format!("HTTP GET on resource '{uri}' failed: forbidden (403)."));
    assert!(anypoint.requests().is_empty());
    let log = server.wait_for_log("HTTP:FORBIDDEN");
    assert!(log.contains("Error type            : HTTP:FORBIDDEN"), "{log}");
}

#[test]
fn bad_mule_key_fails_at_start() {
    let output = run_flowrun(
        &repo_root(),
        &["validate", "flows/rotate-ai-key.xml", "-Dmule.key=wrong-demo-key!!"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("secure.yaml"), "names the file: {stderr}");
    assert!(
        stderr.contains("vault.token") || stderr.contains("ai.openai.key"),
        "names the property: {stderr}"
    );
    assert!(!stderr.contains(DEMO_TOKEN) && !stderr.contains("wrong-demo-key!!"), "{stderr}");

    let output =
        run_flowrun(&repo_root(), &["validate", "flows/rotate-ai-key.xml", "-Dmule.key=short"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("key"), "{stderr}");
    assert!(!stderr.contains("short"), "the key itself is not printed: {stderr}");
}

#[test]
fn sigterm_lets_requests_in_flight_finish() {
    use std::io::{Read, Write};

    // A backend that answers after 800 ms, long enough to send SIGTERM meanwhile.
    let backend = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let backend_port = backend.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = backend.accept() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            std::thread::sleep(Duration::from_millis(800));
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nslow",
            );
        }
    });
    let dir = crate::support::openbao::TempDir::new("inflight");
    let admin_port = free_port();
    let app = format!(
        r#"<mule xmlns="http://www.mulesoft.org/schema/mule/core" xmlns:http="http://www.mulesoft.org/schema/mule/http">
  <http:listener-config name="L"><http:listener-connection host="127.0.0.1" port="{admin_port}"/></http:listener-config>
  <http:request-config name="B"><http:request-connection host="127.0.0.1" port="{backend_port}"/></http:request-config>
  <flow name="f">
    <http:listener config-ref="L" path="/slow"/>
    <http:request config-ref="B" path="/"/>
  </flow>
</mule>"#
    );
    let path = dir.0.join("slow.xml");
    std::fs::write(&path, app).expect("write app");
    let mut server = Server::start(&repo_root(), &[path.to_str().expect("utf-8 path")], admin_port);
    let request = std::thread::spawn(move || {
        let client = reqwest::blocking::Client::new();
        let response =
            client.get(format!("http://127.0.0.1:{admin_port}/slow")).send().expect("answered");
        (response.status().as_u16(), response.text().unwrap_or_default())
    });
    std::thread::sleep(Duration::from_millis(300));
    let code = server.stop();
    let (status, body) = request.join().expect("request thread");
    assert_eq!((status, body.as_str()), (200, "slow"), "the request in flight completes");
    assert_eq!(code, Some(0), "log:\n{}", server.log());
}
