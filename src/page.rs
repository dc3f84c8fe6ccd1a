//! `window.TTEC`: the object gadget.xml's (and gadget.html's) first script sets up for
//! the wasm: the files' `base` path, the `config.json` request, the early WebSocket and
//! tab lock, the hub and finesse.js promises. The edges that take something from it
//! find it here.

use wasm_bindgen::JsValue;

/// `window.TTEC`, if the page set it up.
pub fn object() -> Option<JsValue> {
    js_sys::Reflect::get(&js_sys::global(), &"TTEC".into())
        .ok()
        .filter(JsValue::is_object)
}
