//! The agent driver: the one owner of the sans-IO SIP core in the page.
//!
//! Every input (a WebSocket frame, a timer, a media result, an agent command,
//! a Finesse state change) goes through [`Driver::input`], which feeds the
//! core with the current time and then performs its outputs: frames to the
//! WebSocket, media requests to the WebRTC edge, events to the store, and the
//! one timer re-armed at the core's earliest deadline. Inputs are processed
//! synchronously, in order (a queue absorbs re-entrant ones), so page unload
//! can still send the un-REGISTER before the page goes away.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use gloo::timers::callback::Timeout;
use ttecphone_components::config::{BrokerKind, GadgetConfig, KeepaliveMode};
use ttecphone_components::diagnostics::remove_known;
use ttecphone_components::store::{
    Action, MediaProblem, Registration, TraceEntry, TraceKind, UserCommand,
};
use ttecphone_components::team::{PeerPhone, TeamAction};
use ttecphone_sip::{
    AgentState, AutoAnswerConfig, CallId, Command, Config, EndReason, Event, Instant, KeepAlive,
    MediaFailure, MediaRequest, MediaResult, RegistrationState, UserAgent,
};

use crate::broker::SipAccount;
use crate::media::{Media, QualitySink};
use crate::transport::{describe_close, Connection, TransportEvent};
use crate::{clock, random, storage};
use ttecphone_sip::backoff;

/// How long a WebSocket may take to open. A broker that accepts TCP but
/// never answers the handshake (hung, overloaded) must not leave us waiting.
const CONNECT_TIMEOUT_MS: u32 = 1_500;

/// Where the driver reports to (the store).
pub type Report = Rc<dyn Fn(Action)>;

enum Input {
    /// Supervisor preview: the agents' WebRTC numbers to watch.
    Watch(Vec<String>),
    Transport {
        generation: u32,
        event: TransportEvent,
    },
    Reconnect {
        generation: u32,
    },
    /// The WebSocket of this generation did not open in time.
    ConnectTimeout {
        generation: u32,
    },
    Timer,
    Media(MediaResult),
    Command(UserCommand),
    AgentState(String),
    MicrophoneChanged,
    Shutdown(String),
    /// The reports held for an answer go out now, answer made or not (see [`Outbox`]).
    AnswerHoldOver,
}

/// The longest the store's reports wait for an answer (see [`Outbox`]).
const ANSWER_HOLD_MAX_MS: u32 = 1_000;

/// The store's reports (state changes and diagnostics lines). Each input's reports go
/// to the store once its outputs are performed. While an auto-answer's SDP is being
/// made at once (`answering`: `Media::answer_early`), they are held until it is made
/// (with no answer delay the 200 OK goes out in the same step), its answer failed, the
/// call ended, or [`ANSWER_HOLD_MAX_MS`] passed: the banner, its re-render, the iframe's
/// resize and the diagnostics lines would otherwise run on the page's main thread while
/// the browser applies the offer, and the steps of the answer wait for that thread
/// between them (a trace showed 4-7 ms of it per call). The agent sees the call a few
/// milliseconds later, already answered.
#[derive(Default)]
struct Outbox {
    actions: Vec<Action>,
    answering: Option<CallId>,
    hold_over: Option<Timeout>,
}

impl Outbox {
    /// Nothing is held any more (the timer, if any, is cancelled).
    fn stop_holding(&mut self) {
        self.answering = None;
        self.hold_over = None;
    }
}

struct State {
    ua: UserAgent,
    ws_url: String,
    media: Media,
    report: Report,
    connection: Option<Connection>,
    /// Bumped on every new connection so events of an old socket are ignored.
    generation: u32,
    attempt: u32,
    /// When to try connecting again.
    reconnect: Option<Timeout>,
    /// Gives up on a socket that is still opening.
    connect_timeout: Option<Timeout>,
    timer: Option<(u64, Timeout)>,
    stopped: bool,
    /// The call whose microphone could not be opened, for its end message.
    microphone_failed: Option<(CallId, MediaFailure)>,
    /// Calls answered (200 OK sent) and not ended yet: their end message says "ended".
    answered: Vec<CallId>,
    /// QA builds: auto-answer may be switched and the dialpad may call.
    dev_features: bool,
    /// How a refused REGISTER reads: a 403 is "too many devices" on Wazo.
    broker_kind: BrokerKind,
    /// The number of a dialpad call whose id the core has not named yet.
    dialing: Option<String>,
    /// Removed from every diagnostics line (the SIP password).
    secrets: Vec<String>,
    outbox: Outbox,
    /// Where answered calls' quality goes (`media/stats.rs`).
    quality: Rc<QualitySink>,
    /// `qualityCollectorCallerNumber`: the ringing call's caller, for its records.
    quality_caller: Option<(CallId, String)>,
    caller_in_records: bool,
}

struct Shared {
    state: RefCell<Option<State>>,
    queue: RefCell<VecDeque<Input>>,
}

/// Handle to the running driver. Dropping it does not stop it: call [`Driver::shutdown`].
#[derive(Clone)]
pub struct Driver(Rc<Shared>);

impl Driver {
    /// Starts the phone for `account` and connects, on `early` if that socket was
    /// opened to the same URL during start-up and is still usable (its REGISTER then
    /// goes out the moment both are ready).
    /// `preview`: a supervisor's line, which watches agents and never answers (the core
    /// rejects every INVITE with 480 before any media is asked for).
    pub fn start(
        config: &GadgetConfig,
        account: SipAccount,
        number: &str,
        agent_state: &str,
        preview: bool,
        report: Report,
        early: Option<Connection>,
    ) -> Result<Self, String> {
        clock::mark("driver");
        let shared = Rc::new(Shared {
            state: RefCell::new(None),
            queue: RefCell::new(VecDeque::new()),
        });
        let weak = Rc::downgrade(&shared);
        let media = Media::new(&config.ice_servers, move |result| {
            send(&weak, Input::Media(result));
        })?;
        let mut sip = sip_config(config, &account);
        sip.auto_answer.never_answer = preview;
        if preview {
            sip.auto_answer.enabled = false;
        }
        let mut ua = UserAgent::new(sip, Box::new(random::BrowserRandom));
        let now = Instant(clock::now());
        let secrets = vec![account.password.clone()];
        let quality = Rc::new(QualitySink {
            report: report.clone(),
            collector: config.quality_collector.clone(),
            line: account.aor_user.clone(),
            number: number.to_string(),
            interval_s: config.quality_collector_interval_s,
        });
        ua.handle_agent_state(AgentState::from_finesse(agent_state), now);
        // Registration is wanted from now on; the core sends REGISTER once connected.
        ua.handle_command(Command::Register, now);
        *shared.state.borrow_mut() = Some(State {
            ua,
            ws_url: account.ws_url,
            media,
            report,
            connection: None,
            generation: 0,
            attempt: 0,
            reconnect: None,
            connect_timeout: None,
            timer: None,
            stopped: false,
            microphone_failed: None,
            answered: Vec::new(),
            dev_features: config.dev_features,
            broker_kind: config.broker_kind,
            dialing: None,
            secrets,
            outbox: Outbox::default(),
            quality,
            quality_caller: None,
            caller_in_records: config.quality_collector_caller_number,
        });
        let driver = Driver(shared);
        let early = early.filter(|c| c.usable() && c.url() == account_url(&driver));
        driver.with_state(|state, weak| match early {
            Some(connection) => state.adopt(connection, weak),
            None => state.connect(weak),
        });
        // Events the early socket held back (its open, maybe a frame) were queued while
        // the state was borrowed: run them now.
        pump(&driver.0);
        Ok(driver)
    }

    pub fn command(&self, command: UserCommand) {
        self.input(Input::Command(command));
    }

    /// Supervisor preview: watch these agents' phones (replaces the previous set).
    pub fn watch(&self, numbers: Vec<String>) {
        self.input(Input::Watch(numbers));
    }

    /// The agent's microphone choice changed: calls in progress follow it.
    pub fn microphone_changed(&self) {
        self.input(Input::MicrophoneChanged);
    }

    pub fn agent_state(&self, finesse_state: &str) {
        self.input(Input::AgentState(finesse_state.to_string()));
    }

    /// Unregisters (Expires: 0), ends calls, closes the socket. Synchronous, so
    /// it works from `pagehide`.
    pub fn shutdown(&self, reason: &str) {
        self.input(Input::Shutdown(reason.to_string()));
    }

    fn input(&self, input: Input) {
        self.0.queue.borrow_mut().push_back(input);
        pump(&self.0);
    }

    fn with_state(&self, f: impl FnOnce(&mut State, &Weak<Shared>)) {
        let weak = Rc::downgrade(&self.0);
        if let Some(state) = self.0.state.borrow_mut().as_mut() {
            f(state, &weak);
            state.drain(&weak);
        }
    }
}

fn account_url(driver: &Driver) -> String {
    driver
        .0
        .state
        .borrow()
        .as_ref()
        .map(|s| s.ws_url.clone())
        .unwrap_or_default()
}

fn send(weak: &Weak<Shared>, input: Input) {
    if let Some(shared) = weak.upgrade() {
        shared.queue.borrow_mut().push_back(input);
        pump(&shared);
    }
}

/// Processes queued inputs unless an outer call is already doing so.
fn pump(shared: &Rc<Shared>) {
    let weak = Rc::downgrade(shared);
    loop {
        let Ok(mut slot) = shared.state.try_borrow_mut() else {
            return; // the outer pump will see the queued input
        };
        let Some(input) = shared.queue.borrow_mut().pop_front() else {
            return;
        };
        if let Some(state) = slot.as_mut() {
            state.handle(input, &weak);
            state.drain(&weak);
        }
    }
}

fn sip_config(config: &GadgetConfig, account: &SipAccount) -> Config {
    // OPTIONS by default: Asterisk (Wazo) never answers a client's CRLF ping on a
    // WebSocket, so CRLF would declare the flow dead after every ping.
    let keepalive = match config.keepalive_mode {
        KeepaliveMode::Options => KeepAlive::options_every(config.keepalive_s),
        KeepaliveMode::Crlf => KeepAlive::crlf_every(config.keepalive_s),
    };
    Config {
        aor_user: account.aor_user.clone(),
        auth_user: account.auth_user.clone(),
        password: account.password.clone(),
        domain: account.domain.clone(),
        instance_id: storage::instance_id(),
        register_expires: config.register_expires_s,
        keepalive,
        auto_answer: AutoAnswerConfig {
            enabled: config.auto_answer.enabled,
            delay_ms: u64::from(config.auto_answer.delay_ms),
            allowed_states: config
                .auto_answer
                .allowed_states
                .iter()
                .map(|s| AgentState::from_finesse(s.finesse_name()))
                .collect(),
            ..AutoAnswerConfig::default()
        },
        user_agent: concat!("TTECPhone/", env!("CARGO_PKG_VERSION")).to_string(),
        ..Config::default()
    }
}

fn end_reason(reason: &EndReason) -> String {
    match reason {
        EndReason::RemoteBye => "Call ended: the caller hung up.".into(),
        EndReason::LocalHangUp => "Call ended: you hung up.".into(),
        EndReason::Cancelled => "Missed call: the caller hung up before the answer.".into(),
        EndReason::Rejected { status: 480 } => {
            "Call not answered: your Finesse state does not take calls.".into()
        }
        EndReason::Rejected { status: 486 } => {
            "Call not answered: you were already on a call.".into()
        }
        EndReason::Rejected { status } => format!("Call not answered (SIP {status})."),
        EndReason::NoAck => "Call dropped: the phone system did not confirm the answer.".into(),
        EndReason::MediaFailed => "Call ended: the audio connection failed.".into(),
        EndReason::MediaLost => {
            "Call ended: the audio connection was lost and could not be restored.".into()
        }
        EndReason::TransportLost => {
            "Call ended: the connection to the phone system was lost.".into()
        }
        EndReason::DialogLost => {
            "Call ended: the connection to the phone system was lost during the call.".into()
        }
        EndReason::SessionExpired => {
            "Call ended: the phone system stopped refreshing the call.".into()
        }
        EndReason::Timeout => "Call ended: the phone system stopped answering.".into(),
    }
}

impl State {
    fn now() -> Instant {
        Instant(clock::now())
    }

    /// One SIP message into the diagnostics (keep-alive CRLFs left out). It is redacted
    /// when the reports go to the store, not here: an INVITE's lines are held until its
    /// answer is out, and redacting them first would put that work (and, on a page's
    /// first call, its compile) before the answer. [`Self::release_reports`] removes the
    /// SIP password; the store's reducer applies every other rule to each trace line.
    fn trace(&mut self, kind: TraceKind, text: &str) {
        if text.trim().is_empty() {
            return;
        }
        self.report(Action::Trace(TraceEntry {
            at: js_sys::Date::now() as u64,
            kind,
            text: text.to_string(),
        }));
    }

    /// One report for the store, sent when this input is done (see [`Outbox`]).
    fn report(&mut self, action: Action) {
        self.outbox.actions.push(action);
    }

    /// The held reports go to the store, unless an answer is still being made.
    fn release_reports(&mut self) {
        if self.outbox.answering.is_some() {
            return;
        }
        let actions = std::mem::take(&mut self.outbox.actions);
        let known: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
        for mut action in actions {
            if let Action::Trace(entry) = &mut action {
                entry.text = remove_known(&entry.text, &known);
            }
            (self.report)(action);
        }
    }

    /// The answer for `call` is out (or will not be): its held reports may go.
    fn answer_done(&mut self, call: &CallId) {
        if self.outbox.answering.as_ref() == Some(call) {
            self.outbox.stop_holding();
        }
    }

    fn connect(&mut self, weak: &Weak<Shared>) {
        self.reconnect = None;
        self.generation = self.generation.wrapping_add(1);
        let generation = self.generation;
        let sink_weak = weak.clone();
        self.report(Action::Registration(Registration::Connecting));
        match Connection::open(&self.ws_url, move |event| {
            send(&sink_weak, Input::Transport { generation, event });
        }) {
            Ok(connection) => {
                self.connection = Some(connection);
                let weak = weak.clone();
                self.connect_timeout = Some(Timeout::new(CONNECT_TIMEOUT_MS, move || {
                    send(&weak, Input::ConnectTimeout { generation });
                }));
            }
            Err(reason) => self.schedule_reconnect(weak, reason),
        }
    }

    /// Takes over a socket opened during start-up (see [`Connection::open_early`]).
    fn adopt(&mut self, connection: Connection, weak: &Weak<Shared>) {
        self.reconnect = None;
        self.generation = self.generation.wrapping_add(1);
        let generation = self.generation;
        let sink_weak = weak.clone();
        self.report(Action::Registration(Registration::Connecting));
        let open = connection.is_open();
        connection.attach(move |event| {
            send(&sink_weak, Input::Transport { generation, event });
        });
        self.connection = Some(connection);
        if !open {
            let weak = weak.clone();
            self.connect_timeout = Some(Timeout::new(CONNECT_TIMEOUT_MS, move || {
                send(&weak, Input::ConnectTimeout { generation });
            }));
        }
    }

    fn schedule_reconnect(&mut self, weak: &Weak<Shared>, reason: String) {
        self.connection = None;
        self.connect_timeout = None;
        if self.stopped {
            return;
        }
        let delay = backoff::delay_ms(self.attempt, random::u32());
        self.attempt = self.attempt.saturating_add(1);
        let retry_at = clock::now() + delay;
        self.report(Action::Registration(Registration::Reconnecting {
            retry_at: Some(retry_at),
            reason,
        }));
        let generation = self.generation;
        let weak = weak.clone();
        self.reconnect = Some(Timeout::new(delay as u32, move || {
            send(&weak, Input::Reconnect { generation });
        }));
    }

    fn handle(&mut self, input: Input, weak: &Weak<Shared>) {
        let now = Self::now();
        match input {
            Input::Transport { generation, event } if generation == self.generation => {
                match event {
                    TransportEvent::Open => {
                        self.attempt = 0;
                        self.connect_timeout = None;
                        self.ua.handle_connected(now);
                    }
                    TransportEvent::Frame(text) => {
                        self.trace(TraceKind::SipIn, &text);
                        self.ua.handle_message(&text, now);
                    }
                    TransportEvent::Closed { code, reason } => {
                        self.ua.handle_disconnected(now);
                        self.schedule_reconnect(weak, describe_close(code, &reason));
                    }
                }
            }
            Input::Transport { .. } => {} // an old socket's late event
            Input::ConnectTimeout { generation } => {
                self.connect_timeout = None;
                let opening = self.connection.as_ref().is_some_and(|c| !c.is_open());
                if generation == self.generation && opening {
                    self.generation = self.generation.wrapping_add(1); // ignore that socket from now on
                    self.schedule_reconnect(
                        weak,
                        "the phone system did not answer the connection".into(),
                    );
                }
            }
            Input::Reconnect { generation } => {
                if generation == self.generation && self.connection.is_none() && !self.stopped {
                    self.connect(weak);
                }
            }
            Input::Timer => {
                self.timer = None;
                self.ua.handle_timeout(now);
            }
            Input::Media(result) => {
                self.media_problem(&result);
                let answered = match &result {
                    MediaResult::LocalSdp { call, .. } | MediaResult::Failed { call, .. } => {
                        Some(call.clone())
                    }
                    _ => None,
                };
                self.ua.handle_media(result, now);
                // The 200 OK (or the error response) goes out in this input's drain,
                // before the held reports.
                if let Some(call) = answered {
                    self.answer_done(&call);
                }
            }
            Input::AnswerHoldOver => self.outbox.stop_holding(),
            Input::Watch(targets) => self.ua.handle_command(Command::Watch { targets }, now),
            Input::AgentState(name) => self
                .ua
                .handle_agent_state(AgentState::from_finesse(&name), now),
            Input::Command(command) => self.command(command, now),
            Input::MicrophoneChanged => self.media.switch_microphone(),
            Input::Shutdown(reason) => {
                self.stopped = true;
                self.ua.handle_command(Command::Unregister, now);
                self.flush();
                self.connection = None;
                self.reconnect = None;
                self.connect_timeout = None;
                self.timer = None;
                self.outbox.stop_holding();
                self.report(Action::Registration(Registration::Unregistered { reason }));
            }
        }
    }

    /// A blocked or missing microphone is the agent's to fix: the store shows
    /// it (the core rejects the call with 480); a microphone that opens clears it.
    fn media_problem(&mut self, result: &MediaResult) {
        if let MediaResult::Failed {
            call,
            reason:
                reason @ (MediaFailure::MicrophoneDenied
                | MediaFailure::NoMicrophone
                | MediaFailure::MicrophoneBusy),
        } = result
        {
            self.microphone_failed = Some((call.clone(), reason.clone()));
        }
        let problem = match result {
            MediaResult::Failed {
                reason: MediaFailure::MicrophoneDenied,
                ..
            } => Some(MediaProblem::MicrophoneDenied),
            MediaResult::Failed {
                reason: MediaFailure::NoMicrophone,
                ..
            } => Some(MediaProblem::NoMicrophone),
            MediaResult::LocalSdp { .. } => None,
            _ => return,
        };
        self.report(Action::MediaProblem(problem));
    }

    fn command(&mut self, command: UserCommand, now: Instant) {
        let call = |id: &str| CallId::new(id);
        match command {
            UserCommand::Answer { call: id } => self
                .ua
                .handle_command(Command::Answer { call: call(&id) }, now),
            UserCommand::Reject { call: id } => self.ua.handle_command(
                Command::Reject {
                    call: call(&id),
                    status: 486,
                },
                now,
            ),
            UserCommand::HangUp { call: id } => self
                .ua
                .handle_command(Command::HangUp { call: call(&id) }, now),
            UserCommand::Mute { call: id, muted } => {
                let applied = self.media.set_muted(&call(&id), muted);
                if applied {
                    self.report(Action::Muted { id, muted });
                }
            }
            // Only QA builds can switch auto-answer or call out.
            UserCommand::SetAutoAnswer(on) if self.dev_features => {
                self.ua.handle_command(Command::SetAutoAnswer(on), now)
            }
            // Development-only outcalling: not in the shipped build (see Cargo.toml).
            #[cfg(feature = "outcall")]
            UserCommand::Call { target } if self.dev_features => {
                self.dialing = Some(target.clone());
                self.ua.handle_command(Command::Call { target }, now);
            }
            // Everything else is the page's own business (panels, devices, audio test).
            _ => {}
        }
    }

    fn flush(&mut self) {
        while let Some(frame) = self.ua.poll_transmit() {
            // Sent first, then traced: the diagnostics line never delays the message.
            if let Some(connection) = self.connection.as_ref().filter(|c| c.is_open()) {
                let _ = connection.send(&frame);
            }
            self.trace(TraceKind::SipOut, &frame);
        }
    }

    /// Performs everything the core produced, then re-arms the one timer.
    fn drain(&mut self, weak: &Weak<Shared>) {
        self.flush();
        while let Some(event) = self.ua.poll_event() {
            self.event(event, weak);
            self.flush();
        }
        // A dialpad number the core did not turn into a call (not connected) is dropped.
        self.dialing = None;
        self.release_reports();
        if self.stopped {
            return;
        }
        match self.ua.poll_timeout() {
            Some(Instant(at)) if self.timer.as_ref().map(|(t, _)| *t) != Some(at) => {
                let delay = at.saturating_sub(clock::now()).min(u64::from(u32::MAX)) as u32;
                let weak = weak.clone();
                self.timer = Some((at, Timeout::new(delay, move || send(&weak, Input::Timer))));
            }
            Some(_) => {}
            None => self.timer = None,
        }
    }

    fn event(&mut self, event: Event, weak: &Weak<Shared>) {
        let now = clock::now();
        let action = match event {
            // While the socket is down the transport's own "reconnecting in N s"
            // says more than the core's "waiting for a connection".
            Event::Registration(RegistrationState::Failed { retry_at: None, .. })
                if self.connection.is_none() =>
            {
                return;
            }
            Event::Registration(state) => Action::Registration(match state {
                RegistrationState::Registering => Registration::Registering,
                RegistrationState::Registered { expires_s } => {
                    Registration::Registered { expires_s }
                }
                RegistrationState::Unregistered { reason } => Registration::Unregistered { reason },
                RegistrationState::AuthFailed { status } => {
                    Registration::sip_auth_failed(status, self.broker_kind)
                }
                RegistrationState::Failed { reason, retry_at } => Registration::Reconnecting {
                    retry_at: retry_at.map(|i| i.0),
                    reason,
                },
            }),
            Event::FlowDead => {
                // The socket is open but the broker stopped answering: start over.
                self.ua.handle_disconnected(Self::now());
                self.schedule_reconnect(
                    weak,
                    "the phone system stopped answering keep-alives".into(),
                );
                return;
            }
            Event::IncomingCall {
                call,
                caller,
                auto_answer_at,
            } => {
                if self.caller_in_records {
                    self.quality_caller = Some((call.clone(), caller.number.clone()));
                }
                Action::IncomingCall {
                    id: call.to_string(),
                    caller_number: caller.number,
                    caller_name: caller.display_name,
                    answer_at: auto_answer_at.map(|i| i.0),
                }
            }
            Event::Media(request) => {
                let answering = match &request {
                    MediaRequest::CreateAnswer { call, .. } => Some(call.clone()),
                    _ => None,
                };
                if let (MediaRequest::CreateOffer { call }, Some(number)) =
                    (&request, self.dialing.take())
                {
                    self.report(Action::Dialing {
                        id: call.to_string(),
                        number,
                    });
                }
                if self.media.handle(request) {
                    // Answered at once: the store hears of it once the answer is made.
                    if let Some(call) = answering {
                        let weak = weak.clone();
                        self.outbox.answering = Some(call);
                        self.outbox.hold_over = Some(Timeout::new(ANSWER_HOLD_MAX_MS, move || {
                            send(&weak, Input::AnswerHoldOver)
                        }));
                    }
                }
                return;
            }
            Event::CallAnswered { call } => {
                let caller = self.quality_caller.take().filter(|(id, _)| *id == call);
                let caller_number = caller.map(|(_, number)| number);
                self.media
                    .sample_quality(&call, self.quality.clone(), caller_number);
                self.answered.push(call.clone());
                Action::Connected {
                    id: call.to_string(),
                    at: now,
                }
            }
            Event::MediaPath { call, reconnecting } => Action::MediaPath {
                id: call.to_string(),
                reconnecting,
            },
            Event::CallHeld { call, held } => Action::Held {
                id: call.to_string(),
                held,
            },
            Event::CallEnded { call, reason } => {
                self.answer_done(&call);
                let microphone = self.microphone_failed.take().filter(|(id, _)| *id == call);
                let answered = self.answered.contains(&call);
                self.answered.retain(|id| *id != call);
                let microphone = match (&reason, microphone) {
                    (EndReason::MediaFailed, Some((_, failure))) => match failure {
                        MediaFailure::MicrophoneDenied => Some("the microphone is blocked"),
                        MediaFailure::NoMicrophone => Some("no microphone found"),
                        MediaFailure::MicrophoneBusy => {
                            Some("the microphone is in use by another application")
                        }
                        MediaFailure::Other(_) => None,
                    },
                    _ => None,
                };
                Action::Ended {
                    id: call.to_string(),
                    reason: match (microphone, answered) {
                        // Answered before the microphone opened, and then it did not.
                        (Some(what), true) => format!("Call ended: {what}."),
                        (Some(what), false) => format!("Call not answered: {what}."),
                        (None, _) => end_reason(&reason),
                    },
                }
            }
            Event::Dtmf { .. } => return,
            Event::PeerState { target, status } => Action::Team(TeamAction::Phone {
                number: target,
                phone: PeerPhone::from_word(status.as_str()),
            }),
            Event::Warning(text) => {
                gloo::console::debug!(format!("sip: {text}"));
                return;
            }
        };
        self.report(action);
    }
}
