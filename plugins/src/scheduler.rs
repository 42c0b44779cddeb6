//! `scheduler`: the core source that starts its flow on a timer, at a fixed frequency or on
//! a Quartz cron expression, with an empty payload and attributes.
//!
//! The scheduler registers its flow when the app starts, and its timer task starts after
//! every configuration did ([`Source::start`]); `flowrun call` and `flowrun validate` never
//! start it. Each trigger runs the flow in a task of its own, so runs may overlap unless
//! `disallowConcurrentExecution="true"`, which skips a trigger while a run is in flight.
//! On stop the timer ends and runs in flight get [`STOP_GRACE`] to finish.

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Local, Utc};
use futures::future::BoxFuture;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::{Instant, MissedTickBehavior};

use flowrun_engine::diag::Diagnostic;
use flowrun_engine::event::{Event, Message};
use flowrun_engine::plugin::{
    AttrSpec, BuildContext, ChildSpec, Kind, Registry, Schema, Source, SourceKind,
};
use flowrun_engine::runtime::FlowRunner;
use flowrun_engine::value::TypedValue;
use flowrun_engine::xml::{Attribute, Element, ns};

/// How long a stopping scheduler waits for the runs it started before abandoning them.
/// Mule's default `shutdownTimeout` is 5 seconds.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// The longest the scheduler waits in one go. Longer frequencies and delays (which Mule
/// accepts, up to `Long.MAX_VALUE` of their unit) are cut to this, so that adding them to the
/// clock cannot overflow.
const LONGEST_WAIT: Duration = Duration::from_secs(100 * 365 * 86_400);

/// The category of the scheduler's own log lines, as in Mule.
const CATEGORY: &str =
    "org.mule.runtime.core.internal.source.scheduler.DefaultSchedulerMessageSource";

static FIXED_FREQUENCY: Schema = Schema {
    attributes: &[
        AttrSpec::optional("frequency"),
        AttrSpec::optional("timeUnit"),
        AttrSpec::optional("startDelay"),
    ],
    children: &[],
    text: false,
};

static CRON: Schema = Schema {
    attributes: &[AttrSpec::required("expression"), AttrSpec::optional("timeZone")],
    children: &[],
    text: false,
};

static SCHEDULING_STRATEGY: Schema = Schema {
    attributes: &[],
    children: &[
        ChildSpec {
            ns: ns::CORE,
            name: "fixed-frequency",
            schema: &FIXED_FREQUENCY,
            required: false,
        },
        ChildSpec { ns: ns::CORE, name: "cron", schema: &CRON, required: false },
    ],
    text: false,
};

static SCHEDULER: Schema = Schema {
    attributes: &[AttrSpec::optional("disallowConcurrentExecution")],
    children: &[ChildSpec {
        ns: ns::CORE,
        name: "scheduling-strategy",
        schema: &SCHEDULING_STRATEGY,
        required: true,
    }],
    text: false,
};

/// Adds the `scheduler` source to a registry.
pub fn register(registry: &mut Registry) {
    registry.add(Kind::Source(Box::new(SchedulerKind)));
}

/// The `scheduler` element kind.
pub(crate) struct SchedulerKind;

flowrun_engine::component!(
    SchedulerKind,
    ns::CORE,
    "scheduler",
    "starts the flow at a fixed frequency or on a cron expression",
    &SCHEDULER
);

impl SourceKind for SchedulerKind {
    fn build(&self, element: &Element, cx: &mut BuildContext<'_>) -> Option<Arc<dyn Source>> {
        let disallow_concurrent = match element.attr("disallowConcurrentExecution") {
            Some(attr) => boolean(attr, cx),
            None => Some(false),
        };
        // The schema check reports a missing `scheduling-strategy`.
        let strategy_element = element.child(ns::CORE, "scheduling-strategy")?;
        let strategy = strategy(strategy_element, cx);
        Some(Arc::new(Scheduler {
            strategy: Arc::new(strategy?),
            disallow_concurrent: disallow_concurrent?,
            runner: Mutex::new(None),
            running: tokio::sync::Mutex::new(None),
        }))
    }
}

/// When a scheduler fires.
#[derive(Debug)]
enum Strategy {
    /// Every `period`, the first time after `start_delay`.
    FixedFrequency { period: Duration, start_delay: Duration },
    /// At the times a cron expression gives, in a time zone.
    Cron { schedule: Box<cron::Schedule>, zone: Zone },
}

/// The time zone a cron expression is read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Zone {
    /// The machine's zone, as Mule uses the JVM's default zone when `timeZone` is not set.
    Local,
    /// UTC (`timeZone="UTC"` or `"GMT"`).
    Utc,
}

fn strategy(element: &Element, cx: &mut BuildContext<'_>) -> Option<Strategy> {
    let mut chosen = element
        .children
        .iter()
        .filter(|c| c.is(ns::CORE, "fixed-frequency") || c.is(ns::CORE, "cron"));
    let Some(first) = chosen.next() else {
        cx.report(
            Diagnostic::error(element.span, "`scheduling-strategy` needs a strategy")
                .with_note("add `<fixed-frequency frequency=\"1000\"/>` or `<cron expression=\"0 0/5 * * * ?\"/>`"),
        );
        return None;
    };
    if let Some(second) = chosen.next() {
        cx.report(
            Diagnostic::error(
                second.span,
                format!(
                    "`scheduling-strategy` takes one strategy, but `{}` is a second one",
                    second.qname
                ),
            )
            .with_note("keep either `fixed-frequency` or `cron`"),
        );
        return None;
    }
    if &*first.name == "cron" { cron_strategy(first, cx) } else { fixed_frequency(first, cx) }
}

fn fixed_frequency(element: &Element, cx: &mut BuildContext<'_>) -> Option<Strategy> {
    let unit_millis = match element.attr("timeUnit") {
        None => Some(1),
        Some(attr) => match attr.value.trim() {
            "MILLISECONDS" => Some(1),
            "SECONDS" => Some(1_000),
            "MINUTES" => Some(60_000),
            "HOURS" => Some(3_600_000),
            "DAYS" => Some(86_400_000),
            other => {
                cx.report(
                    Diagnostic::error(attr.value_span, format!("unknown `timeUnit` `{other}`"))
                        .with_note("expected one of: MILLISECONDS, SECONDS, MINUTES, HOURS, DAYS"),
                );
                None
            }
        },
    };
    let frequency = whole_number(element, "frequency", 1000, 1, cx);
    let start_delay = whole_number(element, "startDelay", 0, 0, cx);
    let unit_millis: u64 = unit_millis?;
    let to_duration = |count: u64, name: &str, cx: &mut BuildContext<'_>| {
        let millis = count.checked_mul(unit_millis);
        if millis.is_none() {
            let span = element.attr(name).map_or(element.span, |a| a.value_span);
            cx.error(span, format!("`{name}` is too large for its `timeUnit`"));
        }
        millis.map(Duration::from_millis)
    };
    let period = to_duration(frequency?, "frequency", cx);
    let start_delay = to_duration(start_delay?, "startDelay", cx);
    Some(Strategy::FixedFrequency { period: period?, start_delay: start_delay? })
}

/// Reads a whole-number attribute of at least `min`, or its default.
fn whole_number(
    element: &Element,
    name: &str,
    default: u64,
    min: u64,
    cx: &mut BuildContext<'_>,
) -> Option<u64> {
    let Some(attr) = element.attr(name) else { return Some(default) };
    match attr.value.trim().parse::<u64>() {
        Ok(n) if n >= min => Some(n),
        _ => {
            let what =
                if min == 0 { "a whole number of at least 0" } else { "a positive whole number" };
            cx.error(attr.value_span, format!("`{name}` must be {what}, not `{}`", attr.value));
            None
        }
    }
}

fn cron_strategy(element: &Element, cx: &mut BuildContext<'_>) -> Option<Strategy> {
    let zone = match element.attr("timeZone") {
        None => Some(Zone::Local),
        Some(attr) => match attr.value.trim() {
            "UTC" | "GMT" | "Etc/UTC" | "Etc/GMT" | "Z" => Some(Zone::Utc),
            other => {
                cx.report(
                    Diagnostic::error(
                        attr.value_span,
                        format!("flowrun does not support the time zone `{other}`"),
                    )
                    .with_note("use `UTC`, or leave `timeZone` out to use the machine's time zone"),
                );
                None
            }
        },
    };
    // The schema check reports a missing `expression`.
    let attr = element.attr("expression")?;
    let schedule = match parse_quartz(&attr.value) {
        Ok(schedule) => Some(schedule),
        Err(message) => {
            cx.report(
                Diagnostic::error(
                    attr.value_span,
                    format!("invalid cron expression `{}`: {message}", attr.value.trim()),
                )
                .with_note("Quartz syntax: seconds minutes hours day-of-month month day-of-week [year], with `?` in one of the day fields, as in `0 0/15 * * * ?`"),
            );
            None
        }
    };
    Some(Strategy::Cron { schedule: Box::new(schedule?), zone: zone? })
}

/// Parses a Quartz cron expression: 6 or 7 fields, with `?` in exactly one of the two day
/// fields, as Quartz demands. Quartz's `L`, `W` and `#` are not supported.
fn parse_quartz(expression: &str) -> Result<cron::Schedule, String> {
    let fields: Vec<&str> = expression.split_whitespace().collect();
    if !(6..=7).contains(&fields.len()) {
        return Err(format!(
            "it has {} field{}, but Quartz expressions have 6 or 7",
            fields.len(),
            if fields.len() == 1 { "" } else { "s" }
        ));
    }
    if let Some(idx) =
        fields.iter().enumerate().position(|(idx, f)| f.contains('?') && idx != 3 && idx != 5)
    {
        return Err(format!(
            "`?` is only allowed in the day-of-month or day-of-week field, not in field {}",
            idx + 1
        ));
    }
    match (fields[3] == "?", fields[5] == "?") {
        (true, true) => {
            return Err("`?` may be in day-of-month or in day-of-week, not in both".into());
        }
        (false, false) => {
            return Err("one of day-of-month and day-of-week must be `?` (Quartz does not support setting both)".into());
        }
        _ => {}
    }
    let unsupported = fields[3..=5].iter().any(|f| {
        f.contains(['L', 'W', '#']) && !f.chars().any(|c| c.is_ascii_lowercase()) && !is_day_name(f)
    });
    if unsupported {
        return Err("flowrun does not support Quartz's `L`, `W` and `#`".into());
    }
    let schedule = cron::Schedule::from_str(&fields.join(" ")).map_err(|err| {
        // The crate's message repeats the expression with a caret under the problem; keep
        // the last line, which says what is wrong, in the style of our messages.
        let text = err.to_string();
        let line = text.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or(&text);
        // The crate says "less than" of the largest value it allows (`hours must be less than
        // 23`), which reads as if 23 were refused.
        let last = line
            .trim()
            .replace(". (", " (")
            .replace(".)", ")")
            .replace("must be less than", "must be at most");
        let mut chars = last.trim_end_matches('.').chars();
        let first = chars.next().map(|c| c.to_lowercase().collect::<String>()).unwrap_or_default();
        first + chars.as_str()
    })?;
    // Quartz refuses a trigger that will never fire (`0 0 12 30 2 ?`, a year gone by).
    if schedule.upcoming(Utc).next().is_none() {
        return Err("it never fires: no date from now on matches it".into());
    }
    Ok(schedule)
}

/// Whether a day-of-week or month field is made of names such as `WED` or `MON-FRI`, whose
/// letters are not Quartz's `L`, `W` or `#`.
fn is_day_name(field: &str) -> bool {
    field.split([',', '-', '/']).all(|part| {
        part.parse::<u32>().is_ok()
            || part == "*"
            || (part.len() == 3 && part.chars().all(|c| c.is_ascii_alphabetic()))
    })
}

fn boolean(attr: &Attribute, cx: &mut BuildContext<'_>) -> Option<bool> {
    match attr.value.trim() {
        "true" => Some(true),
        "false" => Some(false),
        other => {
            cx.error(
                attr.value_span,
                format!("`{}` must be `true` or `false`, not `{other}`", attr.name),
            );
            None
        }
    }
}

/// A built `scheduler`.
struct Scheduler {
    strategy: Arc<Strategy>,
    disallow_concurrent: bool,
    /// The flow it starts, once registered.
    runner: Mutex<Option<FlowRunner>>,
    /// The timer task, while started.
    running: tokio::sync::Mutex<Option<Running>>,
}

struct Running {
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Source for Scheduler {
    fn register(&self, flow: FlowRunner) -> Result<(), String> {
        *self.runner.lock().unwrap_or_else(PoisonError::into_inner) = Some(flow);
        Ok(())
    }

    fn start(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            let Some(runner) = self.runner.lock().unwrap_or_else(PoisonError::into_inner).clone()
            else {
                return Ok(());
            };
            let mut running = self.running.lock().await;
            if running.is_some() {
                return Ok(());
            }
            let (shutdown, shutdown_rx) = watch::channel(false);
            let timer = Timer {
                first: self.first_fire(),
                strategy: self.strategy.clone(),
                disallow_concurrent: self.disallow_concurrent,
                runner,
            };
            tracing::debug!(flow = timer.runner.flow_name(), strategy = ?self.strategy, "scheduler started");
            let task = tokio::spawn(timer.run(shutdown_rx));
            *running = Some(Running { shutdown, task });
            Ok(())
        })
    }

    fn stop(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let Some(running) = self.running.lock().await.take() else { return };
            let _ = running.shutdown.send(true);
            if let Err(err) = running.task.await {
                tracing::warn!("the scheduler task ended abnormally: {err}");
            }
        })
    }
}

impl Scheduler {
    fn first_fire(&self) -> Instant {
        match self.strategy.as_ref() {
            Strategy::FixedFrequency { start_delay, .. } => {
                Instant::now() + (*start_delay).min(LONGEST_WAIT)
            }
            Strategy::Cron { .. } => Instant::now(),
        }
    }
}

/// What the timer task owns: everything it needs, shared with nobody.
struct Timer {
    first: Instant,
    strategy: Arc<Strategy>,
    disallow_concurrent: bool,
    runner: FlowRunner,
}

impl Timer {
    /// Fires until told to stop, then waits up to [`STOP_GRACE`] for runs in flight.
    async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let busy = Arc::new(AtomicBool::new(false));
        let mut runs = JoinSet::new();
        let mut interval = match self.strategy.as_ref() {
            Strategy::FixedFrequency { period, .. } => {
                let mut interval =
                    tokio::time::interval_at(self.first, (*period).min(LONGEST_WAIT));
                // A trigger missed while the machine was busy is skipped, not made up in a burst.
                interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
                Some(interval)
            }
            Strategy::Cron { .. } => None,
        };
        let mut last_cron: Option<DateTime<Utc>> = None;
        loop {
            let wait = async {
                match (&mut interval, self.strategy.as_ref()) {
                    (Some(interval), _) => {
                        interval.tick().await;
                        true
                    }
                    (None, Strategy::Cron { schedule, zone }) => {
                        let Some(at) = next_cron(schedule, *zone, last_cron) else { return false };
                        let delay =
                            (at - Utc::now()).to_std().unwrap_or_default().min(LONGEST_WAIT);
                        tokio::time::sleep(delay).await;
                        last_cron = Some(at);
                        true
                    }
                    (None, Strategy::FixedFrequency { .. }) => false,
                }
            };
            tokio::select! {
                fired = wait => if !fired {
                    tracing::info!(flow = self.runner.flow_name(), "the cron expression gives no further times; the scheduler stops");
                    break;
                },
                _ = shutdown.changed() => break,
            }
            while runs.try_join_next().is_some() {}
            self.fire(&busy, &mut runs);
        }
        let drained =
            tokio::time::timeout(STOP_GRACE, async { while runs.join_next().await.is_some() {} });
        if drained.await.is_err() {
            tracing::warn!(
                flow = self.runner.flow_name(),
                "scheduled runs still in flight after {} s are abandoned",
                STOP_GRACE.as_secs()
            );
        }
    }

    /// Starts one run of the flow, unless one is in flight and that is not allowed.
    fn fire(&self, busy: &Arc<AtomicBool>, runs: &mut JoinSet<()>) {
        if self.disallow_concurrent && busy.swap(true, Ordering::AcqRel) {
            tracing::info!(
                target: "flowrun::mule",
                category = CATEGORY,
                app = self.runner.app_name(),
                flow = self.runner.flow_name(),
                "Flow '{}' is already running and 'disallowConcurrentExecution' is set to 'true'. Execution skipped.",
                self.runner.flow_name()
            );
            return;
        }
        let runner = self.runner.clone();
        let busy = busy.clone();
        let disallow_concurrent = self.disallow_concurrent;
        runs.spawn(async move {
            let event = Event::new(Message::of(TypedValue::null()));
            // A failure has been through the flow's error handling and is logged already;
            // the scheduler keeps firing.
            let _ = runner.run(event).await;
            if disallow_concurrent {
                busy.store(false, Ordering::Release);
            }
        });
    }
}

/// The next time a cron schedule gives after the later of `last` and now, in UTC.
fn next_cron(
    schedule: &cron::Schedule,
    zone: Zone,
    last: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    let now = Utc::now();
    let from = last.map_or(now, |last| last.max(now));
    match zone {
        Zone::Utc => schedule.after(&from).next(),
        Zone::Local => {
            schedule.after(&from.with_timezone(&Local)).next().map(|at| at.with_timezone(&Utc))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_error(expression: &str, expected: &str) {
        let message = parse_quartz(expression).expect_err(expression);
        assert!(message.contains(expected), "`{expression}`: {message}");
    }

    #[test]
    fn quartz_expressions_parse() {
        for expression in [
            "* * * * * ?",
            "0/15 * * * * ?",
            "0 0 12 ? * MON-FRI",
            "0 30 9 1,15 * ? 2030",
            "0 0 0 ? * WED",
        ] {
            assert!(parse_quartz(expression).is_ok(), "{expression}");
        }
    }

    #[test]
    fn bad_quartz_expressions_say_what_is_wrong() {
        check_error("* * * * *", "it has 5 fields");
        check_error("* * * * * *", "must be `?`");
        check_error("* * * ? * ?", "not in both");
        check_error("? * * * * ?", "not in field 1");
        check_error("0 0 12 L * ?", "`L`, `W` and `#`");
        check_error("0 0 99 * * ?", "");
    }

    #[test]
    fn cron_times_follow_each_other() {
        let schedule = parse_quartz("* * * * * ?").expect("valid");
        let first = next_cron(&schedule, Zone::Utc, None).expect("a time");
        let second = next_cron(&schedule, Zone::Utc, Some(first)).expect("a time");
        assert_eq!((second - first).num_seconds(), 1);
    }
}
