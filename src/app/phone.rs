//! The phone's lifecycle: which phone runs (one at a time, for one identity), and how
//! one starts: the tab lock, the broker sign-in (retried while the broker is
//! unreachable), then the driver around the SIP core.
//!
//! Start-up asks for a phone as soon as `finesse.gadget.Config` names a mobile agent's
//! WebRTC number; the store's reactions ask again whenever the Finesse User says who
//! should register (or that nobody should). Asking for the phone that runs already
//! changes nothing, so both orders of Finesse's start-up reach the same phone.

use std::cell::RefCell;
use std::rc::Rc;

use ttecphone_components::config::GadgetConfig;
use ttecphone_components::store::{Action, AgentState, PhoneState, Registration};
use ttecphone_sip::backoff;

use super::outlet::report;
use crate::driver::Driver;
use crate::finesse::Identity;
use crate::tab_lock::{self, TabLock};
use crate::transport::Connection;
use crate::{broker, clock, random};

/// Who should register now: a number (and whether as a supervisor's preview line),
/// nobody (and why), or not known yet (`Ok(None)`: keep what runs).
pub type Wanted = Result<Option<(String, bool)>, &'static str>;

/// Who the store says should register (see [`Wanted`]).
pub fn wanted(state: &PhoneState) -> Wanted {
    let agent = &state.agent;
    if agent.id.is_empty() {
        return Ok(None); // Finesse has not loaded the user yet
    }
    if state.board.active {
        // Preview: the supervisor's own SIP identity, never answering (see README).
        return match &agent.webrtc_number {
            Some(number) => Ok(Some((number.clone(), true))),
            None => Err("Preview: no SIP identity for you: your Finesse extension gives no number through webrtcNumberRule. Ask your administrator."),
        };
    }
    if agent.state == AgentState::Logout {
        return Err("Logged out of Finesse.");
    }
    match (&agent.webrtc_number, agent.mobile_agent) {
        (Some(number), true) => Ok(Some((number.clone(), false))),
        _ => Err("Not a WebRTC agent: log into Finesse as a mobile agent with your WebRTC number."),
    }
}

/// What runs while the agent is signed in: the driver and the broker session.
#[derive(Default)]
struct Phone {
    driver: Option<Driver>,
    /// Keeps the broker token fresh (wazo); its drop stops the refreshes.
    session: Option<broker::wazo::Keeper>,
    /// Makes this tab the only one with a phone for the agent; dropped last,
    /// after the driver has un-REGISTERed, so another tab takes over cleanly.
    _lock: Option<TabLock>,
}

#[derive(Default)]
struct Inner {
    config: Option<Rc<GadgetConfig>>,
    /// The agent, read once from `finesse.gadget.Config` (see [`Identity`]).
    identity: Option<Identity>,
    /// The WebSocket start-up opened, until a phone takes it.
    early: Option<Connection>,
    /// gadget.xml's tab lock request, until a phone takes it (or nobody will).
    page_lock: Option<tab_lock::Early>,
    /// The identity of the phone running or starting.
    running_for: Option<(String, bool)>,
    /// Bumped whenever the phone's identity changes: a start still in flight for an
    /// older one gives up.
    generation: u32,
    phone: Phone,
    /// Supervisor preview: the agents' numbers the board wants watched.
    watched: Vec<String>,
    /// The Finesse state as of the latest render, for a phone that starts later.
    agent_now: String,
}

/// The page's phone (at most one), shared by start-up and the app root.
#[derive(Clone, Default)]
pub struct Phones(Rc<RefCell<Inner>>);

impl PartialEq for Phones {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Phones {
    pub fn new(
        config: Option<Rc<GadgetConfig>>,
        early: Option<Connection>,
        page_lock: Option<tab_lock::Early>,
    ) -> Self {
        Self(Rc::new(RefCell::new(Inner {
            config,
            early,
            page_lock,
            agent_now: AgentState::Unknown.finesse_name().into(),
            ..Default::default()
        })))
    }

    /// The agent as start-up read it (once).
    pub fn set_identity(&self, identity: Identity) {
        self.0.borrow_mut().identity = Some(identity);
    }

    /// The page's configuration, when it loaded.
    pub fn config(&self) -> Option<Rc<GadgetConfig>> {
        self.0.borrow().config.clone()
    }

    /// The running phone's driver, if it has started.
    pub fn driver(&self) -> Option<Driver> {
        self.0.borrow().phone.driver.clone()
    }

    /// The Finesse state now, for a phone that starts later.
    pub fn set_agent_state(&self, name: &str) {
        name.clone_into(&mut self.0.borrow_mut().agent_now);
    }

    /// Supervisor preview: the numbers the board wants watched.
    pub fn watch(&self, numbers: Vec<String>) {
        self.0.borrow_mut().watched = numbers.clone();
        if let Some(driver) = self.driver() {
            driver.watch(numbers);
        }
    }

    /// No phone will run on this page: the early socket and the tab lock request go.
    pub fn none(&self) {
        let mut inner = self.0.borrow_mut();
        inner.early = None;
        inner.page_lock = None;
    }

    /// Stops the phone (un-REGISTER, Expires: 0), e.g. when the page closes.
    pub fn stop(&self, reason: &str) {
        let stopped = std::mem::take(&mut self.0.borrow_mut().phone);
        if let Some(driver) = stopped.driver {
            driver.shutdown(reason);
        }
    }

    /// Runs the phone `wanted` says (see [`Wanted`]): nothing changes if that one runs
    /// already. `logged_out`: the agent signed out of Finesse, so the broker session
    /// ends too.
    pub fn want(&self, wanted: &Wanted, logged_out: bool) {
        let current = self.0.borrow().running_for.clone();
        match wanted {
            Ok(None) => {}
            Ok(Some(id)) if current.as_ref() == Some(id) => {}
            Ok(Some((number, preview))) => {
                self.replace(Some((number.clone(), *preview)));
                let Some(config) = self.0.borrow().config.clone() else {
                    return;
                };
                let mine = self.0.borrow().generation;
                wasm_bindgen_futures::spawn_local(start(
                    self.clone(),
                    config,
                    number.clone(),
                    *preview,
                    mine,
                    false,
                ));
            }
            Err(reason) => {
                self.replace(None);
                self.none();
                if logged_out {
                    if let Some(config) = self.0.borrow().config.clone() {
                        broker::sign_out(&config);
                    }
                }
                report(Action::Registration(Registration::Unregistered {
                    reason: (*reason).into(),
                }));
            }
        }
    }

    /// The agent clicked "Sign in to the phone" (single sign-on that needs the agent):
    /// the phone that was wanted starts again, its sign-in opening the company's sign-in
    /// page in a window (the click allows it). While a phone runs, its broker session's
    /// renewal is what needed the agent: that sign-in is made the same way.
    pub fn sign_in_again(&self) {
        let (wanted, config, running) = {
            let inner = self.0.borrow();
            if let Some(session) = &inner.phone.session {
                session.sign_in_again();
            }
            (
                inner.running_for.clone(),
                inner.config.clone(),
                inner.phone.driver.is_some(),
            )
        };
        let (Some((number, preview)), Some(config), false) = (wanted, config, running) else {
            return;
        };
        let mine = {
            let mut inner = self.0.borrow_mut();
            inner.generation += 1;
            inner.generation
        };
        wasm_bindgen_futures::spawn_local(start(self.clone(), config, number, preview, mine, true));
    }

    /// The running phone (if any) stops; `next` is the identity starting now.
    fn replace(&self, next: Option<(String, bool)>) {
        let had = {
            let mut inner = self.0.borrow_mut();
            inner.generation += 1;
            std::mem::replace(&mut inner.running_for, next).is_some()
        };
        if had {
            self.stop("Phone stopped.");
        }
    }

    fn current(&self, mine: u32) -> bool {
        self.0.borrow().generation == mine
    }

    fn take_early(&self) -> Option<Connection> {
        self.0.borrow_mut().early.take()
    }
}

/// Takes the tab lock, signs into the broker (retrying with backoff while it is
/// unreachable) and starts the driver for `number`. `mine` is the generation it starts
/// for: it gives up once that moved on. `interactive`: started by the agent's click
/// (SSO: the first sign-in may open a window). Reports go through [`report`].
async fn start(
    phones: Phones,
    config: Rc<GadgetConfig>,
    number: String,
    preview: bool,
    mine: u32,
    mut interactive: bool,
) {
    let (identity, page_lock) = {
        let mut inner = phones.0.borrow_mut();
        (inner.identity.clone(), inner.page_lock.take())
    };
    let Some(identity) = identity else {
        report(Action::Registration(Registration::Failed {
            reason: "Finesse gave the phone no credentials.".into(),
        }));
        return;
    };
    let credentials = identity.credentials;
    let waiting = phones.clone();
    let lock = match tab_lock::acquire(&credentials.id, page_lock, move || {
        // Another tab has the phone: this one may wait for hours, so no idle socket.
        drop(waiting.take_early());
        report(Action::Registration(Registration::Unregistered {
            reason:
                "Phone active in another tab or window: this one takes over when that one closes."
                    .into(),
        }))
    })
    .await
    {
        Ok(lock) => lock,
        Err(reason) => {
            report(Action::Registration(Registration::Failed { reason }));
            return;
        }
    };
    clock::mark("lock");
    if !phones.current(mine) {
        return; // the agent changed while we waited; dropping the lock releases it
    }
    report(Action::Registration(Registration::Connecting));
    let mut attempt = 0;
    let signed_in = loop {
        let result = broker::sign_in(&config, &number, &credentials, interactive).await;
        interactive = false; // the click's activation is spent
        let error = match result {
            Ok(signed_in) => break signed_in,
            Err(error) => error,
        };
        if !phones.current(mine) {
            return;
        }
        let registration = match error {
            error if error.retryable() => {
                let delay = backoff::delay_ms(attempt, random::u32());
                attempt += 1;
                report(Action::Registration(Registration::Reconnecting {
                    retry_at: Some(clock::now() + delay),
                    reason: error.to_string(),
                }));
                gloo::timers::future::TimeoutFuture::new(delay as u32).await;
                if !phones.current(mine) {
                    return;
                }
                report(Action::Registration(Registration::Connecting));
                continue;
            }
            error => error.into_registration(),
        };
        report(Action::Registration(registration));
        return;
    };
    if !phones.current(mine) {
        return; // the agent changed while we were signing in
    }
    let broker::SignedIn { account, session } = signed_in;
    let reports = Rc::new(report) as crate::driver::Report;
    if let Some(keeper) = session.as_ref() {
        keeper.report_to(reports.clone());
    }
    let early = phones.take_early();
    // The Finesse state now (the user may have loaded while the phone was starting).
    let agent_state = phones.0.borrow().agent_now.clone();
    match Driver::start(
        &config,
        account,
        &number,
        &agent_state,
        preview,
        reports,
        early,
    ) {
        Ok(driver) => {
            if preview {
                driver.watch(phones.0.borrow().watched.clone());
            }
            phones.0.borrow_mut().phone = Phone {
                driver: Some(driver),
                session,
                _lock: Some(lock),
            }
        }
        Err(reason) => report(Action::Registration(Registration::Failed { reason })),
    }
}
