//! Turns parsed flow files into a runnable [`App`]: resolves properties, checks every element
//! against its schema, builds configurations and flows.
//!
//! Loading reports every problem it finds in every file, not only the first, as
//! [`LoadError`]. It goes in stages so that one mistake does not hide the others:
//! property sources first (their attributes may only use system, environment and global
//! properties), then placeholders everywhere else, then schemas, then configurations, then
//! flows.

mod check;
mod scopes;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::{Diagnostic, Diagnostics, FileId, Severity, SourceMap, Span};
use crate::plugin::build::BuiltGlobal;
use crate::plugin::{BuildContext, GlobalHandle, Kind, Registry};
use crate::props::{ConfigurationProperties, FileResources, Properties, SearchPath};
use crate::runtime::{AppShared, Background, Flow, FlowKind, FlowRunner};
use crate::secret::SecretStore;
use crate::xml::{self, Element, ns};
use scopes::{ChainBuilder, ErrorTypes};

/// How to load an app.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// System properties (`-Dname=value`), the highest-precedence property source.
    pub system_properties: BTreeMap<String, String>,
    /// Whether environment variables answer placeholders.
    pub use_env: bool,
    /// The app's name; defaults to the first file's or folder's name.
    pub app_name: Option<String>,
}

/// A loaded app.
pub struct App {
    /// The app's name.
    pub name: String,
    /// Every file loaded, for rendering locations.
    pub sources: SourceMap,
    /// Flows by name, in declaration order.
    pub flows: Vec<Arc<Flow>>,
    /// Configurations by name, in declaration order.
    pub globals: Vec<(String, GlobalHandle)>,
    /// The app's secrets.
    pub secrets: SecretStore,
    /// Warnings found while loading.
    pub warnings: Vec<Diagnostic>,
    shared: Arc<AppShared>,
}

/// Why an app did not load: every problem found, with the files to render them against.
pub struct LoadError {
    /// The files read.
    pub sources: SourceMap,
    /// Errors and warnings, in the order found.
    pub diagnostics: Vec<Diagnostic>,
}

impl LoadError {
    fn single(message: String) -> LoadError {
        LoadError {
            sources: SourceMap::default(),
            diagnostics: vec![Diagnostic::error(None, message)],
        }
    }

    /// Number of errors (warnings not counted).
    pub fn n_errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == Severity::Error).count()
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (idx, diagnostic) in self.diagnostics.iter().enumerate() {
            if idx > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", diagnostic.render(&self.sources))?;
        }
        Ok(())
    }
}

impl fmt::Debug for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for LoadError {}

/// How long stopping an app waits for `async` work, as Mule's `shutdownTimeout` default.
pub const SHUTDOWN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl App {
    /// A runner for the named flow.
    pub fn runner(&self, flow_name: &str) -> Option<FlowRunner> {
        let flow = self.flows.iter().find(|f| f.name == flow_name)?;
        Some(FlowRunner::new(flow.clone(), self.shared.clone()))
    }

    /// Connects every flow's source, starts every configuration (binding listeners), then
    /// starts the sources that trigger flows themselves (schedulers).
    ///
    /// # Errors
    ///
    /// A message naming the flow or configuration that could not start.
    pub async fn start(&self) -> Result<(), String> {
        for flow in &self.flows {
            if let (Some(source), true) = (&flow.source, flow.starts) {
                let runner = FlowRunner::new(flow.clone(), self.shared.clone());
                source.register(runner).map_err(|err| format!("flow `{}`: {err}", flow.name))?;
            }
        }
        for (name, global) in &self.globals {
            global.lifecycle.start().await.map_err(|err| format!("`{name}`: {err}"))?;
        }
        for flow in self.flows.iter().filter(|flow| flow.starts) {
            if let Some(source) = &flow.source {
                source.start().await.map_err(|err| format!("flow `{}`: {err}", flow.name))?;
            }
        }
        Ok(())
    }

    /// Waits for the work that `async` scopes started, at most [`SHUTDOWN_TIMEOUT`] (Mule's
    /// default `shutdownTimeout`); work still running then is abandoned, with a warning.
    pub async fn finish_background(&self) {
        if !self.shared.background.finish(SHUTDOWN_TIMEOUT).await {
            tracing::warn!(
                "`async` work was still running {} ms after the app began to stop; it is abandoned",
                SHUTDOWN_TIMEOUT.as_millis()
            );
        }
    }

    /// Stops every source, then every configuration, letting work in flight finish.
    pub async fn stop(&self) {
        // Sources first, so that nothing triggers a flow whose connections are closing; all
        // at once, so that one waiting for its runs in flight does not leave the others firing.
        let sources = self.flows.iter().filter_map(|flow| flow.source.as_ref());
        futures::future::join_all(sources.map(|source| source.stop())).await;
        self.finish_background().await;
        for (_, global) in self.globals.iter().rev() {
            global.lifecycle.stop().await;
        }
    }
}

/// Loads an app from files or folders.
///
/// A folder that is a Mule project (it has `src/main/mule`) loads every XML file there (in
/// subfolders too) and finds resources in `src/main/resources`; any other folder loads the XML
/// files it contains.
///
/// # Errors
///
/// Every problem found, in every file.
pub fn load(
    paths: &[PathBuf],
    registry: &Registry,
    options: &LoadOptions,
) -> Result<App, LoadError> {
    let mut files = Vec::new();
    let mut search_path = SearchPath::default();
    for path in paths {
        collect_files(path, &mut files, &mut search_path).map_err(LoadError::single)?;
    }
    if files.is_empty() {
        return Err(LoadError::single("no XML files to load".into()));
    }
    let mut sources = SourceMap::default();
    let mut file_ids = Vec::new();
    // A file that cannot be read is reported with the problems of the others.
    let mut unreadable = Vec::new();
    for file in &files {
        let text = match read_xml_text(file) {
            Ok(text) => text,
            Err(message) => {
                unreadable.push(Diagnostic::error(None, message));
                continue;
            }
        };
        file_ids.push(sources.add(file.clone(), text));
        if let Some(dir) = file.parent() {
            // `app.xml` has the parent ``; say `.` so that messages name a folder.
            let dir =
                if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir.to_path_buf() };
            if !search_path.dirs.contains(&dir) {
                search_path.dirs.insert(0, dir);
            }
        }
    }
    let default_name = app_name_of(&paths[0]);
    let options = LoadOptions {
        app_name: options.app_name.clone().or(Some(default_name)),
        ..options.clone()
    };
    if unreadable.is_empty() {
        return load_sources(sources, &file_ids, search_path, registry, &options);
    }
    let mut diagnostics = unreadable;
    if !file_ids.is_empty() {
        let loaded = load_sources(sources, &file_ids, search_path, registry, &options);
        if let Err(err) = loaded {
            diagnostics.extend(err.diagnostics);
            return Err(LoadError { sources: err.sources, diagnostics });
        }
    }
    Err(LoadError { sources: SourceMap::default(), diagnostics })
}

/// The text of an app file; `Err` says why it cannot be read, and where for text that is
/// not UTF-8 (the only encoding flowrun reads XML in).
fn read_xml_text(file: &Path) -> Result<String, String> {
    let bytes =
        std::fs::read(file).map_err(|err| format!("cannot read `{}`: {err}", file.display()))?;
    String::from_utf8(bytes).map_err(|err| {
        let valid = &err.as_bytes()[..err.utf8_error().valid_up_to()];
        let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |at| at + 1);
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = String::from_utf8_lossy(&valid[line_start..]).chars().count() + 1;
        format!(
            "{}:{line}:{column}: the file is not UTF-8 text here; flowrun reads XML files in UTF-8 only",
            file.display()
        )
    })
}

/// Loads an app from text, as if read from a file at `path` (used by tests and examples).
///
/// # Errors
///
/// Every problem found.
pub fn load_str(
    path: &Path,
    text: &str,
    registry: &Registry,
    options: &LoadOptions,
) -> Result<App, LoadError> {
    let mut sources = SourceMap::default();
    let file_id = sources.add(path.to_path_buf(), text.to_owned());
    let dirs = path.parent().map(|p| vec![p.to_path_buf()]).unwrap_or_default();
    load_sources(sources, &[file_id], SearchPath { dirs }, registry, options)
}

/// The error for a root element that is not Mule's `<mule>`.
fn root_error(root: &Element) -> Diagnostic {
    let message = if &*root.name == "mule" && root.ns.is_empty() {
        "the root element `mule` has no namespace".to_owned()
    } else if &*root.name == "mule" {
        format!("the root element `mule` is in namespace `{}`, not Mule's core namespace", root.ns)
    } else {
        format!("the root element is `{}`, expected `mule`", root.qname)
    };
    Diagnostic::error(root.span, message)
        .with_note(format!("declare it as <mule xmlns=\"{}\" ...>", ns::CORE))
}

fn app_name_of(path: &Path) -> String {
    // `.` and `..` have no name of their own: use the folder's real name.
    let path = match path.canonicalize() {
        Ok(full) if path.is_dir() => full,
        _ => path.to_path_buf(),
    };
    let stem = if path.is_dir() { path.file_name() } else { path.file_stem() };
    stem.map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "app".into())
}

fn collect_files(
    path: &Path,
    files: &mut Vec<PathBuf>,
    search_path: &mut SearchPath,
) -> Result<(), String> {
    if path.is_file() {
        files.push(path.to_path_buf());
        return Ok(());
    }
    if !path.is_dir() {
        return Err(format!("`{}` is neither a file nor a folder", path.display()));
    }
    let project_mule = path.join("src/main/mule");
    let is_project = project_mule.is_dir();
    let dir = if is_project {
        search_path.dirs.push(path.join("src/main/resources"));
        project_mule
    } else {
        path.to_path_buf()
    };
    let mut found = Vec::new();
    // Mule loads a project's configuration files from every folder under `src/main/mule`
    // (`common/global.xml`); any other folder is read as given.
    collect_xml(&dir, is_project, &mut found)?;
    if found.is_empty() {
        return Err(format!("`{}` has no XML files", dir.display()));
    }
    found.sort();
    files.extend(found);
    Ok(())
}

/// The `.xml` files in `dir`, and in its subfolders when `recurse` is set.
fn collect_xml(dir: &Path, recurse: bool, found: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|err| format!("cannot read `{}`: {err}", dir.display()))?;
    for path in entries.filter_map(|entry| entry.ok().map(|e| e.path())) {
        if path.is_dir() && recurse {
            collect_xml(&path, recurse, found)?;
        } else if path.extension().is_some_and(|e| e == "xml") && path.is_file() {
            found.push(path);
        }
    }
    Ok(())
}

fn load_sources(
    sources: SourceMap,
    file_ids: &[FileId],
    search_path: SearchPath,
    registry: &Registry,
    options: &LoadOptions,
) -> Result<App, LoadError> {
    let mut diagnostics = Diagnostics::default();
    let app_name = options.app_name.clone().unwrap_or_else(|| "app".into());

    let mut roots = Vec::new();
    for &file_id in file_ids {
        match xml::parse(&sources.file(file_id).text, file_id) {
            Ok(root) if root.is(ns::CORE, "mule") => roots.push(root),
            Ok(root) => diagnostics.push(root_error(&root)),
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }

    let mut properties = Properties::new(options.system_properties.clone(), options.use_env);
    let secrets = SecretStore::default();
    // A system property `secure::name` stands in for a secure property (Mule lets it
    // override one), so its value is masked like the value it replaces.
    for (name, value) in &options.system_properties {
        if name.starts_with("secure::") {
            secrets.set(&format!("\u{0}{name}"), crate::secret::Secret::new(value.clone()));
        }
    }
    let no_globals = BTreeMap::new();
    let n_before = diagnostics.n_errors();
    collect_property_sources(
        &roots,
        registry,
        &mut properties,
        &secrets,
        &search_path,
        &app_name,
        &mut diagnostics,
        &no_globals,
    );
    properties.add_provider(Arc::new(FileResources { search_path: search_path.clone() }));
    // When a property source failed, the keys it would have defined are reported missing
    // everywhere they are used; those follow-on errors only hide the real one.
    let sources_failed = diagnostics.n_errors() > n_before;
    let mut unresolved = Vec::new();
    let mut placeholder_errors = Vec::new();
    for root in &mut roots {
        let mut cx = Placeholders {
            registry,
            properties: &properties,
            sources_failed,
            unresolved: &mut unresolved,
            errors: &mut placeholder_errors,
        };
        for element in &mut root.children {
            resolve_placeholders(element, &mut cx);
        }
    }
    for root in &roots {
        check::check_document(root, registry, &mut diagnostics);
    }

    let properties = Arc::new(properties);
    let mut globals = BTreeMap::new();
    let mut global_order = Vec::new();
    let mut names: BTreeMap<String, Span> = BTreeMap::new();
    let mut flows = Vec::new();
    let mut default_error_handler = None;
    {
        // Every element is built with the same services; only the flow's name differs.
        macro_rules! context {
            ($flow_name:expr) => {
                BuildContext {
                    diagnostics: &mut diagnostics,
                    globals: &globals,
                    properties: &properties,
                    secrets: &secrets,
                    search_path: &search_path,
                    app_name: &app_name,
                    flow_name: $flow_name,
                }
            };
        }
        // Configurations first, so that flows can refer to any of them.
        for root in &roots {
            for element in &root.children {
                let is_property = element.is(ns::CORE, "global-property");
                if let (false, Some(name)) = (is_property, element.attr("name")) {
                    check_unique_name(
                        &mut names,
                        &name.value,
                        name.value_span,
                        &sources,
                        &mut diagnostics,
                    );
                }
                let Some(Kind::Global(kind)) = registry.get(&element.ns, &element.name) else {
                    let unknown = registry.get(&element.ns, &element.name).is_none()
                        && !element.is(ns::CORE, "flow")
                        && !scopes::is_core_global(element)
                        && !is_property;
                    if let (true, Some(name)) = (unknown, element.attr_value("name")) {
                        // Already reported as unknown; steps referring to it add nothing.
                        globals.insert(
                            name.to_owned(),
                            BuiltGlobal { handle: None, qname: element.qname.clone() },
                        );
                    }
                    continue;
                };
                let mut cx = context!(None);
                let built = kind.build(element, &mut cx);
                let Some(name) = element.attr_value("name") else { continue };
                if let Some(handle) = &built {
                    global_order.push((name.to_owned(), handle.clone()));
                }
                // A configuration that failed to build is still known by name, so that the
                // steps referring to it do not add "names nothing" errors to the real one.
                globals.insert(
                    name.to_owned(),
                    BuiltGlobal { handle: built, qname: element.qname.clone() },
                );
            }
        }
        let declared = declared_connector_prefixes(&sources, file_ids, registry);
        let error_types = ErrorTypes::collect(&roots, registry, declared);
        let mut builder = ChainBuilder {
            registry,
            sources: &sources,
            app_name: &app_name,
            error_types: &error_types,
            handlers: BTreeMap::new(),
            on_errors: BTreeMap::new(),
            failed_globals: BTreeSet::new(),
            flow_refs: Vec::new(),
        };
        let top_level = || roots.iter().flat_map(|root| &root.children);
        // Global handlers first: error handlers refer to global `on-error-*`, flows to both.
        for element in top_level()
            .filter(|e| e.is(ns::CORE, "on-error-continue") || e.is(ns::CORE, "on-error-propagate"))
        {
            let Some(name) = element.attr_value("name") else { continue };
            let mut cx = context!(None);
            match builder.on_error(element, name, &mut cx) {
                Some(on_error) => _ = builder.on_errors.insert(name.to_owned(), on_error),
                None => _ = builder.failed_globals.insert(name.to_owned()),
            }
        }
        for element in top_level().filter(|e| e.is(ns::CORE, "error-handler")) {
            let Some(name) = element.attr_value("name") else {
                diagnostics.push(Diagnostic::error(
                    element.span,
                    "a global `error-handler` needs a `name`, by which flows refer to it",
                ));
                continue;
            };
            let mut cx = context!(None);
            match builder.error_handler(element, name, &mut cx) {
                Some(handler) => _ = builder.handlers.insert(name.to_owned(), handler),
                None => _ = builder.failed_globals.insert(name.to_owned()),
            }
        }
        for element in top_level().filter(|e| e.is(ns::CORE, "configuration")) {
            let Some(reference) = element.attr("defaultErrorHandler-ref") else { continue };
            match builder.handlers.get(&reference.value) {
                Some(handler) => default_error_handler = Some(handler.clone()),
                // The handler's own errors are reported; naming it adds nothing.
                None if builder.failed_globals.contains(&reference.value) => {}
                None => diagnostics.push(Diagnostic::error(
                    reference.value_span,
                    format!(
                        "`defaultErrorHandler-ref` names `{}`, but no global `error-handler` has that name",
                        reference.value
                    ),
                )),
            }
        }
        for element in top_level().filter(|e| e.is(ns::CORE, "flow") || e.is(ns::CORE, "sub-flow"))
        {
            if scopes::nested_too_deep(element).is_some() {
                // Reported by the checks; building it would recurse as deep.
                continue;
            }
            let mut cx = context!(element.attr_value("name"));
            if let Some(flow) = build_flow(element, registry, &mut builder, &mut cx) {
                flows.push(Arc::new(flow));
            }
        }
        let kinds: BTreeMap<String, bool> = top_level()
            .filter(|e| e.is(ns::CORE, "flow") || e.is(ns::CORE, "sub-flow"))
            .filter_map(|e| Some((e.attr_value("name")?.to_owned(), &*e.name == "sub-flow")))
            .collect();
        scopes::check_flow_refs(&builder.flow_refs, &kinds, &mut diagnostics);
        for element in top_level().filter(|e| check::is_autodiscovery(e)) {
            let Some(flow_ref) = element.attr("flowRef") else { continue };
            if kinds.get(&flow_ref.value) != Some(&false) {
                diagnostics.push(Diagnostic::error(
                    flow_ref.value_span,
                    format!("`flowRef` names `{}`, but no flow has that name", flow_ref.value),
                ));
            }
        }
    }

    // A value whose placeholder did not resolve is not checked: `port="${http.port}"` is not
    // "not a port number", its key or its file is missing, and that is the one error said.
    diagnostics
        .items
        .retain(|d| !d.span.is_some_and(|span| unresolved.iter().any(|u| u.contains(span))));
    diagnostics.items.extend(placeholder_errors);
    // Report in file order, whatever stage found each problem.
    diagnostics.items.sort_by_key(|d| d.span.map(|s| (s.file.0, s.start)));
    if diagnostics.has_errors() {
        return Err(LoadError { sources, diagnostics: diagnostics.items });
    }
    let by_name = flows.iter().map(|flow| (flow.name.clone(), flow.clone())).collect();
    let shared = Arc::new(AppShared {
        name: app_name.clone(),
        properties,
        secrets: secrets.clone(),
        flows: by_name,
        default_error_handler,
        background: Background::default(),
    });
    Ok(App {
        name: app_name,
        sources,
        flows,
        globals: global_order,
        secrets,
        warnings: diagnostics.items,
        shared,
    })
}

/// The prefixes, upper-cased as in error types (`APIKIT`), of the namespaces the files declare
/// (`xmlns:apikit="..."`) for connectors flowrun lacks. An app may handle such a connector's
/// errors without using any of its elements (a global handler kept after the router went):
/// the connector is in its build, so Mule knows the types, and flowrun cannot check them.
fn declared_connector_prefixes(
    sources: &SourceMap,
    file_ids: &[FileId],
    registry: &Registry,
) -> BTreeSet<String> {
    let mut prefixes = BTreeSet::new();
    for &file_id in file_ids {
        let text = &sources.file(file_id).text;
        for (idx, _) in text.match_indices("xmlns:") {
            let rest = &text[idx + "xmlns:".len()..];
            let Some((prefix, rest)) = rest.split_once('=') else { continue };
            let rest = rest.trim_start();
            let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                continue;
            };
            let Some((uri, _)) = rest[1..].split_once(quote) else { continue };
            if uri != ns::XSI && check::is_unsupported_namespace(uri, registry) {
                prefixes.insert(prefix.trim().to_ascii_uppercase());
            }
        }
    }
    prefixes
}

fn check_unique_name(
    names: &mut BTreeMap<String, Span>,
    name: &str,
    span: Span,
    sources: &SourceMap,
    diagnostics: &mut Diagnostics,
) {
    if let Some(first) = names.get(name) {
        diagnostics.push(
            Diagnostic::error(span, format!("duplicate global name `{name}`"))
                .with_note(format!("first declared at {}", sources.location(*first)))
                .with_note(
                    "names of flows and global elements must be unique across the app's files",
                ),
        );
    } else {
        names.insert(name.to_owned(), span);
    }
}

#[allow(clippy::too_many_arguments, reason = "one call site; the arguments are the loader's state")]
fn collect_property_sources(
    roots: &[Element],
    registry: &Registry,
    properties: &mut Properties,
    secrets: &SecretStore,
    search_path: &SearchPath,
    app_name: &str,
    diagnostics: &mut Diagnostics,
    no_globals: &BTreeMap<String, BuiltGlobal>,
) {
    // Global properties are the lowest-precedence defaults, but provider attributes such as
    // `file="${env}.yaml"` may use them, so they are gathered first.
    for element in roots.iter().flat_map(|root| &root.children) {
        if element.is(ns::CORE, "global-property")
            && let (Some(name), Some(value)) = (element.attr("name"), element.attr("value"))
        {
            properties.add_global(&name.raw, &value.raw);
        }
    }
    for element in roots.iter().flat_map(|root| &root.children) {
        if element.is(ns::CORE, "configuration-properties") {
            let Some(file_attr) = element.attr("file") else { continue };
            let file_name = match properties.resolve_bootstrap(&file_attr.raw) {
                Ok(resolved) => resolved.text,
                Err(err) => {
                    diagnostics.push(Diagnostic::error(file_attr.value_span, err.to_string()));
                    continue;
                }
            };
            let Some(path) = search_path.find(&file_name) else {
                diagnostics.push(missing_file(file_attr.value_span, &file_name, search_path));
                continue;
            };
            match ConfigurationProperties::load(&path) {
                Ok(provider) => properties.add_provider(Arc::new(provider)),
                Err(err) => {
                    diagnostics.push(Diagnostic::error(file_attr.value_span, err.to_string()))
                }
            }
            continue;
        }
        let Some(Kind::PropertyProvider(kind)) = registry.get(&element.ns, &element.name) else {
            continue;
        };
        let mut local = Diagnostics::default();
        check::check_element(element, kind.schema(), &mut local);
        if local.has_errors() {
            diagnostics.items.extend(local.items);
            continue;
        }
        let snapshot = properties.clone();
        let mut cx = BuildContext {
            diagnostics,
            globals: no_globals,
            properties: &snapshot,
            secrets,
            search_path,
            app_name,
            flow_name: None,
        };
        if let Some(provider) = kind.build(element, &mut cx) {
            properties.add_provider(provider);
        }
    }
}

/// A "file not found" error that says where flowrun looked.
pub fn missing_file(span: Span, name: &str, search_path: &SearchPath) -> Diagnostic {
    let dirs: Vec<String> = search_path.dirs.iter().map(|d| format!("`{}`", d.display())).collect();
    let diagnostic =
        Diagnostic::error(span, format!("file `{name}` not found")).with_note(format!(
            "looked in {}",
            if dirs.is_empty() { "the current folder".into() } else { dirs.join(", ") }
        ));
    // Studio on Windows writes `config\dev.yaml`; a Mule runtime on Linux (CloudHub) cannot
    // find that resource either, so say how to write it rather than guess.
    if !name.contains('\\') {
        return diagnostic;
    }
    diagnostic.with_note(format!(
        "`\\` is not a folder separator here; write `{}`",
        name.replace('\\', "/")
    ))
}

/// What [`resolve_placeholders`] works with.
struct Placeholders<'a> {
    registry: &'a Registry,
    properties: &'a Properties,
    /// Whether a property source failed to load, so that keys it would have defined are
    /// missing for that reason.
    sources_failed: bool,
    /// Values left unresolved; problems found in them later are follow-ons and are dropped.
    unresolved: &'a mut Vec<Span>,
    /// Why values were left unresolved, except where a property source failed (reported
    /// where it failed).
    errors: &'a mut Vec<Diagnostic>,
}

/// Replaces `${...}` in `element` and its descendants. Property sources are skipped (they
/// resolved their own attributes against the bootstrap sources; going over them again would
/// put a decryption key into plain text), and so are elements flowrun does not implement:
/// they are reported as unsupported, and the properties only they use add nothing to that.
fn resolve_placeholders(element: &mut Element, cx: &mut Placeholders<'_>) {
    let is_source = element.is(ns::CORE, "configuration-properties")
        || element.is(ns::CORE, "global-property")
        || matches!(cx.registry.get(&element.ns, &element.name), Some(Kind::PropertyProvider(_)));
    if is_source || check::unsupported_element(element, cx.registry).is_some() {
        return;
    }
    let values = element
        .attrs
        .iter_mut()
        .map(|a| (&mut a.value, &a.raw, &mut a.secret, a.value_span, &mut a.value_map, false));
    let text = element
        .text
        .as_mut()
        .map(|t| (&mut t.value, &t.raw, &mut t.secret, t.span, &mut t.value_map, true));
    for (value, raw, secret, span, value_map, from_first_char) in values.chain(text) {
        if !raw.contains("${") {
            continue;
        }
        match cx.properties.resolve(raw) {
            Ok(resolved) => {
                // Places found in the value go back through the placeholders, then the
                // entities. A text's map counts from its first non-blank character.
                let lead = if from_first_char { raw.len() - raw.trim_start().len() } else { 0 };
                let mut placeholders = crate::diag::OffsetMap::default();
                for &(start, text_len, written_len) in &resolved.replaced {
                    placeholders.push_atom(start.saturating_sub(lead), text_len, written_len);
                }
                *value_map = placeholders.then(std::mem::take(value_map));
                *value = resolved.text;
                *secret = resolved.secret;
            }
            Err(crate::props::ResolveError::NotFound { .. }) if cx.sources_failed => {
                cx.unresolved.push(span)
            }
            Err(err) => {
                cx.unresolved.push(span);
                cx.errors.push(Diagnostic::error(span, err.to_string()));
            }
        }
    }
    for child in &mut element.children {
        resolve_placeholders(child, cx);
    }
}

fn build_flow(
    element: &Element,
    registry: &Registry,
    builder: &mut ChainBuilder<'_>,
    cx: &mut BuildContext<'_>,
) -> Option<Flow> {
    let name = element.attr_value("name")?.to_owned();
    let kind = if &*element.name == "sub-flow" { FlowKind::SubFlow } else { FlowKind::Flow };
    let mut source = None;
    let mut body = &element.children[..];
    let mut ok = true;
    if let Some(first) = element.children.first()
        && let Some(Kind::Source(source_kind)) = registry.get(&first.ns, &first.name)
    {
        source = source_kind.build(first, cx);
        ok &= source.is_some();
        body = &element.children[1..];
    }
    let (steps, handler) = scopes::split_handler(body);
    let chain = builder.chain(steps, &name, cx);
    let error_handler = match handler {
        Some(handler) => {
            let built = builder.error_handler(handler, &format!("{name}/errorHandler"), cx);
            ok &= built.is_some();
            built
        }
        None => None,
    };
    let starts = match element.attr("initialState") {
        None => true,
        Some(attr) => match attr.value.trim() {
            "started" => true,
            "stopped" => false,
            other => {
                cx.error(
                    attr.value_span,
                    format!("`initialState` must be `started` or `stopped`, not `{other}`"),
                );
                ok = false;
                true
            }
        },
    };
    let max_concurrency = match element.attr("maxConcurrency") {
        None => None,
        Some(attr) => {
            let permits = scopes::positive_number(attr, cx);
            ok &= permits.is_some();
            permits.map(|n| Arc::new(tokio::sync::Semaphore::new(n)))
        }
    };
    let chain = chain?;
    ok.then_some(Flow { name, kind, source, chain, error_handler, starts, max_concurrency })
}
