//! Log output: Mule's line layout or one JSON object per line, filtered by level per category.
//!
//! Lines look like Mule's default app log:
//! `INFO  2026-05-01 12:00:00,123 [[app].flow.CPU_LITE @worker] [processor: flow/processors/3; event: id] category: message`.
//! Events from the engine itself, which have no processor, print
//! `INFO  2026-05-01 12:00:00,123 [main] flowrun: message`.
//!
//! Which lines are written is set by `--log-level` or the `FLOWRUN_LOG` variable, as a comma
//! list of a default level and `category=level` overrides:
//! `warn,orders-api=debug,org.mule.runtime.core.internal.processor=info`. A category is a
//! logger's `category` (Mule's loggers and error handlers have one) or, for flowrun's own
//! lines, the module that logs (`flowrun_plugins::http`). An override applies to the
//! category and everything below it (`org.mule` covers `org.mule.runtime...`), the longest
//! match winning, as in log4j.

use std::fmt::{self, Write as _};
use std::sync::OnceLock;

use clap::ValueEnum;
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;

use flowrun_engine::secret::SecretStore;

/// The loaded app's secrets, masked in every line written.
static SECRETS: OnceLock<SecretStore> = OnceLock::new();

/// Masks the values of `secrets` in every log line from now on.
pub(crate) fn mask_secrets(secrets: &SecretStore) {
    let _ = SECRETS.set(secrets.clone());
}

fn masked(text: &str) -> String {
    match SECRETS.get() {
        Some(secrets) => secrets.redact(text).into_owned(),
        None => text.to_owned(),
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    /// Mule's line layout.
    #[default]
    Mule,
    /// One JSON object per line.
    Json,
}

/// Which levels are written, per category.
#[derive(Clone, Debug)]
pub(crate) struct Levels {
    default: LevelFilter,
    /// `(category, level)`, longest category first.
    overrides: Vec<(String, LevelFilter)>,
}

impl Levels {
    /// Parses `level,category=level,...`.
    pub(crate) fn parse(spec: &str) -> Result<Levels, String> {
        let mut levels = Levels { default: LevelFilter::INFO, overrides: Vec::new() };
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.rsplit_once('=') {
                Some((category, level)) if !category.trim().is_empty() => {
                    levels.overrides.push((category.trim().to_owned(), parse_level(level)?));
                }
                Some(_) => return Err(format!("`{part}` names no category before `=`")),
                None => levels.default = parse_level(part)?,
            }
        }
        levels.overrides.sort_by_key(|(category, _)| std::cmp::Reverse(category.len()));
        Ok(levels)
    }

    fn level_of(&self, category: &str) -> LevelFilter {
        self.overrides
            .iter()
            .find(|(prefix, _)| {
                category.strip_prefix(prefix.as_str()).is_some_and(|rest| {
                    rest.is_empty() || rest.starts_with('.') || rest.starts_with("::")
                })
            })
            .map_or(self.default, |(_, level)| *level)
    }

    fn max(&self) -> LevelFilter {
        self.overrides.iter().map(|(_, level)| *level).fold(self.default, LevelFilter::max)
    }
}

fn parse_level(text: &str) -> Result<LevelFilter, String> {
    text.trim().parse::<LevelFilter>().map_err(|_| {
        format!("`{}` is not a log level: use off, error, warn, info, debug or trace", text.trim())
    })
}

/// Installs the subscriber on stderr.
pub(crate) fn init(levels: Levels, format: LogFormat) {
    // A log line that cannot be written (stderr is a closed pipe) is dropped: reporting the
    // failure would write to stderr again, and tracing-subscriber does that with `eprintln!`,
    // which panics.
    let fmt =
        tracing_subscriber::fmt::layer().with_writer(std::io::stderr).log_internal_errors(false);
    let fmt = match format {
        LogFormat::Mule => fmt.event_format(Layout { json: false }),
        LogFormat::Json => fmt.event_format(Layout { json: true }),
    };
    tracing_subscriber::registry().with(fmt.with_filter(CategoryFilter(levels))).init();
}

/// Installs the subscriber of `flowrun dw`: the lines of DataWeave's `log` only, each as its
/// bare text (`prefix - value`) on stderr, as MuleSoft's DataWeave CLI prints them; the text
/// is the message that flows log.
pub(crate) fn init_dataweave_log() {
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .log_internal_errors(false)
        .event_format(MessageOnly);
    let only_log = tracing_subscriber::filter::filter_fn(|meta| {
        meta.target() == flowrun_engine::expr::LOG_TARGET && *meta.level() <= tracing::Level::INFO
    });
    tracing_subscriber::registry().with(fmt.with_filter(only_log)).init();
}

/// Writes an event's message and nothing else.
struct MessageOnly;

impl<S, N> FormatEvent<S, N> for MessageOnly
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Fields::default();
        event.record(&mut fields);
        writeln!(writer, "{}", fields.message)
    }
}

/// Lets an event through when its level is enabled for its category.
struct CategoryFilter(Levels);

impl<S: Subscriber> tracing_subscriber::layer::Filter<S> for CategoryFilter {
    fn enabled(&self, meta: &Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        // Spans carry no category; events are decided in `event_enabled`.
        meta.is_span() || *meta.level() <= self.0.max()
    }

    fn event_enabled(&self, event: &Event<'_>, _cx: &Context<'_, S>) -> bool {
        let mut category = CategoryField(None);
        event.record(&mut category);
        let category = category.0.as_deref().unwrap_or_else(|| event.metadata().target());
        *event.metadata().level() <= self.0.level_of(category)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.0.max())
    }
}

struct CategoryField(Option<String>);

impl Visit for CategoryField {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "category" {
            self.0 = Some(value.to_owned());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "category" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

struct Layout {
    json: bool,
}

#[derive(Default)]
struct Fields {
    message: String,
    category: Option<String>,
    processor: Option<String>,
    event: Option<String>,
    flow: Option<String>,
    app: Option<String>,
    rest: Vec<(&'static str, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record(field, value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record(field, format!("{value:?}"));
    }
}

impl Fields {
    fn record(&mut self, field: &Field, value: String) {
        match field.name() {
            "message" => self.message = value,
            "category" => self.category = Some(value),
            "processor" => self.processor = Some(value),
            "event" => self.event = Some(value),
            "flow" => self.flow = Some(value),
            "app" => self.app = Some(value),
            name => self.rest.push((name, value)),
        }
    }
}

impl<S, N> FormatEvent<S, N> for Layout
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let level = event.metadata().level().as_str();
        let now = chrono::Local::now();
        let thread = std::thread::current();
        let thread_name = thread.name().unwrap_or("main");
        let thread_label = match (&fields.app, &fields.flow) {
            (Some(app), Some(flow)) => format!("[{app}].{flow}.CPU_LITE @{thread_name}"),
            (None, Some(flow)) => format!("{flow}.CPU_LITE @{thread_name}"),
            _ => thread_name.to_owned(),
        };
        let category = fields.category.as_deref().unwrap_or_else(|| event.metadata().target());
        if self.json {
            let mut object = serde_json::Map::new();
            let mut put = |key: &str, value: &str| {
                object.insert(key.to_owned(), serde_json::Value::String(masked(value)));
            };
            put("time", &now.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string());
            put("level", level);
            put("thread", &thread_label);
            put("category", category);
            if let Some(processor) = &fields.processor {
                put("processor", processor);
            }
            if let Some(id) = &fields.event {
                put("correlationId", id);
            }
            if let Some(app) = &fields.app {
                put("app", app);
            }
            if let Some(flow) = &fields.flow {
                put("flow", flow);
            }
            put("message", &fields.message);
            for (name, value) in &fields.rest {
                put(name, value);
            }
            return writeln!(writer, "{}", serde_json::Value::Object(object));
        }
        let now = now.format("%Y-%m-%d %H:%M:%S,%3f");
        let mut line = format!("{level:<5} {now} [{thread_label}] ");
        if let (Some(processor), Some(id)) = (&fields.processor, &fields.event) {
            let _ = write!(line, "[processor: {processor}; event: {id}] ");
        }
        let _ = write!(line, "{category}: {}", fields.message);
        for (name, value) in &fields.rest {
            let _ = write!(line, " {name}={value}");
        }
        writeln!(writer, "{}", masked(&line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_matching_category_decides() {
        let levels = Levels::parse("warn, org.mule=info, org.mule.runtime.core=debug, orders=off")
            .expect("valid");
        assert_eq!(levels.level_of("orders-api"), LevelFilter::WARN);
        assert_eq!(levels.level_of("orders"), LevelFilter::OFF);
        assert_eq!(levels.level_of("org.mule.runtime"), LevelFilter::INFO);
        assert_eq!(levels.level_of("org.mule.runtime.core.internal.X"), LevelFilter::DEBUG);
        assert_eq!(levels.level_of("flowrun_plugins::http"), LevelFilter::WARN);
        assert_eq!(levels.max(), LevelFilter::DEBUG);
    }

    #[test]
    fn module_paths_match_by_segment() {
        let levels = Levels::parse("error,flowrun_plugins=trace").expect("valid");
        assert_eq!(levels.level_of("flowrun_plugins::http::request"), LevelFilter::TRACE);
        assert_eq!(levels.level_of("flowrun_pluginsx"), LevelFilter::ERROR);
    }

    #[test]
    fn bad_levels_say_what_is_allowed() {
        let err = Levels::parse("info,orders=loud").unwrap_err();
        assert_eq!(err, "`loud` is not a log level: use off, error, warn, info, debug or trace");
        assert!(Levels::parse("=info").is_err());
    }
}
