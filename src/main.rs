//! TTECPhone: an auto-answer WebRTC phone gadget for Cisco Finesse.
//!
//! `ttecphone_sip` is the sans-IO SIP core; this crate holds the edges around
//! it (finesse.js bridge, configuration sources, and — as they land — the
//! WebSocket transport, WebRTC media and broker login) and the app root that
//! feeds the one store in `ttecphone_components`.

mod app;
mod broker;
mod clock;
mod config_source;
mod driver;
mod finesse;
mod media;
mod random;
mod storage;
mod tab_lock;
mod transport;

fn main() {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("ttecphone"))
    else {
        return;
    };
    yew::Renderer::<app::App>::with_root(root).render();
}
