//! The app root: owns the store, starts the edges, and renders the bar.
//!
//! Start-up: wait for the Finesse hub, load the configuration, watch the
//! Finesse user. The phone (the driver around the SIP core) runs only while
//! the user is a mobile agent with a WebRTC number and is not logged out;
//! otherwise the bar says why nothing is registered.

use std::cell::RefCell;
use std::rc::Rc;

use gloo::events::EventListener;
use gloo::timers::callback::Interval;
use ttecphone_components::config::GadgetConfig;
use ttecphone_components::diagnostics;
use ttecphone_components::gallery::{gallery, samples, GalleryProps};
use ttecphone_components::problems::problems;
use ttecphone_components::registration_status::describe as describe_registration;
use ttecphone_components::registration_status::{registration_status, RegistrationStatusProps};
use ttecphone_components::store::reduce;
use ttecphone_components::store::{
    Action, AgentState, AudioTest, CallPhase, MediaProblem, Panel, PhoneState, Playback,
    Registration, TraceEntry, TraceKind, UserCommand,
};
use ttecphone_components::{PhoneBar, StoreContext, TeamBoardView};
use yew::prelude::*;

use crate::driver::Driver;
use crate::tab_lock::{self, TabLock};
use crate::transport::Connection;
use crate::{broker, clock, config_source, devices, finesse, random, storage};
use futures::channel::oneshot;
use ttecphone_components::store::ConfigProblem;
use ttecphone_sip::backoff;

fn trace_state(dispatcher: &UseReducerDispatcher<PhoneState>, text: String) {
    dispatcher.dispatch(Action::Trace(TraceEntry {
        at: js_sys::Date::now() as u64,
        kind: TraceKind::State,
        text,
    }));
}

/// Lists the audio devices into the store.
async fn list_devices(dispatcher: UseReducerDispatcher<PhoneState>) {
    match devices::list().await {
        Ok((microphones, speakers)) => {
            if microphones.is_empty() {
                dispatcher.dispatch(Action::MediaProblem(Some(MediaProblem::NoMicrophone)));
            }
            dispatcher.dispatch(Action::DevicesListed {
                microphones,
                speakers,
                speaker_selectable: devices::speaker_selectable(),
                speaker_picker: devices::speaker_picker(),
            })
        }
        Err(reason) => trace_state(&dispatcher, format!("Devices: {reason}")),
    }
}

/// Devices, sound permission: what the agent needs before the first call.
async fn prepare_audio(dispatcher: UseReducerDispatcher<PhoneState>) {
    let (microphone, speaker) = storage::chosen_devices();
    dispatcher.dispatch(Action::DevicesRemembered {
        microphone,
        speaker,
    });
    list_devices(dispatcher.clone()).await;
    devices::watch_microphone_permission().await;
    let playback = if devices::playback_allowed().await {
        Playback::Allowed
    } else {
        gloo::console::info!(
            "TTECPhone: the browser blocks sound until the agent clicks the gadget once"
        );
        Playback::Blocked
    };
    dispatcher.dispatch(Action::Playback(playback));
}

/// Sends bridge actions into the store.
struct StoreSink(UseReducerDispatcher<PhoneState>);

impl finesse::Sink for StoreSink {
    fn dispatch(&self, action: Action) {
        if matches!(action, Action::AgentLoaded(_)) {
            clock::mark("user");
        }
        self.0.dispatch(action);
    }
}

/// What runs the phone, shared by a phone started before the first render (`boot`)
/// and the app root, which adopts it.
#[derive(Clone)]
struct Shared {
    phone: Rc<RefCell<Phone>>,
    /// Bumped whenever the phone's identity changes: a start still in flight for an
    /// older one gives up.
    generation: Rc<RefCell<u32>>,
    /// Supervisor preview: the agents' numbers the board wants watched.
    watched: Rc<RefCell<Vec<String>>>,
    /// The Finesse state as of the latest render, for a phone that starts later.
    agent_now: Rc<RefCell<String>>,
}

impl Default for Shared {
    fn default() -> Self {
        Self {
            phone: Default::default(),
            generation: Default::default(),
            watched: Default::default(),
            agent_now: Rc::new(RefCell::new(AgentState::Unknown.finesse_name().into())),
        }
    }
}

/// What start-up did before the first render: the configuration, the socket to the
/// broker already opening (taken by the phone when it starts, see `start_phone`), and
/// the phone itself when finesse.js already said who the agent is.
#[derive(Default)]
struct Boot {
    config: Option<Result<Rc<GadgetConfig>, Vec<ConfigProblem>>>,
    early: Option<Connection>,
    /// The tab lock gadget.xml asked for as soon as Finesse gave the agent id.
    lock: Option<tab_lock::Early>,
    /// The identity of the phone started before the first render (not yet adopted).
    started: Option<(String, bool)>,
    shared: Shared,
    /// Where the phone's reports go: held until the store exists.
    outlet: Outlet,
}

/// The phone's reports before the store exists are held here; `settled` is told when
/// registration has an outcome (the bar then renders with it).
enum Outlet {
    Held {
        actions: Vec<Action>,
        settled: Option<oneshot::Sender<()>>,
    },
    Store(UseReducerDispatcher<PhoneState>),
}

impl Default for Outlet {
    fn default() -> Self {
        Self::Held {
            actions: Vec::new(),
            settled: None,
        }
    }
}

thread_local! {
    static BOOT: RefCell<Boot> = RefCell::new(Boot::default());
}

/// Reports an action of the phone: into the store, or held until it exists.
pub(crate) fn report(action: Action) {
    let outcome = matches!(&action, Action::Registration(registration) if !matches!(
        registration,
        Registration::Starting | Registration::Connecting | Registration::Registering
    ));
    let store = BOOT.with(|b| match &mut b.borrow_mut().outlet {
        Outlet::Store(dispatcher) => Some((dispatcher.clone(), action)),
        Outlet::Held { actions, .. } => {
            actions.push(action);
            None
        }
    });
    match store {
        Some((dispatcher, action)) => dispatcher.dispatch(action),
        None if outcome => settle(),
        None => {}
    }
}

/// The store's first state: what the phone reported so far (see `boot`).
fn first_state() -> PhoneState {
    let held = BOOT.with(|b| match &mut b.borrow_mut().outlet {
        Outlet::Held { actions, .. } => std::mem::take(actions),
        Outlet::Store(_) => Vec::new(),
    });
    held.into_iter()
        .fold(PhoneState::default(), |state, action| {
            reduce(&state, action)
        })
}

/// The store exists: what was held since its first state goes in, and the rest follows
/// directly.
fn connect_outlet(dispatcher: UseReducerDispatcher<PhoneState>) {
    let held = BOOT.with(|b| {
        std::mem::replace(
            &mut b.borrow_mut().outlet,
            Outlet::Store(dispatcher.clone()),
        )
    });
    if let Outlet::Held { actions, .. } = held {
        actions
            .into_iter()
            .for_each(|action| dispatcher.dispatch(action));
    }
}

/// How long the first render waits for the phone's registration outcome at most: the
/// bar then shows "Connecting" instead.
const FIRST_RENDER_WAIT_MS: u32 = 200;

/// Start-up before the first render (called by `main`): loads the configuration (its
/// `config.json` request was started by the page itself, in parallel with Finesse's
/// scripts), opens the WebSocket to the broker and, when finesse.js already says who the
/// agent is, starts the phone. The bar then renders once registration has an outcome
/// (or after [`FIRST_RENDER_WAIT_MS`]): rendering is a long task on the main thread that
/// would otherwise sit between the tab lock and the REGISTER, and the agent sees the
/// phone's state at once rather than "Starting", "Connecting", "Registered" in turn.
pub async fn boot() {
    clock::mark("boot");
    // The tab lock gadget.xml asked for, keyed by the agent id: the phone takes it over.
    let lock = finesse::credentials().and_then(|c| tab_lock::request_early(&c.id));
    let config = config_source::load().await.map(Rc::new);
    clock::mark("config");
    let early = config
        .as_ref()
        .ok()
        .and_then(|c| Connection::open_early(&c.ws_url).ok());
    BOOT.with(|b| {
        let mut boot = b.borrow_mut();
        boot.config = Some(config.clone());
        boot.early = early;
        boot.lock = lock;
    });
    // The REGISTER needs the instance id: read (or made) now, not between the lock and
    // the REGISTER. gadget.xml touched localStorage already, so the storage area is
    // loaded and this read does not wait on the browser process.
    let _ = storage::instance_id();
    clock::mark("storage");
    let Ok(config) = config else { return };
    let identity = finesse::available()
        .then(|| finesse::early_identity(config.preview_mode))
        .flatten();
    let Some((number, preview)) = identity else {
        return;
    };
    let (tx, settled) = oneshot::channel();
    let shared = BOOT.with(|b| {
        let mut boot = b.borrow_mut();
        boot.started = Some((number.clone(), preview));
        boot.outlet = Outlet::Held {
            actions: Vec::new(),
            settled: Some(tx),
        };
        boot.shared.clone()
    });
    wasm_bindgen_futures::spawn_local(start_phone(config, number, preview, shared, 0));
    // Whichever comes first: the outcome (see `report`) or the end of the wait.
    gloo::timers::callback::Timeout::new(FIRST_RENDER_WAIT_MS, settle).forget();
    let _ = settled.await;
}

/// Lets the first render go ahead (once).
fn settle() {
    let waiting = BOOT.with(|b| match &mut b.borrow_mut().outlet {
        Outlet::Held { settled, .. } => settled.take(),
        Outlet::Store(_) => None,
    });
    if let Some(tx) = waiting {
        let _ = tx.send(());
    }
}

/// What `boot` leaves the app root (once per page): the phone's shared parts and, if it
/// started a phone, that phone's configuration and identity (both `None` otherwise).
fn booted() -> (Shared, Option<Rc<GadgetConfig>>, Option<(String, bool)>) {
    BOOT.with(|b| {
        let boot = b.borrow();
        let shared = boot.shared.clone();
        let Some(started) = boot.started.clone() else {
            return (shared, None, None);
        };
        let config = boot.config.as_ref().and_then(|c| c.as_ref().ok().cloned());
        (shared, config, Some(started))
    })
}

/// The identity of the phone `boot` started, once (the app root adopts that phone).
fn take_started() -> Option<(String, bool)> {
    BOOT.with(|b| b.borrow_mut().started.take())
}

/// The socket `boot` opened, if the phone has not taken it yet.
fn take_early_connection() -> Option<Connection> {
    BOOT.with(|b| b.borrow_mut().early.take())
}

/// The tab lock request start-up made, if the phone has not taken it yet.
fn take_early_lock() -> Option<tab_lock::Early> {
    BOOT.with(|b| b.borrow_mut().lock.take())
}

/// Starts watching Finesse (the configuration is `boot`'s). Runs once per page.
async fn start(
    dispatcher: UseReducerDispatcher<PhoneState>,
    config_slot: UseStateHandle<Option<Rc<GadgetConfig>>>,
    early_identity: UseStateHandle<Option<(String, bool)>>,
) {
    let Some(config) = BOOT.with(|b| b.borrow_mut().config.take()) else {
        return; // `boot` always runs first
    };
    let config = match config {
        Ok(config) => config,
        Err(problems) => {
            drop(take_early_connection());
            drop(take_early_lock());
            crate::transport::close_page_socket();
            dispatcher.dispatch(Action::ConfigInvalid(problems));
            return;
        }
    };
    dispatcher.dispatch(Action::Configured {
        auto_answer: config.auto_answer.clone(),
        dev_features: config.dev_features,
    });
    // A mobile agent's phone is running already (`boot`). finesse.js's services are used
    // only once the hub is connected.
    finesse::hub_connected().await;
    clock::mark("hub");
    if !finesse::available() {
        drop(take_early_connection());
        dispatcher.dispatch(Action::Registration(Registration::Unregistered {
            reason: "Finesse is not available: open the phone from the Finesse desktop.".into(),
        }));
        return;
    }
    let rule = config.number_rule.clone();
    let preview_forced = config.preview_mode;
    if config_slot.is_none() {
        config_slot.set(Some(config));
    }
    if let Err(message) = finesse::watch_user(StoreSink(dispatcher.clone()), rule, preview_forced) {
        early_identity.set(None);
        dispatcher.dispatch(Action::Registration(Registration::Failed {
            reason: format!("Finesse did not answer: {message}."),
        }));
    }
}

/// Who the phone registers as (and whether as a supervisor's preview line), or why it
/// must not register at all.
fn phone_identity(state: &PhoneState) -> Result<Option<(String, bool)>, &'static str> {
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
    /// Keeps the broker token fresh (wazo); held for its drop, which stops the refreshes.
    _session: Option<broker::wazo::Keeper>,
    /// Makes this tab the only one with a phone for the agent; dropped last,
    /// after the driver has un-REGISTERed, so another tab takes over cleanly.
    _lock: Option<TabLock>,
}

/// Takes the tab lock, signs into the broker (retrying with backoff while it is
/// unreachable) and starts the driver for `number`. `mine` is the generation it starts
/// for: it gives up once that moved on. Reports go through [`report`].
async fn start_phone(
    config: Rc<GadgetConfig>,
    number: String,
    preview: bool,
    shared: Shared,
    mine: u32,
) {
    let Shared {
        phone: slot,
        generation,
        watched,
        agent_now: agent_state,
    } = shared;
    let Some(credentials) = finesse::credentials() else {
        report(Action::Registration(Registration::Failed {
            reason: "Finesse gave the phone no credentials.".into(),
        }));
        return;
    };
    let lock = match tab_lock::acquire(&credentials.id, take_early_lock(), move || {
        // Another tab has the phone: this one may wait for hours, so no idle socket.
        drop(take_early_connection());
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
    if *generation.borrow() != mine {
        return; // the agent changed while we waited; dropping the lock releases it
    }
    report(Action::Registration(Registration::Connecting));
    let mut attempt = 0;
    let signed_in = loop {
        let error = match broker::sign_in(&config, &number, &credentials).await {
            Ok(signed_in) => break signed_in,
            Err(error) => error,
        };
        if *generation.borrow() != mine {
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
                if *generation.borrow() != mine {
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
    if *generation.borrow() != mine {
        return; // the agent changed while we were signing in
    }
    let broker::SignedIn { account, session } = signed_in;
    let reports = Rc::new(report) as crate::driver::Report;
    if let Some(keeper) = session.as_ref() {
        keeper.report_to(reports.clone());
    }
    let early = take_early_connection();
    // The Finesse state now (the user may have loaded while the phone was starting).
    let agent_state = agent_state.borrow().clone();
    match Driver::start(&config, account, &agent_state, preview, reports, early) {
        Ok(driver) => {
            if preview {
                driver.watch(watched.borrow().clone());
            }
            *slot.borrow_mut() = Phone {
                driver: Some(driver),
                _session: session,
                _lock: Some(lock),
            }
        }
        Err(reason) => report(Action::Registration(Registration::Failed { reason })),
    }
}

/// What the page reacts to, as of one render: [`Reactions::run`] compares it with the
/// previous render's (one effect for all of them instead of one hook each).
#[derive(Clone, PartialEq)]
struct Seen {
    /// Registered, or it is known why not.
    settled: bool,
    devices: ttecphone_components::store::Devices,
    /// What changes the bar's height.
    shape: (Option<Panel>, usize, bool, bool),
    registration: (&'static str, String),
    agent_state: AgentState,
    announcement: String,
    media_problem: Option<MediaProblem>,
    answered: Option<String>,
    /// The audio test may go on (its popover open, no call).
    keep_audio_test: bool,
    /// Preview: the agents' numbers the board wants watched.
    numbers: Vec<String>,
    playback: Playback,
    /// Something on screen counts (a ringing call's countdown, a call timer, a
    /// reconnect countdown): the clock ticks. An idle bar stays still.
    needs_clock: bool,
}

impl Seen {
    fn of(state: &PhoneState) -> Self {
        let (word, _, detail) = describe_registration(&state.registration, state.now);
        Self {
            settled: !matches!(
                state.registration,
                Registration::Starting | Registration::Connecting | Registration::Registering
            ),
            devices: state.devices.clone(),
            shape: (
                state.panel,
                problems(state).len(),
                state.devices.notice.is_some(),
                state.call.is_some(),
            ),
            registration: (word, detail),
            agent_state: state.agent.state.clone(),
            announcement: state.announcement.clone(),
            media_problem: state.media_problem,
            answered: state
                .call
                .as_ref()
                .filter(|c| matches!(c.phase, CallPhase::Active { .. }))
                .map(|c| c.id.clone()),
            keep_audio_test: state.panel == Some(Panel::Settings) && state.call.is_none(),
            numbers: state.board.numbers(),
            playback: state.playback,
            needs_clock: state
                .call
                .as_ref()
                .is_some_and(|c| !matches!(c.phase, CallPhase::Answering))
                || matches!(state.registration, Registration::Reconnecting { .. }),
        }
    }
}

/// True at the first render, and when `field` differs from the previous render's.
fn changed<T: PartialEq>(before: Option<&Seen>, now: &Seen, field: impl Fn(&Seen) -> &T) -> bool {
    before.is_none_or(|before| field(before) != field(now))
}

/// The page's side of store changes: the edges to tell, the diagnostics trace to write.
struct Reactions {
    dispatcher: UseReducerDispatcher<PhoneState>,
    phone: Rc<RefCell<Phone>>,
    watched: Rc<RefCell<Vec<String>>>,
    audio_test: Rc<RefCell<Option<devices::AudioTestRun>>>,
    own: Rc<RefCell<Reacted>>,
    tone: bool,
}

/// What the reactions keep between renders.
#[derive(Default)]
struct Reacted {
    /// The previous render's.
    seen: Option<Seen>,
    /// Devices listed and the autoplay probe made (once a page).
    prepared: bool,
    /// While sound is blocked: the listener for the agent's first click.
    unlock: Option<EventListener>,
    /// While the clock is needed: its 250 ms tick.
    clock: Option<Interval>,
}

impl Reactions {
    /// Acts on what changed since the previous render (on everything at the first).
    fn run(&self, now: Seen) {
        let before = self.own.borrow_mut().seen.replace(now.clone());
        let (before, now) = (before.as_ref(), &now);
        let driver = || self.phone.borrow().driver.clone();
        // Devices and the autoplay probe once registration is settled: the probe starts
        // the browser's audio output, a long task that would otherwise compete with the
        // REGISTER on the main thread.
        if now.settled && !std::mem::replace(&mut self.own.borrow_mut().prepared, true) {
            wasm_bindgen_futures::spawn_local(prepare_audio(self.dispatcher.clone()));
        }
        // The chosen devices: remembered in this browser (ids, names) and applied; a call in
        // progress follows a new microphone (chosen, or the default after an unplug).
        if changed(before, now, |s| &s.devices) {
            let chosen = &now.devices;
            let listed = chosen.microphones.iter().any(|d| d.id == chosen.microphone);
            devices::set_microphone(&chosen.microphone, listed);
            devices::set_speaker(&chosen.speaker);
            if chosen.listed {
                storage::remember_devices(
                    chosen.chosen_microphone.as_ref(),
                    chosen.chosen_speaker.as_ref(),
                );
            }
            if changed(before, now, |s| &s.devices.microphone) {
                if let Some(driver) = driver() {
                    driver.microphone_changed();
                }
            }
        }
        // The iframe follows the bar's height when popovers, problems or notices change it.
        if changed(before, now, |s| &s.shape) {
            finesse::adjust_height();
        }
        // Diagnostics: state changes, with the page's wall-clock time.
        if changed(before, now, |s| &s.registration) {
            let (word, detail) = &now.registration;
            trace_state(&self.dispatcher, format!("Registration: {word}. {detail}"));
        }
        // Finesse state changes: traced, and they reach the SIP core's auto-answer gate.
        if changed(before, now, |s| &s.agent_state) {
            let name = now.agent_state.finesse_name();
            trace_state(&self.dispatcher, format!("Finesse state: {name}"));
            if let Some(driver) = driver() {
                driver.agent_state(name);
            }
        }
        if !now.announcement.is_empty() && changed(before, now, |s| &s.announcement) {
            trace_state(&self.dispatcher, format!("Call: {}", now.announcement));
        }
        if let Some(problem) = now
            .media_problem
            .filter(|_| changed(before, now, |s| &s.media_problem))
        {
            let what = match problem {
                MediaProblem::MicrophoneDenied => "blocked by the browser",
                MediaProblem::NoMicrophone => "none found",
            };
            trace_state(&self.dispatcher, format!("Microphone: {what}"));
        }
        // The answer tone, on the chosen speaker, once a call is answered.
        if now.answered.is_some() && self.tone && changed(before, now, |s| &s.answered) {
            devices::play_answer_tone();
        }
        // The audio test stops when its popover closes or a call comes in.
        if !now.keep_audio_test
            && changed(before, now, |s| &s.keep_audio_test)
            && self.audio_test.borrow_mut().take().is_some()
        {
            self.dispatcher.dispatch(Action::AudioTest(AudioTest::Idle));
        }
        // Preview: the team's numbers reach the core's watch list.
        if changed(before, now, |s| &s.numbers) {
            *self.watched.borrow_mut() = now.numbers.clone();
            if let Some(driver) = driver() {
                driver.watch(now.numbers.clone());
            }
        }
        // While sound is blocked, the agent's first click anywhere in the gadget unlocks it.
        if changed(before, now, |s| &s.playback) {
            let dispatcher = self.dispatcher.clone();
            self.own.borrow_mut().unlock = (now.playback == Playback::Blocked)
                .then(|| web_sys::window().and_then(|w| w.document()))
                .flatten()
                .map(|document| {
                    EventListener::new(&document, "pointerdown", move |_| {
                        let dispatcher = dispatcher.clone();
                        wasm_bindgen_futures::spawn_local(async move {
                            if devices::playback_allowed().await {
                                dispatcher.dispatch(Action::Playback(Playback::Allowed));
                            }
                        });
                    })
                });
        }
        if changed(before, now, |s| &s.needs_clock) {
            let dispatcher = self.dispatcher.clone();
            self.own.borrow_mut().clock = now.needs_clock.then(|| {
                dispatcher.dispatch(Action::Tick(clock::now()));
                Interval::new(250, move || dispatcher.dispatch(Action::Tick(clock::now())))
            });
        }
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(first_state);
    // The phone `boot` may have started: its configuration and identity, so the phone
    // effect below adopts it instead of starting another.
    let booted = use_memo((), |_| booted());
    let config = use_state(|| booted.1.clone());
    // The phone's identity from finesse.gadget.Config, until the Finesse user is loaded.
    let early_identity = use_state(|| booted.2.clone());
    let shared = booted.0.clone();
    let (phone, watched) = (shared.phone.clone(), shared.watched.clone());
    *shared.agent_now.borrow_mut() = state.agent.state.finesse_name().to_string();

    let audio_test = use_mut_ref(|| None::<devices::AudioTestRun>);

    {
        let (dispatcher, config) = (state.dispatcher(), config.clone());
        let (early_identity, phone) = (early_identity.clone(), phone.clone());
        use_effect_with((), move |_| {
            // What the phone reported before the store existed goes in first.
            connect_outlet(dispatcher.clone());
            wasm_bindgen_futures::spawn_local(start(dispatcher.clone(), config, early_identity));
            let watcher = devices::watch(move || {
                wasm_bindgen_futures::spawn_local(list_devices(dispatcher.clone()))
            });
            // Page unload: un-REGISTER (Expires: 0) so the broker holds no stale contact.
            // The wazo token stays cached (sessionStorage) so a reload reuses it.
            let unload = web_sys::window().map(|window| {
                EventListener::new(&window, "pagehide", move |_| {
                    let stopped = std::mem::take(&mut *phone.borrow_mut());
                    if let Some(driver) = stopped.driver {
                        driver.shutdown("Page closed.");
                    }
                })
            });
            move || drop((watcher, unload))
        });
    }

    // Run the phone for the agent's WebRTC number; stop it when that changes.
    let identity = match phone_identity(&state) {
        Ok(None) => Ok((*early_identity).clone()),
        known => known,
    };
    {
        let dispatcher = state.dispatcher();
        let shared = shared.clone();
        let agent_state = state.agent.state.finesse_name().to_string();
        let deps = (config.as_ref().map(Rc::clone), identity.clone());
        use_effect_with(deps, move |(config, identity)| {
            // Finesse LOGOUT (the previous phone is already stopped and
            // unregistered by the cleanup below): end the broker session too.
            if let (Some(config), Err(_)) = (config, identity) {
                if agent_state == AgentState::Logout.finesse_name() {
                    broker::sign_out(config);
                }
            }
            // The phone `boot` started for this identity is already running (or starting).
            let started = take_started();
            let adopted = matches!(identity, Ok(Some(id)) if started.as_ref() == Some(id));
            if !adopted {
                *shared.generation.borrow_mut() += 1;
            }
            let mine = *shared.generation.borrow();
            let phone = shared.phone.clone();
            match (config, identity) {
                _ if adopted => {}
                (Some(config), Ok(Some((number, preview)))) => {
                    wasm_bindgen_futures::spawn_local(start_phone(
                        config.clone(),
                        number.clone(),
                        *preview,
                        shared,
                        mine,
                    ));
                }
                (_, Err(reason)) => {
                    // No phone here: no socket and no lock either.
                    drop(take_early_connection());
                    drop(take_early_lock());
                    dispatcher.dispatch(Action::Registration(Registration::Unregistered {
                        reason: (*reason).into(),
                    }))
                }
                _ => {}
            }
            move || {
                let stopped = std::mem::take(&mut *phone.borrow_mut());
                if let Some(driver) = stopped.driver {
                    driver.shutdown("Phone stopped.");
                }
            }
        });
    }

    // What the page does when the store changes, after the phone effect above.
    {
        let reactions = Reactions {
            own: use_mut_ref(Reacted::default),
            dispatcher: state.dispatcher(),
            phone: phone.clone(),
            watched: watched.clone(),
            audio_test: audio_test.clone(),
            tone: state.auto_answer.tone,
        };
        let now = Seen::of(&state);
        use_effect(move || reactions.run(now));
    }

    let commands = {
        let (phone, dispatcher) = (phone.clone(), state.dispatcher());
        let (state, audio_test) = (state.clone(), audio_test.clone());
        Callback::from(move |command: UserCommand| {
            page_command(&command, &state, &dispatcher, &audio_test);
            if let Some(driver) = phone.borrow().driver.as_ref() {
                driver.command(command);
            }
        })
    };
    let preview = state.board.active;
    let rows = state.board.rows.clone();
    let (registration, number, now) = (
        state.registration.clone(),
        state.agent.webrtc_number.clone(),
        state.now,
    );
    let context = StoreContext { state, commands };
    html! {
        <ContextProvider<StoreContext> context={context}>
            if preview {
                // Registered: no "Ready to receive calls." (a preview line takes none; the
                // board's title says so); problems and progress keep their detail line.
                { registration_status(&RegistrationStatusProps {
                    show_detail: !matches!(registration, Registration::Registered { .. }),
                    registration,
                    webrtc_number: number,
                    now,
                }) }
                // "What agents see": the agent's bar in each state, read-only.
                <TeamBoardView rows={rows}>
                    { gallery(&GalleryProps { items: samples(), commands: Default::default() }) }
                </TeamBoardView>
            } else {
                <PhoneBar />
            }
        </ContextProvider<StoreContext>>
    }
}

/// The part of an agent's command that the page handles itself (the driver
/// gets every command too, and ignores what is not about SIP).
fn page_command(
    command: &UserCommand,
    state: &PhoneState,
    dispatcher: &UseReducerDispatcher<PhoneState>,
    audio_test: &Rc<RefCell<Option<devices::AudioTestRun>>>,
) {
    match command {
        UserCommand::SetAutoAnswer(on) => dispatcher.dispatch(Action::SetAutoAnswer(*on)),
        UserCommand::OpenPanel(panel) => dispatcher.dispatch(Action::OpenPanel(*panel)),
        UserCommand::ChooseDevice { kind, id } => dispatcher.dispatch(Action::DeviceChosen {
            kind: *kind,
            id: id.clone(),
        }),
        UserCommand::DismissDeviceNotice => dispatcher.dispatch(Action::DismissDeviceNotice),
        UserCommand::PickSpeaker => {
            let dispatcher = dispatcher.clone();
            devices::pick_speaker(move |device| dispatcher.dispatch(Action::SpeakerPicked(device)));
        }
        UserCommand::EnableAudio => {
            let dispatcher = dispatcher.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let allowed = devices::playback_allowed().await;
                dispatcher.dispatch(Action::Playback(if allowed {
                    Playback::Allowed
                } else {
                    Playback::Blocked
                }));
            });
        }
        UserCommand::StartAudioTest => {
            if state.call.is_some() || audio_test.borrow().is_some() {
                return;
            }
            let (dispatcher, slot) = (dispatcher.clone(), audio_test.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let report = {
                    let dispatcher = dispatcher.clone();
                    Rc::new(move |test: AudioTest| dispatcher.dispatch(Action::AudioTest(test)))
                        as Rc<dyn Fn(AudioTest)>
                };
                let on_done = {
                    let (dispatcher, slot) = (dispatcher.clone(), slot.clone());
                    move || {
                        slot.borrow_mut().take();
                        dispatcher.dispatch(Action::AudioTest(AudioTest::Idle));
                    }
                };
                match devices::start_audio_test(report, on_done).await {
                    Ok(run) => {
                        *slot.borrow_mut() = Some(run);
                        dispatcher.dispatch(Action::MediaProblem(None));
                        trace_state(&dispatcher, "Audio test started".into());
                        // Labels are readable now that the microphone is allowed.
                        list_devices(dispatcher).await;
                    }
                    Err((text, problem)) => {
                        if problem.is_some() {
                            dispatcher.dispatch(Action::MediaProblem(problem));
                        }
                        trace_state(&dispatcher, format!("Audio test failed: {text}"));
                        dispatcher.dispatch(Action::AudioTest(AudioTest::Failed(text)));
                    }
                }
            });
        }
        UserCommand::StopAudioTest => {
            audio_test.borrow_mut().take();
            dispatcher.dispatch(Action::AudioTest(AudioTest::Idle));
        }
        UserCommand::CopyTrace | UserCommand::DownloadTrace => {
            let now = js_sys::Date::now() as u64;
            let header = format!(
                "TTECPhone {} diagnostics, {}\nWebRTC number: {}\n",
                env!("CARGO_PKG_VERSION"),
                diagnostics::format_timestamp(now),
                state.agent.webrtc_number.as_deref().unwrap_or("none"),
            );
            let text = diagnostics::export(state.trace.iter().map(|e| &**e), &header);
            if matches!(command, UserCommand::DownloadTrace) {
                devices::download_text(&diagnostics::file_name(now), &text);
            } else {
                let dispatcher = dispatcher.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let copied = devices::copy_text(&text).await;
                    trace_state(
                        &dispatcher,
                        if copied {
                            "Diagnostics copied to the clipboard"
                        } else {
                            "The browser refused the clipboard: use Download"
                        }
                        .into(),
                    );
                });
            }
        }
        UserCommand::Answer { .. }
        | UserCommand::Reject { .. }
        | UserCommand::HangUp { .. }
        | UserCommand::Mute { .. }
        | UserCommand::Call { .. } => {}
    }
}
