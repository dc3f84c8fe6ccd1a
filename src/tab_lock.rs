//! One phone per agent per browser: a Web Lock (`navigator.locks`) named
//! after the Finesse agent id. Only the tab holding it registers and answers;
//! another Finesse tab or window waits, says so, and takes over the moment
//! the owner closes (the browser releases a lock when its page goes away).
//!
//! Granting a lock is a round trip to the browser process (5-40 ms on a busy
//! machine), so gadget.xml's first script asks for it (named from the gadget's `id`
//! pref, where finesse.js takes the agent id from) while the wasm compiles; the phone
//! then takes that request over ([`take_page_request`], [`acquire`]). All bindings of this
//! edge are here, apart from that script.

use futures::channel::oneshot;
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `navigator.locks` (LockManager).
    type LockManager;
    #[wasm_bindgen(method, catch)]
    fn request(
        this: &LockManager,
        name: &str,
        options: &Object,
        callback: &Function,
    ) -> Result<Promise, JsValue>;
}

/// Held while alive; dropping it releases the lock.
pub struct TabLock {
    release: Option<Function>,
}

impl Drop for TabLock {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            let _ = release.call0(&JsValue::NULL);
        }
    }
}

fn lock_manager() -> Option<LockManager> {
    let navigator = web_sys::window()?.navigator();
    let locks = Reflect::get(&navigator, &"locks".into()).ok()?;
    (!locks.is_undefined() && !locks.is_null()).then(|| locks.unchecked_into())
}

/// Requests the lock. `if_available`: give up at once (Ok(None)) if another tab holds it.
async fn request(
    manager: &LockManager,
    name: &str,
    if_available: bool,
) -> Result<Option<TabLock>, String> {
    let (granted_tx, granted_rx) = oneshot::channel::<Option<Function>>();
    let mut granted_tx = Some(granted_tx);
    let callback = Closure::once(move |lock: JsValue| -> JsValue {
        let Some(tx) = granted_tx.take() else {
            return JsValue::UNDEFINED;
        };
        if lock.is_null() {
            let _ = tx.send(None); // not available; the request ends here
            return JsValue::UNDEFINED;
        }
        // Hold the lock until the returned promise settles: its resolve is our release.
        let mut release = None;
        let held = Promise::new(&mut |resolve, _reject| release = Some(resolve));
        let _ = tx.send(release);
        held.into()
    });
    let options = Object::new();
    let _ = Reflect::set(&options, &"mode".into(), &"exclusive".into());
    let _ = Reflect::set(
        &options,
        &"ifAvailable".into(),
        &JsValue::from_bool(if_available),
    );
    // The returned promise settles when the lock is released again: nothing to wait for.
    let _released = manager
        .request(name, &options, callback.as_ref().unchecked_ref())
        .map_err(|_| "the browser refused the tab lock".to_string())?;
    // The callback runs once the lock is granted (or refused); keep it alive until then.
    let granted = granted_rx
        .await
        .map_err(|_| "the tab lock request was dropped".to_string())?;
    drop(callback);
    Ok(granted.map(|release| TabLock {
        release: Some(release),
    }))
}

fn lock_name(agent: &str) -> String {
    format!("ttecphone-agent-{agent}")
}

/// The lock request gadget.xml started ahead of the phone (see the module doc).
/// Dropping it gives the lock back, also when it is granted later.
pub struct Early {
    /// The lock's name: the phone uses the request only if it wants this one.
    name: String,
    /// The lock, or `None` when another tab held it.
    granted: oneshot::Receiver<Option<TabLock>>,
}

/// Claims the request gadget.xml made (`window.TTEC.lock`: its `name`, and `granted`,
/// a promise of the lock's release function, or null when another tab holds it),
/// whoever it is for; `None` if the page made none. Called once, at boot, whatever
/// `finesse.gadget.Config` says at that moment: a request nobody claimed would hold the
/// lock for nobody, and the phone's own request for the same name would wait forever
/// ("Phone active in another tab" with no other tab: issue 19). The phone takes the
/// claim over in [`acquire`]; a page with no phone drops it, which releases the lock.
pub fn take_page_request() -> Option<Early> {
    let page = crate::page::object()?;
    let lock = Reflect::get(&page, &"lock".into()).ok()?;
    let name = Reflect::get(&lock, &"name".into()).ok()?.as_string()?;
    let granted: Promise = Reflect::get(&lock, &"granted".into())
        .ok()?
        .dyn_into()
        .ok()?;
    // Taken once: a later phone of the page asks the browser itself.
    let _ = Reflect::set(&page, &"lock".into(), &JsValue::UNDEFINED);
    let (tx, rx) = oneshot::channel();
    wasm_bindgen_futures::spawn_local(async move {
        let release = wasm_bindgen_futures::JsFuture::from(granted).await;
        let lock = release.ok().and_then(|f| f.dyn_into::<Function>().ok());
        // If nobody waits any more, the lock inside is dropped, which releases it.
        let _ = tx.send(lock.map(|release| TabLock {
            release: Some(release),
        }));
    });
    Some(Early { name, granted: rx })
}

/// Waits until this tab owns the phone of `agent` (the Finesse agent id), using the
/// `early` request (see [`take_page_request`]) if it is for that agent (one for another
/// agent is given back first). Calls `on_wait` once if another tab
/// holds it first. Browsers without Web Locks (none we support) get no exclusion
/// rather than no phone.
pub async fn acquire(
    agent: &str,
    early: Option<Early>,
    on_wait: impl FnOnce(),
) -> Result<TabLock, String> {
    let Some(manager) = lock_manager() else {
        return Ok(TabLock { release: None });
    };
    let name = lock_name(agent);
    let first = match early.filter(|early| early.name == name) {
        Some(early) => early
            .granted
            .await
            .map_err(|_| "the tab lock request was dropped".to_string())?,
        None => request(&manager, &name, true).await?,
    };
    if let Some(lock) = first {
        return Ok(lock);
    }
    on_wait();
    request(&manager, &name, false)
        .await?
        .ok_or_else(|| "the tab lock was not granted".to_string())
}
