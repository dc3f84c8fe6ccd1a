//! Start-up: one sequence, whichever order Finesse fills `finesse.gadget.Config` in
//! (at script load, as Finesse 10.x does, or only at the hub's `onConnect`, as Cisco's
//! 11.x+ samples read it). Each step starts as soon as what it needs is there:
//!
//! 1. [`boot`] (before the first render): claims gadget.xml's tab lock request, loads
//!    the configuration (its `config.json` request was started by the page itself),
//!    opens the broker's WebSocket and reads the SIP instance id.
//! 2. [`run`]: reads the agent's identity from Config once (now, or after `onConnect`
//!    if Config is still empty), before `ClientServices.init` rewrites Config.
//! 3. A mobile agent's phone starts from Config's WebRTC number at once (lock, broker
//!    sign-in, REGISTER: `phone.rs`), while Finesse loads the User.
//! 4. Once the hub is connected: `ClientServices.init`, the User (`finesse/`); the
//!    store's reactions then keep the phone in line with what the User says.
//!
//! The first render waits for registration's outcome, at most
//! [`FIRST_RENDER_WAIT_MS`], when the phone started in step 3 before it; otherwise it
//! goes ahead at once ("Starting").

use std::rc::Rc;

use ttecphone_components::config::GadgetConfig;
use ttecphone_components::store::{Action, ConfigProblem, Registration};

use super::outlet::{self, report};
use super::phone::Phones;
use crate::finesse::{self, Identity};
use crate::transport::{self, Connection};
use crate::{clock, config_source, storage, tab_lock};

/// How long the first render waits for the phone's registration outcome at most: the
/// bar then shows "Connecting" instead. Rendering is a long task on the main thread
/// that would otherwise sit between the tab lock and the REGISTER.
const FIRST_RENDER_WAIT_MS: u32 = 200;

/// Step 1, before the first render (called by `main`); spawns [`run`] and returns once
/// the bar may render.
pub async fn boot() -> Phones {
    clock::mark("boot");
    // gadget.xml asked for the tab lock, named from the `id` pref, while the wasm
    // compiled. Claimed now whatever Config says: the phone takes it over once it knows
    // the agent, and a page without a phone gives it back (never held for nobody).
    let page_lock = tab_lock::take_page_request();
    let config = config_source::load().await.map(Rc::new);
    clock::mark("config");
    let early = config
        .as_ref()
        .ok()
        .and_then(|c| Connection::open_early(&c.ws_url).ok());
    // The REGISTER needs the instance id: read (or made) now, not between the lock and
    // the REGISTER. gadget.xml touched localStorage already, so the storage area is
    // loaded and this read does not wait on the browser process.
    let _ = storage::instance_id();
    clock::mark("storage");
    let phones = Phones::new(config.as_ref().ok().cloned(), early, page_lock);
    let settled = outlet::hold();
    wasm_bindgen_futures::spawn_local(run(config, phones.clone()));
    // Whichever comes first: the outcome (see `outlet::report`) or the end of the wait.
    gloo::timers::callback::Timeout::new(FIRST_RENDER_WAIT_MS, outlet::settle).forget();
    let _ = settled.await;
    phones
}

/// Steps 2-4 (see the module doc).
async fn run(config: Result<Rc<GadgetConfig>, Vec<ConfigProblem>>, phones: Phones) {
    let config = match config {
        Ok(config) => config,
        Err(problems) => {
            phones.none();
            transport::close_page_socket();
            report(Action::ConfigInvalid(problems));
            outlet::settle();
            return;
        }
    };
    report(Action::Configured {
        auto_answer: config.auto_answer.clone(),
        dev_features: config.dev_features,
        routing: config.routing,
    });
    // Step 2: who the agent is, from Config as it is now, else once the hub connected.
    let identity = match Identity::read() {
        Some(identity) => identity,
        None => {
            outlet::settle(); // render "Starting" while Finesse connects
            finesse::hub_connected().await;
            clock::mark("hub");
            match identity_after_connect().await {
                Some(identity) => identity,
                None => return no_finesse(&phones),
            }
        }
    };
    phones.set_identity(identity.clone());
    // Step 3: a mobile agent's phone, from Config's WebRTC number.
    match identity.mobile_number() {
        Some(number) => phones.want(&Ok(Some((number.into(), config.preview_mode))), false),
        None => outlet::settle(), // the phone waits for the User
    }
    // Step 4: finesse.js's services are used only once the hub is connected.
    finesse::hub_connected().await;
    clock::mark("hub");
    if !finesse::available() {
        return no_finesse(&phones);
    }
    finesse::watch_user(
        &identity,
        Bridge,
        config.number_rule.clone(),
        config.preview_mode,
    );
}

/// Config read after `onConnect`: if Finesse fills it a moment later than the hub's
/// callback, it is read again every 100 ms for up to 3 s.
async fn identity_after_connect() -> Option<Identity> {
    for _ in 0..30 {
        if let Some(identity) = Identity::read() {
            return Some(identity);
        }
        if !finesse::available() {
            return None;
        }
        gloo::timers::future::TimeoutFuture::new(100).await;
    }
    Identity::read()
}

/// Not inside Finesse, or Finesse named no agent: nothing registers.
fn no_finesse(phones: &Phones) {
    phones.none();
    report(Action::Registration(if finesse::available() {
        Registration::Failed {
            reason:
                "Finesse did not say which agent is signed in (finesse.gadget.Config.id is empty)."
                    .into(),
        }
    } else {
        Registration::Unregistered {
            reason: "Finesse is not available: open the phone from the Finesse desktop.".into(),
        }
    }));
}

/// The Finesse bridge's reports go where the phone's go (see `outlet`).
struct Bridge;

impl finesse::Sink for Bridge {
    fn dispatch(&self, action: Action) {
        if matches!(action, Action::AgentLoaded(_)) {
            clock::mark("user");
        }
        report(action);
    }

    fn trace(&self, text: String) {
        outlet::trace(text);
    }
}
