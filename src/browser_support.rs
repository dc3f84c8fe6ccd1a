//! The start-up browser check: what a too-old browser lacks, in plain words in the bar
//! (`Problem::BrowserUnsupported`, `Problem::SpeakerChoiceUnavailable`). WebAssembly is
//! implied by this code running; gadget.xml itself names the supported browsers when it
//! is missing. Every look-up goes through `Reflect`: an API that does not exist is
//! `undefined`, never a thrown error.

use js_sys::Reflect;
use ttecphone_components::store::{Action, BrowserGap};
use wasm_bindgen::JsValue;

/// `target[name]` exists and is not `undefined`/`null`.
fn present(target: &JsValue, name: &str) -> Option<JsValue> {
    Reflect::get(target, &name.into())
        .ok()
        .filter(|value| !value.is_undefined() && !value.is_null())
}

/// What this browser lacks, as the store takes it.
pub fn check() -> Action {
    let global = js_sys::global();
    let navigator = present(&global, "navigator").unwrap_or(JsValue::UNDEFINED);
    let microphone = present(&navigator, "mediaDevices")
        .and_then(|devices| present(&devices, "getUserMedia"))
        .is_some();
    let gaps = [
        (
            present(&global, "RTCPeerConnection").is_some(),
            BrowserGap::WebRtc,
        ),
        (microphone, BrowserGap::Microphone),
        (present(&navigator, "locks").is_some(), BrowserGap::TabLocks),
        (
            crate::devices::speaker_selectable(),
            BrowserGap::SpeakerChoice,
        ),
    ];
    let missing: Vec<BrowserGap> = gaps
        .into_iter()
        .filter(|(has, _)| !has)
        .map(|(_, gap)| gap)
        .collect();
    for gap in &missing {
        gloo::console::warn!("TTECPhone: this browser lacks", gap.words());
    }
    Action::BrowserChecked(missing)
}
