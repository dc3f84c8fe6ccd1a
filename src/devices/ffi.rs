//! Every `#[wasm_bindgen] extern` binding of the audio-devices edge (APIs that
//! web-sys only exposes behind `web_sys_unstable_apis`), in one place.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `HTMLMediaElement` as far as output selection goes.
    #[wasm_bindgen(js_name = HTMLMediaElement)]
    pub type SinkElement;

    /// `element.setSinkId(id)` (Chrome, Edge, Firefox 116+): `""` is the default device.
    #[wasm_bindgen(method, catch, js_name = setSinkId)]
    pub fn set_sink_id(this: &SinkElement, id: &str) -> Result<js_sys::Promise, JsValue>;

    /// `navigator.clipboard`
    pub type Clipboard;
    #[wasm_bindgen(method, catch, js_name = writeText)]
    pub fn write_text(this: &Clipboard, text: &str) -> Result<js_sys::Promise, JsValue>;
}
