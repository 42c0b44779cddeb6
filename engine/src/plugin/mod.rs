//! The step interface: how steps, sources, connector configurations and property providers
//! plug into the engine.
//!
//! Each kind of XML element flowrun understands is described by a type that implements
//! [`Component`] (its namespace, name, summary and [`Schema`]) plus one of the building traits:
//! [`GlobalKind`] for top-level configurations such as `http:request-config`, [`SourceKind`]
//! for what starts a flow (`http:listener`), [`ProcessorKind`] for the steps of a flow
//! (`set-variable`, `http:request`), and [`PropertyProviderKind`] for property sources such as
//! `secure-properties:config`. The [`Registry`] lists them; the loader checks each element
//! against its kind's schema before asking the kind to build it, so builders can rely on
//! required attributes being present and no unknown attribute or child being there.
//!
//! At run time a [`Processor`] receives an [`Event`] and returns the next one. The event is
//! plain data (values, media types, variables), which is what lets WebAssembly steps implement
//! the same interface through a host adapter: they receive the event serialised and return
//! the new one.

pub(crate) mod build;

use std::any::Any;
use std::sync::Arc;

use futures::future::BoxFuture;

pub use build::BuildContext;

use crate::event::{Event, MuleError};
use crate::props::{PropertyLookup, PropertyProvider};
use crate::runtime::FlowRunner;

/// The attributes and children an element accepts.
#[derive(Debug)]
pub struct Schema {
    /// Attributes without a namespace prefix. `doc:*` and `xsi:*` attributes are always allowed.
    pub attributes: &'static [AttrSpec],
    /// Child elements.
    pub children: &'static [ChildSpec],
    /// Whether the element may contain text (an expression body, for instance).
    pub text: bool,
}

impl Schema {
    /// A schema with no attributes, children or text.
    pub const EMPTY: Schema = Schema { attributes: &[], children: &[], text: false };
}

/// One attribute of a [`Schema`].
#[derive(Debug)]
pub struct AttrSpec {
    /// The attribute's name.
    pub name: &'static str,
    /// Whether loading fails without it.
    pub required: bool,
}

impl AttrSpec {
    /// A required attribute.
    pub const fn required(name: &'static str) -> AttrSpec {
        AttrSpec { name, required: true }
    }

    /// An optional attribute.
    pub const fn optional(name: &'static str) -> AttrSpec {
        AttrSpec { name, required: false }
    }
}

/// One child element of a [`Schema`].
#[derive(Debug)]
pub struct ChildSpec {
    /// Namespace URI of the child.
    pub ns: &'static str,
    /// Local name of the child.
    pub name: &'static str,
    /// What the child itself accepts.
    pub schema: &'static Schema,
    /// Whether loading fails without it.
    pub required: bool,
}

/// What every element kind declares about itself.
pub trait Component: Send + Sync {
    /// Namespace URI of the element, such as [`crate::xml::ns::HTTP`].
    fn namespace(&self) -> &'static str;

    /// Local name of the element, such as `request`.
    fn name(&self) -> &'static str;

    /// One line on what the element does, for `--help` style listings.
    fn summary(&self) -> &'static str;

    /// The attributes and children it accepts.
    fn schema(&self) -> &'static Schema;
}

/// Implements [`Component`] for an element kind from its namespace, local name, one-line
/// summary and schema, which is all the trait asks for:
///
/// ```text
/// flowrun_engine::component!(LoggerKind, ns::CORE, "logger", "logs a message", &LOGGER);
/// ```
#[macro_export]
macro_rules! component {
    ($kind:ty, $ns:expr, $name:expr, $summary:expr, $schema:expr $(,)?) => {
        impl $crate::plugin::Component for $kind {
            fn namespace(&self) -> &'static str {
                $ns
            }

            fn name(&self) -> &'static str {
                $name
            }

            fn summary(&self) -> &'static str {
                $summary
            }

            fn schema(&self) -> &'static $crate::plugin::Schema {
                $schema
            }
        }
    };
}

/// A top-level configuration element referred to by name (`config-ref`).
pub trait GlobalKind: Component {
    /// Builds the configuration. Problems go to `cx`; `None` means the element is unusable.
    fn build(
        &self,
        element: &crate::xml::Element,
        cx: &mut BuildContext<'_>,
    ) -> Option<GlobalHandle>;
}

/// An element that starts a flow, such as `http:listener`.
pub trait SourceKind: Component {
    /// Builds the source. Problems go to `cx`.
    fn build(
        &self,
        element: &crate::xml::Element,
        cx: &mut BuildContext<'_>,
    ) -> Option<Arc<dyn Source>>;
}

/// A step of a flow, such as `set-variable`.
pub trait ProcessorKind: Component {
    /// Builds the step. Problems go to `cx`.
    fn build(
        &self,
        element: &crate::xml::Element,
        cx: &mut BuildContext<'_>,
    ) -> Option<Arc<dyn Processor>>;
}

/// A top-level element that supplies properties, such as `secure-properties:config`.
///
/// Providers are built before placeholders are replaced elsewhere, so their own attributes
/// hold raw text; use [`BuildContext::bootstrap_attr`] to resolve `${...}` in them against
/// system properties, the environment and global properties, as Mule does.
pub trait PropertyProviderKind: Component {
    /// Builds the provider. Problems go to `cx`.
    fn build(
        &self,
        element: &crate::xml::Element,
        cx: &mut BuildContext<'_>,
    ) -> Option<Arc<dyn PropertyProvider>>;
}

/// One element kind in the [`Registry`].
pub enum Kind {
    /// A configuration.
    Global(Box<dyn GlobalKind>),
    /// A flow source.
    Source(Box<dyn SourceKind>),
    /// A flow step.
    Processor(Box<dyn ProcessorKind>),
    /// A property source.
    PropertyProvider(Box<dyn PropertyProviderKind>),
}

impl Kind {
    /// The kind's description.
    pub fn component(&self) -> &dyn Component {
        match self {
            Kind::Global(kind) => kind.as_ref(),
            Kind::Source(kind) => kind.as_ref(),
            Kind::Processor(kind) => kind.as_ref(),
            Kind::PropertyProvider(kind) => kind.as_ref(),
        }
    }
}

/// Every element kind the loader knows.
#[derive(Default)]
pub struct Registry {
    kinds: Vec<Kind>,
    error_types: Vec<(&'static str, &'static [&'static str])>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Adds a kind. A later kind with the same namespace and name replaces an earlier one.
    pub fn add(&mut self, kind: Kind) {
        let component = kind.component();
        let key = (component.namespace(), component.name());
        self.kinds.retain(|k| (k.component().namespace(), k.component().name()) != key);
        self.kinds.push(kind);
    }

    /// The kind for an element, if registered.
    pub fn get(&self, ns: &str, name: &str) -> Option<&Kind> {
        self.kinds.iter().find(|k| k.component().namespace() == ns && k.component().name() == name)
    }

    /// All registered kinds.
    pub fn kinds(&self) -> &[Kind] {
        &self.kinds
    }

    /// Declares the error types a connector raises, such as `HTTP` with `NOT_FOUND`, so that
    /// error handlers may name them. Apps may not raise errors in such a namespace themselves.
    pub fn add_error_types(
        &mut self,
        namespace: &'static str,
        identifiers: &'static [&'static str],
    ) {
        self.error_types.push((namespace, identifiers));
    }

    /// The declared connector error types, by namespace.
    pub fn error_types(&self) -> &[(&'static str, &'static [&'static str])] {
        &self.error_types
    }
}

/// A built configuration: the object itself, for plugins that look it up by type, and its
/// lifecycle, for the runtime.
#[derive(Clone)]
pub struct GlobalHandle {
    /// The configuration object, downcast by [`BuildContext::config`].
    pub object: Arc<dyn Any + Send + Sync>,
    /// Start and stop hooks.
    pub lifecycle: Arc<dyn Global>,
}

impl GlobalHandle {
    /// Wraps a configuration object.
    pub fn new<T: Global + 'static>(global: T) -> GlobalHandle {
        let global = Arc::new(global);
        GlobalHandle { object: global.clone(), lifecycle: global }
    }
}

/// Lifecycle of a configuration: servers start after every flow's source registered itself,
/// and stop gracefully.
pub trait Global: Any + Send + Sync {
    /// Starts whatever the configuration runs, such as a listening socket.
    fn start(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }

    /// Stops accepting new work and waits for work in flight.
    fn stop(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// What starts a flow.
pub trait Source: Send + Sync {
    /// Connects the source to its flow, before configurations start.
    ///
    /// # Errors
    ///
    /// A message saying why the source cannot run (such as a path already taken).
    fn register(&self, flow: FlowRunner) -> Result<(), String>;

    /// Starts triggering the flow, after every configuration started. Sources driven by a
    /// configuration's server (the HTTP listener) need nothing here; sources that trigger
    /// flows themselves (the scheduler) start their timers.
    ///
    /// # Errors
    ///
    /// A message saying why the source cannot start.
    fn start(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }

    /// Stops triggering the flow and waits for the runs it started, before configurations
    /// stop.
    fn stop(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// A step of a flow.
pub trait Processor: Send + Sync {
    /// Runs the step on an event, changing it in place.
    ///
    /// On error the step must leave the event as it found it: Mule's error handling sees the
    /// event as it was when the failing step started. Steps therefore compute first and
    /// change the event last.
    fn process<'a>(
        &'a self,
        event: &'a mut Event,
        cx: &'a StepContext<'a>,
    ) -> BoxFuture<'a, Result<(), MuleError>>;
}

/// What a step can see of where it runs.
pub struct StepContext<'a> {
    /// The app's name.
    pub app_name: &'a str,
    /// The flow's name.
    pub flow_name: &'a str,
    /// Mule's processor path, `flow/processors/N`.
    pub processor_path: &'a str,
    /// The app's properties, for `p()` in expressions.
    pub properties: &'a dyn PropertyLookup,
}
