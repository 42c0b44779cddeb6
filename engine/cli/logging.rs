//! Log output in Mule's line layout, filtered by the `FLOWRUN_LOG` environment variable.
//!
//! Lines look like Mule's default app log:
//! `INFO  2026-05-01 12:00:00,123 [[app].flow.CPU_LITE @worker] [processor: flow/processors/3; event: id] category: message`.
//! Events from the engine itself, which have no processor, print
//! `INFO  2026-05-01 12:00:00,123 [main] flowrun: message`.

use std::fmt::{self, Write as _};
use std::sync::OnceLock;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;

use flowrun_engine::secret::SecretStore;

/// The loaded app's secrets, masked in every line written.
static SECRETS: OnceLock<SecretStore> = OnceLock::new();

/// Masks the values of `secrets` in every log line from now on.
pub(crate) fn mask_secrets(secrets: &SecretStore) {
    let _ = SECRETS.set(secrets.clone());
}
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Installs the subscriber: stderr, Mule layout, `FLOWRUN_LOG` filter (default `info`).
pub(crate) fn init() {
    let filter = EnvFilter::try_from_env("FLOWRUN_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .event_format(MuleLayout)
        .init();
}

struct MuleLayout;

#[derive(Default)]
struct Fields {
    message: String,
    category: Option<String>,
    processor: Option<String>,
    event: Option<String>,
    flow: Option<String>,
    app: Option<String>,
    rest: String,
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
            name => {
                let _ = write!(self.rest, " {name}={value}");
            }
        }
    }
}

impl<S, N> FormatEvent<S, N> for MuleLayout
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
        let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S,%3f");
        let thread = std::thread::current();
        let thread_name = thread.name().unwrap_or("main");
        let thread_label = match (&fields.app, &fields.flow) {
            (Some(app), Some(flow)) => format!("[{app}].{flow}.CPU_LITE @{thread_name}"),
            (None, Some(flow)) => format!("{flow}.CPU_LITE @{thread_name}"),
            _ => thread_name.to_owned(),
        };
        let mut line = format!("{level:<5} {now} [{thread_label}] ");
        if let (Some(processor), Some(id)) = (&fields.processor, &fields.event) {
            let _ = write!(line, "[processor: {processor}; event: {id}] ");
        }
        let category = fields.category.as_deref().unwrap_or_else(|| event.metadata().target());
        let _ = write!(line, "{category}: {}{}", fields.message, fields.rest);
        match SECRETS.get() {
            Some(secrets) => writeln!(writer, "{}", secrets.redact(&line)),
            None => writeln!(writer, "{line}"),
        }
    }
}
