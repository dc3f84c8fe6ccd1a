//! The page's side of store changes (one effect for all of them): the edges to tell
//! (devices, the iframe's height, the driver, the phone that should run), the
//! diagnostics trace to write, and the audio set-up once registration has an outcome.

use std::cell::RefCell;
use std::rc::Rc;

use gloo::events::EventListener;
use gloo::timers::callback::Interval;
use ttecphone_components::problems::problems;
use ttecphone_components::registration_status::describe as describe_registration;
use ttecphone_components::routing::Request;
use ttecphone_components::store::{
    Action, AgentState, AudioTest, CallPhase, MediaProblem, Panel, PhoneState, Playback,
    Registration,
};
use yew::UseReducerDispatcher;

use super::outlet::trace_entry;
use super::phone::{wanted, Phones, Wanted};
use crate::{clock, devices, finesse, storage, team_quality};

/// A state line in the diagnostics trace.
pub fn trace_state(dispatcher: &UseReducerDispatcher<PhoneState>, text: String) {
    dispatcher.dispatch(trace_entry(text));
}

/// Lists the audio devices into the store.
pub async fn list_devices(dispatcher: UseReducerDispatcher<PhoneState>) {
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

/// What the page reacts to, as of one render: [`Reactions::run`] compares it with the
/// previous render's (one effect for all of them instead of one hook each).
#[derive(Clone, PartialEq)]
pub struct Seen {
    /// Registered, or it is known why not.
    settled: bool,
    devices: ttecphone_components::devices::Devices,
    /// What changes the bar's height (and the board's: its rows, its quality notice).
    shape: (Option<Panel>, usize, bool, bool, (usize, bool)),
    registration: (&'static str, String),
    agent_state: AgentState,
    announcement: String,
    media_problem: Option<MediaProblem>,
    answered: Option<String>,
    /// The audio test may go on (its popover open, no call).
    keep_audio_test: bool,
    /// Preview: the agents' numbers the board wants watched.
    numbers: Vec<String>,
    /// Preview: the board is shown (its call quality is read while it is).
    board: bool,
    /// Who should register, as the Finesse User says (see `phone::wanted`).
    wanted: Wanted,
    playback: Playback,
    /// Routing: the latest request for Finesse, and the latest trace line's number.
    routing: (Option<Request>, u32),
    /// Something on screen counts (a ringing call's countdown, a call timer, a
    /// reconnect countdown): the clock ticks. An idle bar stays still.
    needs_clock: bool,
}

impl Seen {
    pub fn of(state: &PhoneState) -> Self {
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
                (state.board.rows.len(), state.board.quality.failing()),
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
            board: state.board.active,
            wanted: wanted(state),
            playback: state.playback,
            routing: (state.routing.request, state.routing.notes.0),
            needs_clock: state.routing.waiting(state.now)
                || state
                    .call
                    .as_ref()
                    .is_some_and(|c| !matches!(c.phase, CallPhase::Answering))
                || matches!(state.registration, Registration::Reconnecting { .. })
                || state
                    .finesse_trouble
                    .as_ref()
                    .is_some_and(|t| t.retry_at.is_some()),
        }
    }
}

/// True at the first render, and when `field` differs from the previous render's.
fn changed<T: PartialEq>(before: Option<&Seen>, now: &Seen, field: impl Fn(&Seen) -> &T) -> bool {
    before.is_none_or(|before| field(before) != field(now))
}

/// The page's side of store changes: the edges to tell, the diagnostics trace to write.
pub struct Reactions {
    pub dispatcher: UseReducerDispatcher<PhoneState>,
    pub phones: Phones,
    pub audio_test: Rc<RefCell<Option<devices::AudioTestRun>>>,
    pub own: Rc<RefCell<Reacted>>,
    pub tone: bool,
    /// The store's routing, for its trace lines.
    pub routing: ttecphone_components::routing::Routing,
}

/// What the reactions keep between renders.
#[derive(Default)]
pub struct Reacted {
    /// The previous render's.
    seen: Option<Seen>,
    /// Devices listed and the autoplay probe made (once a page).
    prepared: bool,
    /// While sound is blocked: the listener for the agent's first click.
    unlock: Option<EventListener>,
    /// While the clock is needed: its 250 ms tick.
    clock: Option<Interval>,
    /// While the board is shown and a collector is set: its reading of agents' quality.
    quality: Option<team_quality::Poll>,
}

impl Reactions {
    /// Acts on what changed since the previous render (on everything at the first).
    pub fn run(&self, now: Seen) {
        let before = self.own.borrow_mut().seen.replace(now.clone());
        let (before, now) = (before.as_ref(), &now);
        let driver = || self.phones.driver();
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
            self.phones.set_agent_state(name);
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
        // The phone the Finesse User asks for (the one start-up began from Config, if it
        // is the same, just goes on); Finesse LOGOUT ends the broker session too.
        if changed(before, now, |s| &s.wanted) {
            let logged_out = now.agent_state == AgentState::Logout;
            self.phones.want(&now.wanted, logged_out);
        }
        // Preview: the team's numbers reach the core's watch list.
        if changed(before, now, |s| &s.numbers) {
            self.phones.watch(now.numbers.clone());
        }
        // Preview with a quality collector: the board reads agents' live call quality.
        if changed(before, now, |s| &s.board) {
            let collector = self
                .phones
                .config()
                .and_then(|c| c.quality_collector.clone());
            let dispatcher = self.dispatcher.clone();
            self.own.borrow_mut().quality = now
                .board
                .then_some(collector)
                .flatten()
                .map(|url| team_quality::start(&url, dispatcher));
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
        // Routing follows the phone: each new request goes to Finesse once; each decision
        // is traced.
        if changed(before, now, |s| &s.routing.1) {
            let seen = before.map_or(0, |s| s.routing.1);
            for line in self.routing.notes_since(seen) {
                trace_state(&self.dispatcher, line.clone());
            }
        }
        if let Some(request) = now
            .routing
            .0
            .filter(|_| changed(before, now, |s| &s.routing.0))
        {
            let dispatcher = self.dispatcher.clone();
            finesse::set_state(request.ready, request.reason_code_id, move |status| {
                dispatcher.dispatch(Action::RoutingAnswer {
                    id: request.id,
                    status,
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
