//! Loads the three configuration layers in the browser and hands them to
//! `components::config` for merging and validation.

use gloo::net::http::Request;
use ttecphone_components::config::{ConfigBuilder, GadgetConfig, KEYS};
use ttecphone_components::store::ConfigProblem;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::finesse;

include!(concat!(env!("OUT_DIR"), "/env_defaults.rs"));

/// Where the gadget's files are served from on the Finesse server.
pub const DEFAULT_BASE: &str = "/3rdpartygadget/files/TTECPhone/";

/// The gadget's base path: `window.TTEC.base` (set by gadget.xml / gadget.html) or the default.
pub fn base_path() -> String {
    crate::page::object()
        .and_then(|ttec| js_sys::Reflect::get(&ttec, &"base".into()).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| DEFAULT_BASE.to_string())
}

/// The `config.json` request gadget.xml / gadget.html started at the top of the page
/// (`window.TTEC.config`, a `fetch` promise), taken once; `None` if there is none.
fn prefetched_config() -> Option<js_sys::Promise> {
    let ttec = crate::page::object()?;
    let started = js_sys::Reflect::get(&ttec, &"config".into()).ok()?;
    let _ =
        js_sys::Reflect::delete_property(ttec.unchecked_ref::<js_sys::Object>(), &"config".into());
    started.dyn_into::<js_sys::Promise>().ok()
}

/// The browser's words for a failed request. (Not gloo's `Display`: it formats every
/// variant, JSON errors included, and that code would ship for this one message.)
fn fetch_error(error: gloo::net::Error) -> String {
    match error {
        gloo::net::Error::JsError(js) => js.message,
        gloo::net::Error::GlooError(text) => text,
        _ => "unexpected answer".into(),
    }
}

/// `config.json` beside gadget.xml: Ok(None) when there is none (404).
async fn fetch_config_json(base: &str) -> Result<Option<String>, String> {
    let url = format!("{base}config.json");
    let response = match prefetched_config() {
        Some(started) => JsFuture::from(started)
            .await
            .ok()
            .and_then(|r| r.dyn_into::<web_sys::Response>().ok())
            .map(gloo::net::http::Response::from),
        None => None,
    };
    let response = match response {
        Some(response) => response,
        // No early request (or it failed): ask now, so the error names the reason.
        None => Request::get(&url)
            .cache(web_sys::RequestCache::NoCache)
            .send()
            .await
            .map_err(|e| format!("could not be fetched from {url} ({})", fetch_error(e)))?,
    };
    match response.status() {
        200 => response
            .text()
            .await
            .map(Some)
            .map_err(|e| format!("could not be read ({})", fetch_error(e))),
        404 => Ok(None),
        status => Err(format!("could not be fetched from {url} (HTTP {status})")),
    }
}

/// URL parameters: Finesse user prefs inside the container, the page's query string otherwise.
fn url_parameters() -> Vec<(String, String)> {
    let prefs = finesse::user_prefs(KEYS);
    if !prefs.is_empty() {
        return prefs;
    }
    let Some(search) = web_sys::window().and_then(|w| w.location().search().ok()) else {
        return Vec::new();
    };
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else {
        return Vec::new();
    };
    KEYS.iter()
        .filter_map(|key| params.get(key).map(|v| ((*key).to_string(), v)))
        .collect()
}

/// All layers, merged and validated.
pub async fn load() -> Result<GadgetConfig, Vec<ConfigProblem>> {
    let mut builder = ConfigBuilder::default().with_env_defaults(ENV_DEFAULTS.iter().copied());
    match fetch_config_json(&base_path()).await {
        Ok(Some(text)) => builder = builder.with_config_json(&text),
        Ok(None) => {}
        Err(message) => {
            return Err(vec![ConfigProblem {
                key: "config.json".into(),
                message,
            }])
        }
    }
    let params = url_parameters();
    builder
        .with_url_parameters(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .finish()
}
