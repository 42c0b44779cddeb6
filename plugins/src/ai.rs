//! The AI connector's configuration: `ai:config` with an `ai:openai-connection`.
//!
//! The API key resolves when the app loads. When it is written as exactly one
//! `${secure::name}` placeholder, the configuration keeps a live reference into the app's
//! secret store instead of a copy, so a rotated key is used from the next request on,
//! without a restart. The operations that call the provider come in a later version.

use std::sync::Arc;

use flowrun_engine::plugin::{
    AttrSpec, BuildContext, ChildSpec, Global, GlobalHandle, GlobalKind, Kind, Registry, Schema,
};
use flowrun_engine::secret::{Secret, SecretRef};
use flowrun_engine::xml::Element;

/// Namespace URI of the AI connector (`xmlns:ai`).
pub const NS: &str = flowrun_engine::xml::ns::AI;

/// Adds the AI connector's elements to a registry.
pub fn register(registry: &mut Registry) {
    registry.add(Kind::Global(Box::new(AiConfigKind)));
}

/// Where an API key comes from.
#[derive(Clone, Debug)]
pub enum ApiKey {
    /// A live secret: each read sees the current value of the secret store.
    Live(SecretRef),
    /// A value fixed when the app loaded (a literal or a composed placeholder text).
    Fixed(Secret),
}

impl ApiKey {
    /// The key to use now.
    pub fn current(&self) -> Secret {
        match self {
            ApiKey::Live(reference) => reference.get(),
            ApiKey::Fixed(secret) => secret.clone(),
        }
    }
}

/// A loaded `ai:config`.
#[derive(Debug)]
pub struct AiConfig {
    /// The configuration's name.
    pub name: String,
    /// The provider connection.
    pub connection: Connection,
}

/// The provider an `ai:config` talks to.
#[derive(Debug)]
pub enum Connection {
    /// OpenAI's API.
    OpenAi {
        /// The API key.
        api_key: ApiKey,
        /// Base URL of the API, `https://api.openai.com/v1` unless set.
        base_url: String,
        /// Default model, if set.
        model: Option<String>,
    },
}

impl Global for AiConfig {}

struct AiConfigKind;

static OPENAI_CONNECTION: Schema = Schema {
    attributes: &[
        AttrSpec::required("apiKey"),
        AttrSpec::optional("baseUrl"),
        AttrSpec::optional("model"),
    ],
    children: &[],
    text: false,
};

static AI_CONFIG: Schema = Schema {
    attributes: &[AttrSpec::required("name")],
    children: &[ChildSpec {
        ns: NS,
        name: "openai-connection",
        schema: &OPENAI_CONNECTION,
        required: true,
    }],
    text: false,
};

flowrun_engine::component!(
    AiConfigKind,
    NS,
    "config",
    "connection settings for an AI provider, with its API key",
    &AI_CONFIG
);

impl GlobalKind for AiConfigKind {
    fn build(&self, element: &Element, cx: &mut BuildContext<'_>) -> Option<GlobalHandle> {
        let name = element.attr_value("name")?.to_owned();
        let connection = element.child(NS, "openai-connection")?;
        let key_attr = connection.attr("apiKey")?;
        let api_key = match cx.secret_attr(key_attr) {
            Some(reference) => ApiKey::Live(reference),
            None => ApiKey::Fixed(Secret::new(key_attr.value.clone())),
        };
        if api_key.current().expose().is_empty() {
            cx.error(key_attr.value_span, format!("`apiKey` of `{name}` is empty"));
            return None;
        }
        let base_url =
            connection.attr_value("baseUrl").unwrap_or("https://api.openai.com/v1").to_owned();
        let model = connection.attr_value("model").map(str::to_owned);
        let connection = Connection::OpenAi { api_key, base_url, model };
        Some(GlobalHandle::new(AiConfig { name, connection }))
    }
}

/// The API key of the named `ai:config`, if the app has one; for tests and diagnostics.
pub fn config_of(handle: &GlobalHandle) -> Option<Arc<AiConfig>> {
    handle.object.clone().downcast::<AiConfig>().ok()
}

#[cfg(test)]
mod tests {
    use flowrun_engine::model::{LoadOptions, load_str};
    use flowrun_engine::secret::Secret;

    #[test]
    fn api_key_follows_the_secret_store() {
        let dir = std::env::temp_dir().join(format!("flowrun-ai-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("s.yaml"), "ai:\n  key: \"sk-first\"\n").expect("write");
        let app = r#"<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:secure-properties="http://www.mulesoft.org/schema/mule/secure-properties"
      xmlns:ai="http://www.mulesoft.org/schema/mule/ai">
  <secure-properties:config name="S" file="s.yaml" key="MyEncryptionKey1">
    <secure-properties:encrypt/>
  </secure-properties:config>
  <ai:config name="AI"><ai:openai-connection apiKey="${secure::ai.key}"/></ai:config>
  <ai:config name="Fixed"><ai:openai-connection apiKey="prefix-${secure::ai.key}"/></ai:config>
</mule>"#;
        let loaded =
            load_str(&dir.join("app.xml"), app, &crate::registry(), &LoadOptions::default());
        let _ = std::fs::remove_dir_all(&dir);
        let loaded = loaded.expect("loads");
        let config = |name: &str| {
            let (_, handle) = loaded.globals.iter().find(|(n, _)| n == name).expect("config");
            super::config_of(handle).expect("an ai:config")
        };
        let key = |name: &str| match &config(name).connection {
            super::Connection::OpenAi { api_key, .. } => api_key.current().expose().to_owned(),
        };
        assert_eq!(key("AI"), "sk-first");
        loaded.secrets.set("ai.key", Secret::new("sk-rotated"));
        assert_eq!(key("AI"), "sk-rotated", "a live reference sees the rotated key");
        assert_eq!(key("Fixed"), "prefix-sk-first", "composed values are fixed at load");
        assert!(!format!("{:?}", config("AI")).contains("sk-"), "Debug never shows the key");
    }
}
