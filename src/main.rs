//! TTECPhone: an auto-answer WebRTC phone gadget for Cisco Finesse.
//!
//! `ttecphone_sip` is the sans-IO SIP core; this crate holds the edges around
//! it (finesse.js bridge, configuration sources, and — as they land — the
//! WebSocket transport, WebRTC media and broker login) and the app root that
//! feeds the one store in `ttecphone_components`.

mod app;
mod broker;
mod browser_support;
mod clock;
mod config_source;
mod deadline;
mod devices;
mod driver;
mod finesse;
mod media;
mod page;
mod random;
mod storage;
mod tab_lock;
mod team_quality;
mod transport;

fn main() {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("ttecphone"))
    else {
        return;
    };
    // `gadget.html#gallery`: every state of the bar, read-only, nothing started
    // (for the screenshots and for QA; no network, no microphone).
    let gallery = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .is_some_and(|hash| hash == "#gallery");
    if gallery {
        yew::Renderer::<GalleryPage>::with_root(root).render();
    } else {
        // Start-up first (see `app::boot`: configuration, the broker socket, the phone
        // when Config already names the agent), then the bar.
        wasm_bindgen_futures::spawn_local(async move {
            let phones = app::boot().await;
            app::report(browser_support::check());
            yew::Renderer::<app::App>::with_root_and_props(root, app::AppProps { phones }).render();
        });
    }
}

#[yew::function_component(GalleryPage)]
fn gallery_page() -> yew::Html {
    use ttecphone_components::gallery::{gallery, samples, GalleryProps};
    gallery(&GalleryProps {
        items: samples(),
        commands: Default::default(),
    })
}
