//! The `scheduler` source: `flowrun tests/apps/scheduler.xml` runs its flows on timers until
//! SIGTERM; `flowrun call` runs a scheduled flow once without starting the timer; bad
//! strategies are load errors.
//!
//! Counts have wide bounds so that a busy machine cannot make them flake.

use std::time::Duration;

use crate::support::process::{Server, assert_has_lines, run_flowrun, validate_bad_app};
use crate::support::repo_root;

/// The log of `tests/apps/scheduler.xml` after it ran for `seconds` and stopped on SIGTERM,
/// which must succeed.
fn run_app_for(seconds: f64) -> String {
    run_for("scheduler", seconds)
}

/// The log of `tests/apps/{app}.xml` after it ran for `seconds` and stopped on SIGTERM.
fn run_for(app: &str, seconds: f64) -> String {
    let path = format!("tests/apps/{app}.xml");
    let started = format!("app `{app}` started");
    let mut server = Server::start_until_log(&repo_root(), &[&path], &started);
    std::thread::sleep(Duration::from_secs_f64(seconds));
    let code = server.stop();
    let log = server.log();
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains(&format!("app `{app}` stopped")), "{log}");
    log
}

#[test]
fn fixed_frequency_fires_repeatedly_with_a_null_payload_until_stopped() {
    let log = run_app_for(2.0);
    let n_ticks = log.matches("fixed tick, payload null").count();
    assert!((3..=30).contains(&n_ticks), "{n_ticks} ticks in 2 s:\n{log}");
    assert!(!log.contains("fixed tick, payload set"), "{log}");
    // Nothing fires once the app has stopped.
    let after_stop = log.split("stopping:").nth(1).unwrap_or_default();
    let after_stopped = after_stop.split("app `scheduler` stopped").nth(1).unwrap_or_default();
    assert!(!after_stopped.contains("fixed tick"), "{log}");
}

#[test]
fn errors_go_through_the_flow_handler_and_the_scheduler_goes_on() {
    let log = run_app_for(1.5);
    let n_handled = log.matches("handled scheduled failure").count();
    assert!(n_handled >= 2, "{n_handled} handled failures:\n{log}");
}

/// Checks that the runs logged as `{name} starts` / `{name} ends` never overlap, and returns
/// how many started.
fn check_one_at_a_time(log: &str, name: &str) -> usize {
    let (starts, ends) = (format!("{name} starts"), format!("{name} ends"));
    let runs: Vec<&str> = log
        .lines()
        .filter_map(|line| {
            if line.contains(&starts) {
                Some("start")
            } else if line.contains(&ends) {
                Some("end")
            } else {
                None
            }
        })
        .collect();
    assert!(runs.len() >= 2, "{log}");
    for pair in runs.chunks(2) {
        assert!(pair == ["start", "end"] || pair == ["start"], "overlapping runs: {runs:?}\n{log}");
    }
    runs.iter().filter(|r| **r == "start").count()
}

#[test]
fn disallow_concurrent_execution_skips_triggers_while_a_run_is_in_flight() {
    let log = run_app_for(2.0);
    assert!(
        log.contains("Flow 'slow-exclusive' is already running and 'disallowConcurrentExecution' is set to 'true'. Execution skipped."),
        "{log}"
    );
    let n_runs = check_one_at_a_time(&log, "slow run");
    // Each run takes about 350 ms, so 2 s hold at most 6 runs, not the 20 triggers.
    assert!(n_runs <= 8, "{n_runs} runs:\n{log}");
}

#[test]
fn cron_every_second_fires_each_second_and_stopped_flows_never_fire() {
    let log = run_app_for(2.5);
    let n_ticks = log.matches("cron tick").count();
    assert!((1..=5).contains(&n_ticks), "{n_ticks} cron ticks in 2.5 s:\n{log}");
    assert!(!log.contains("stopped flow ran"), "{log}");
}

#[test]
fn flowrun_call_runs_a_scheduled_flow_once_without_its_timer() {
    let output =
        run_flowrun(&repo_root(), &["call", "tests/apps/scheduler.xml", "--flow", "every-100-ms"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(stderr.matches("fixed tick").count(), 1, "{stderr}");
    assert!(!stderr.contains("cron tick"), "{stderr}");
}

const HEADER: &str = r#"<mule xmlns="http://www.mulesoft.org/schema/mule/core">"#;

#[test]
fn bad_scheduling_strategies_are_load_errors_with_their_location() {
    let flow = |name: &str, strategy: &str| {
        format!(
            "  <flow name=\"{name}\"><scheduler><scheduling-strategy>{strategy}</scheduling-strategy></scheduler><logger/></flow>\n"
        )
    };
    let app = [
        HEADER.to_owned() + "\n",
        flow("a", r#"<cron expression="* * * * *"/>"#),
        flow("b", r#"<cron expression="0 0 12 L * ?"/>"#),
        flow("c", r#"<fixed-frequency frequency="0"/>"#),
        flow("d", r#"<fixed-frequency frequency="-5"/>"#),
        flow("e", r#"<fixed-frequency timeUnit="WEEKS"/>"#),
        flow("f", r#"<fixed-frequency/><cron expression="* * * * * ?"/>"#),
        flow("g", ""),
        flow("h", r#"<cron expression="0 0 99 * * ?"/>"#),
        "  <flow name=\"i\"><scheduler disallowConcurrentExecution=\"maybe\"><scheduling-strategy><fixed-frequency/></scheduling-strategy></scheduler><logger/></flow>\n".to_owned(),
        flow("j", r#"<cron expression="0 0 12 30 2 ?"/>"#),
        "</mule>\n".to_owned(),
    ]
    .concat();
    let stderr = validate_bad_app("scheduler-bad", &app);
    let expected = [
        "bad.xml:2:68: error: invalid cron expression `* * * * *`: it has 5 fields, but Quartz expressions have 6 or 7",
        "bad.xml:3:68: error: invalid cron expression `0 0 12 L * ?`: flowrun does not support Quartz's `L`, `W` and `#`",
        "bad.xml:4:78: error: `frequency` must be a positive whole number, not `0`",
        "bad.xml:5:78: error: `frequency` must be a positive whole number, not `-5`",
        "bad.xml:6:77: error: unknown `timeUnit` `WEEKS`",
        "bad.xml:7:69: error: `scheduling-strategy` takes one strategy, but `cron` is a second one",
        "bad.xml:8:30: error: `scheduling-strategy` needs a strategy",
        "bad.xml:9:68: error: invalid cron expression `0 0 99 * * ?`: hours must be at most 23 ('99' specified)",
        "bad.xml:10:58: error: `disallowConcurrentExecution` must be `true` or `false`, not `maybe`",
        "bad.xml:11:68: error: invalid cron expression `0 0 12 30 2 ?`: it never fires: no date from now on matches it",
    ];
    assert_has_lines(&stderr, &expected);
    assert!(stderr.contains("error: the app did not load: 10 errors"), "{stderr}");
}

#[test]
fn flow_max_concurrency_makes_events_wait_their_turn() {
    let log = run_for("max-concurrency", 1.5);
    // Triggers come every 200 ms and runs take 350 ms, so without the limit they overlap.
    check_one_at_a_time(&log, "run");
    assert!(!log.contains("Execution skipped"), "{log}");
}
