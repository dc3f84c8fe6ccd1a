//! The Finesse bridge: watches the logged-in user through finesse.js and
//! turns what it sees into store actions. No phone logic lives here.
//!
//! Finesse starts a gadget by calling `gadgets.HubSettings.onConnect`; the
//! gadget's CDATA turns that into the promise `window.TTEC.hub`, which we
//! await before touching finesse.js (as Cisco's sample gadgets do).

mod ffi;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Object, Promise, Reflect};
use ttecphone_components::config::NumberRule;
use ttecphone_components::store::{
    finesse_retry_ms, Action, AgentInfo, AgentState, FinesseObject, FinesseTrouble,
    FAILOVER_TRUST_MS, FINESSE_RETRIES,
};
use ttecphone_components::team::{TeamAction, TeamMember};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// What the bridge reports to the app.
pub trait Sink: 'static {
    fn dispatch(&self, action: Action);
    /// A line in the diagnostics trace (no secrets: status codes and names only).
    fn trace(&self, text: String);
}

/// Finesse-provided credentials for the broker login (never logged or displayed).
#[derive(Clone)]
pub struct FinesseCredentials {
    pub id: String,
    /// What `authorization` and `authToken` hold, read before `ClientServices.init`:
    /// a password (Basic), an SSO bearer token, or nothing ([`ttecphone_components::sso::classify`]).
    pub auth: ttecphone_components::sso::FinesseAuth,
}

impl std::fmt::Debug for FinesseCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FinesseCredentials")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

fn global(path: &[&str]) -> Option<JsValue> {
    let mut value: JsValue = js_sys::global().into();
    for name in path {
        if value.is_undefined() || value.is_null() {
            return None;
        }
        value = Reflect::get(&value, &JsValue::from_str(name)).ok()?;
    }
    (!value.is_undefined() && !value.is_null()).then_some(value)
}

fn string_field(object: &JsValue, name: &str) -> Option<String> {
    Reflect::get(object, &JsValue::from_str(name))
        .ok()?
        .as_string()
        .filter(|s| !s.is_empty())
}

/// `gadgets.window.adjustHeight()`: the gadget's iframe follows its content
/// (a popover opened or closed). Nothing happens outside a gadget container.
pub fn adjust_height() {
    if global(&["gadgets", "window", "adjustHeight"]).is_some() {
        let _ = ffi::adjust_height();
    }
}

/// True when the page runs inside Finesse (or the mock), i.e. finesse.js loaded.
pub fn available() -> bool {
    global(&["finesse", "restservices", "User"]).is_some()
}

/// Waits for the container's hub to connect (`window.TTEC.hub`), if the gadget set one up.
pub async fn hub_connected() {
    if let Some(hub) = global(&["TTEC", "hub"]) {
        if let Ok(promise) = hub.dyn_into::<Promise>() {
            let _ = JsFuture::from(promise).await;
        }
    }
}

/// The user prefs Finesse passes from the gadget URL, for the given keys.
pub fn user_prefs(keys: &[&str]) -> Vec<(String, String)> {
    if global(&["gadgets", "Prefs"]).is_none() {
        return Vec::new();
    }
    let Ok(prefs) = ffi::Prefs::new() else {
        return Vec::new();
    };
    keys.iter()
        .filter_map(|key| {
            let value = prefs.get_string(key).as_string()?;
            (!value.is_empty()).then(|| ((*key).to_string(), value))
        })
        .collect()
}

/// Who the agent is, read from `finesse.gadget.Config` once, before
/// `ClientServices.init` rewrites that object (it sets `Config.id` from `authorization`
/// and adds the password in clear text, which the gadget never reads). Everything after
/// start-up (the tab lock, the broker sign-in, the User, later phones) uses this copy.
#[derive(Clone)]
pub struct Identity {
    pub credentials: FinesseCredentials,
    /// `mobileAgentMode` and `mobileAgentDialNumber`: a mobile agent's WebRTC number,
    /// known before the User loads.
    mobile_number: Option<String>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("id", &self.credentials.id)
            .field("mobile_number", &self.mobile_number)
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// `None` while Config does not name the agent (Finesse 11.x+ may fill it only at
    /// `onConnect`). Reads `id`, `authorization`, `authToken` (SSO), `mobileAgentMode` and
    /// `mobileAgentDialNumber`, field by field: never `password`, never the whole object.
    pub fn read() -> Option<Self> {
        let config = global(&["finesse", "gadget", "Config"])?;
        let id = string_field(&config, "id")?;
        let mobile_number = string_field(&config, "mobileAgentMode")
            .and_then(|_| string_field(&config, "mobileAgentDialNumber"));
        Some(Self {
            credentials: FinesseCredentials {
                auth: ttecphone_components::sso::classify(
                    &id,
                    string_field(&config, "authorization").as_deref(),
                    string_field(&config, "authToken").as_deref(),
                ),
                id,
            },
            mobile_number,
        })
    }

    pub fn id(&self) -> &str {
        &self.credentials.id
    }

    /// The WebRTC number of a mobile agent as Config gives it, before the User loads:
    /// the phone registers meanwhile. `None`: the phone waits for the User.
    pub fn mobile_number(&self) -> Option<&str> {
        self.mobile_number.as_deref()
    }
}

/// A number Finesse handed over as a JS number (an id), written the way JS writes it.
fn number_text(n: f64) -> String {
    js_sys::Number::from(n)
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default()
}

fn call_string(result: Result<JsValue, JsValue>) -> String {
    match result {
        Ok(v) => v
            .as_string()
            .or_else(|| v.as_f64().map(number_text))
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

fn call_bool(result: Result<JsValue, JsValue>) -> bool {
    result.ok().and_then(|v| v.as_bool()).unwrap_or(false)
}

fn agent_info(user: &ffi::User, rule: &NumberRule) -> AgentInfo {
    let extension = call_string(user.get_extension());
    let dial_number = call_string(user.get_mobile_agent_dial_number());
    let mobile_agent = call_bool(user.is_mobile_agent());
    let supervisor = call_bool(user.has_supervisor_role());
    // A supervisor who is not a mobile agent registers (in preview) the number the
    // rule gives for the Finesse extension: that is the supervisor's SIP identity.
    let webrtc_number = if !dial_number.is_empty() {
        Some(dial_number)
    } else if mobile_agent || supervisor {
        rule.apply(&extension)
    } else {
        None
    };
    AgentInfo {
        id: call_string(user.get_id()),
        extension,
        mobile_agent,
        supervisor,
        webrtc_number,
        state: AgentState::from_finesse(&call_string(user.get_state())),
    }
}

/// Preview mode: forced by config, or a supervisor who is not a mobile agent with a
/// WebRTC number.
pub fn is_preview(forced: bool, supervisor: bool, mobile_agent: bool, dial_number: bool) -> bool {
    forced || (supervisor && !(mobile_agent && dial_number))
}

/// What finesse.js handed an `onError` callback: the HTTP status, 0 when it gave none.
fn error_status(error: &JsValue) -> u16 {
    let Ok(status) = Reflect::get(error, &JsValue::from_str("status")) else {
        return 0;
    };
    match status.as_f64() {
        Some(n) if (0.0..1000.0).contains(&n) => n as u16,
        Some(_) => 0,
        // Integer text only: float parsing would add kilobytes to the wasm.
        None => status.as_string().and_then(|s| s.parse().ok()).unwrap_or(0),
    }
}

/// An `onError` reached us: the bar says so, the trace has a line, and `again` runs
/// after the bounded backoff of [`finesse_retry_ms`] (if asking again can help).
fn failed(
    sink: &dyn Sink,
    what: FinesseObject,
    status: u16,
    attempt: u32,
    again: impl FnOnce() + 'static,
) {
    let delay = finesse_retry_ms(what, status, attempt);
    let name = match what {
        FinesseObject::Services => "ClientServices.init",
        FinesseObject::User => "the User GET",
        FinesseObject::Team => "a Team or its Users",
        FinesseObject::Failover => "the connection",
    };
    let next = match delay {
        Some(ms) => format!("asking again in {} s", ms / 1000),
        None => "not asking again".into(),
    };
    sink.trace(format!(
        "Finesse: {name} failed (HTTP {status}, try {} of {}); {next}",
        attempt + 1,
        FINESSE_RETRIES + 1
    ));
    sink.dispatch(Action::Finesse(Some(FinesseTrouble {
        what,
        status,
        retry_at: delay.map(|ms| crate::clock::now() + u64::from(ms)),
    })));
    if let Some(ms) = delay {
        gloo::timers::callback::Timeout::new(ms, again).forget();
    }
}

/// A finesse.js options object: `{ id, onLoad, onChange, onError, … }`.
fn options(id: Option<&str>, handlers: &[(&str, &JsValue)]) -> Object {
    let options = Object::new();
    if let Some(id) = id {
        let _ = Reflect::set(&options, &"id".into(), &JsValue::from_str(id));
    }
    for (name, handler) in handlers {
        let _ = Reflect::set(&options, &JsValue::from_str(name), handler);
    }
    options
}

/// Starts finesse.js's services (`ClientServices.init` with `finesse.gadget.Config`,
/// which it rewrites; the gadget has read what it needs already, see [`Identity`]) and
/// watches the agent's User: `AgentLoaded` on load and on every change. In preview mode
/// also `Team(Preview(true))` and the supervised teams' rosters. A failed User GET
/// reaches `onError`: the bar names Finesse, and the User is asked for again with a
/// bounded backoff (never after 401/403: only signing in again helps).
pub fn watch_user(identity: &Identity, sink: impl Sink, rule: NumberRule, preview_forced: bool) {
    let sink: Rc<dyn Sink> = Rc::new(sink);
    let started = global(&["finesse", "gadget", "Config"])
        .ok_or(JsValue::NULL)
        .and_then(|config| ffi::client_services_init(&config));
    if started.is_err() {
        // Runs once per page: no retry; the error's text is not shown (it may quote Config).
        failed(&*sink, FinesseObject::Services, 0, 0, || {});
        return;
    }
    let _ = ffi::container_services_init();
    watch_failover(sink.clone());

    let on_load = {
        let (sink, rule) = (sink.clone(), rule.clone());
        Closure::<dyn FnMut(ffi::User)>::new(move |user: ffi::User| {
            AGENT.with(|agent| agent.replace(Some(user.clone())));
            let info = agent_info(&user, &rule);
            let dial_number = !call_string(user.get_mobile_agent_dial_number()).is_empty();
            let preview = is_preview(
                preview_forced,
                info.supervisor,
                info.mobile_agent,
                dial_number,
            );
            sink.dispatch(Action::AgentLoaded(info));
            sink.dispatch(Action::Team(TeamAction::Preview(preview)));
            if preview {
                watch_teams(sink.clone(), &user, rule.clone());
            }
        })
    };
    let on_change = {
        let sink = sink.clone();
        Closure::<dyn FnMut(ffi::User)>::new(move |user: ffi::User| {
            sink.dispatch(Action::AgentLoaded(agent_info(&user, &rule)));
        })
    };
    let load = Rc::new(UserLoad {
        id: identity.id().to_string(),
        sink,
        handlers: Default::default(),
        attempt: Cell::new(0),
    });
    let on_error = {
        let load = Rc::downgrade(&load);
        Closure::<dyn FnMut(JsValue)>::new(move |error: JsValue| {
            let Some(load) = load.upgrade() else { return };
            let attempt = load.attempt.get();
            load.attempt.set(attempt + 1);
            let again = load.clone();
            failed(
                &*load.sink,
                FinesseObject::User,
                error_status(&error),
                attempt,
                move || {
                    again.create();
                },
            );
        })
    };
    *load.handlers.borrow_mut() = vec![
        ("onLoad", on_load.as_ref().clone()),
        ("onChange", on_change.as_ref().clone()),
        ("onError", on_error.as_ref().clone()),
    ];
    // The User lives as long as the page; so must its handlers (and `load`, whose
    // handlers a retry passes again).
    on_load.forget();
    on_change.forget();
    on_error.forget();
    load.create();
    std::mem::forget(load);
}

thread_local! {
    /// The agent's loaded User: routing's state changes go through it.
    static AGENT: RefCell<Option<ffi::User>> = const { RefCell::new(None) };
}

/// Routing follows the phone: `user.setState(READY | NOT_READY, reasonCode, handlers)`
/// (a PUT answered 202, then the User's change event brings the new state).
/// `answered` gets the HTTP status (0 when finesse.js gave none, or no User is loaded).
pub fn set_state(ready: bool, reason_code_id: Option<u32>, answered: impl FnOnce(u16) + 'static) {
    let Some(user) = AGENT.with(|agent| agent.borrow().clone()) else {
        answered(0);
        return;
    };
    // `success` or `error`, whichever finesse.js calls first, answers once.
    type Once = Rc<Cell<Option<Box<dyn FnOnce(u16)>>>>;
    let answered: Once = Rc::new(Cell::new(Some(Box::new(answered))));
    let handler = |answered: Once| {
        Closure::once_into_js(move |response: JsValue| {
            if let Some(answered) = answered.take() {
                answered(error_status(&response));
            }
        })
    };
    // finesse.js reads the reason code's `id` (a ReasonCode object); none: no reason.
    let reason = match reason_code_id {
        Some(id) => options(Some(&id.to_string()), &[]).into(),
        None => JsValue::NULL,
    };
    let handlers = options(
        None,
        &[
            ("success", &handler(answered.clone())),
            ("error", &handler(answered.clone())),
        ],
    );
    let state = if ready { "READY" } else { "NOT_READY" };
    if user.set_state(state, &reason, &handlers).is_err() {
        if let Some(answered) = answered.take() {
            answered(0);
        }
    }
}

/// Finesse failover (`ClientServices.registerOnDisconnectHandler` / `…OnConnectHandler`):
/// the bar says so while it lasts, the phone stays registered, and auto-answer follows
/// the last known Finesse state for [`FAILOVER_TRUST_MS`] at most (the documented
/// policy); after that the state counts as unknown until Finesse is back, when
/// finesse.js re-reads the User (its `onChange` brings the state).
fn watch_failover(sink: Rc<dyn Sink>) {
    // Bumped at every disconnect and connect: a bound's timer of an older failover is void.
    let epoch = Rc::new(Cell::new(0u32));
    let on_disconnect = {
        let (sink, epoch) = (sink.clone(), epoch.clone());
        Closure::<dyn FnMut()>::new(move || {
            let mine = epoch.get() + 1;
            epoch.set(mine);
            sink.trace(format!(
                "Finesse: disconnected (failover); calls follow the last known state for {} s",
                FAILOVER_TRUST_MS / 1000
            ));
            sink.dispatch(Action::Finesse(Some(FinesseTrouble {
                what: FinesseObject::Failover,
                status: 0,
                retry_at: None,
            })));
            let (sink, epoch) = (sink.clone(), epoch.clone());
            gloo::timers::callback::Timeout::new(FAILOVER_TRUST_MS, move || {
                if epoch.get() == mine {
                    sink.trace("Finesse: still failing over; auto-answer paused".into());
                    sink.dispatch(Action::AgentStateChanged(AgentState::Unknown));
                }
            })
            .forget();
        })
    };
    let on_connect = Closure::<dyn FnMut()>::new(move || {
        // Odd: a disconnect is the latest event (the first connect may come at start-up).
        if epoch.get() % 2 == 1 {
            epoch.set(epoch.get() + 1);
            sink.trace("Finesse: connected again".into());
            sink.dispatch(Action::Finesse(None));
        }
    });
    let registered = ffi::register_on_disconnect_handler(on_disconnect.as_ref())
        .and_then(|()| ffi::register_on_connect_handler(on_connect.as_ref()));
    if registered.is_ok() {
        on_disconnect.forget();
        on_connect.forget();
    }
}

/// The agent's User, created again on a retry with the same handlers.
struct UserLoad {
    id: String,
    sink: Rc<dyn Sink>,
    handlers: RefCell<Vec<(&'static str, JsValue)>>,
    attempt: Cell<u32>,
}

impl UserLoad {
    fn create(&self) {
        let handlers = self.handlers.borrow();
        let handlers: Vec<(&str, &JsValue)> = handlers.iter().map(|(k, v)| (*k, v)).collect();
        // finesse.js logs constructor problems and swallows them; a throw here is a mock's.
        if ffi::User::new(&options(Some(&self.id), &handlers)).is_err() {
            self.sink
                .trace("Finesse: finesse.restservices.User could not be created".into());
        }
    }
}

fn team_member(user: &ffi::User, rule: &NumberRule) -> TeamMember {
    let id = call_string(user.get_id());
    let name = format!(
        "{} {}",
        call_string(user.get_first_name()),
        call_string(user.get_last_name())
    )
    .trim()
    .to_string();
    // Team data carries the extension; the dial number when Finesse gives it.
    let dial_number = call_string(user.get_mobile_agent_dial_number());
    let number = if dial_number.is_empty() {
        rule.apply(&call_string(user.get_extension()))
    } else {
        Some(dial_number)
    };
    TeamMember {
        name: if name.is_empty() { id.clone() } else { name },
        id,
        number,
        state: AgentState::from_finesse(&call_string(user.get_state())),
    }
}

fn object_values(object: &JsValue) -> Vec<JsValue> {
    match object.dyn_ref::<Object>() {
        Some(o) => Object::values(o).iter().collect(),
        None => Vec::new(),
    }
}

/// Supervisor preview: loads the users of every team `user` supervises
/// (`getSupervisedTeams()` → `new Team({id})` → `team.getUsers()`), dispatches the
/// whole roster, then each agent's changes (`user.addHandler('change')`). A Team or
/// Users subscription that fails reaches `onError`: the bar says so and the team is
/// asked for again with a bounded backoff.
pub fn watch_teams(sink: Rc<dyn Sink>, user: &ffi::User, rule: NumberRule) {
    let teams = user.get_supervised_teams().unwrap_or(JsValue::UNDEFINED);
    let teams: Vec<JsValue> = match teams.dyn_ref::<js_sys::Array>() {
        Some(a) => a.iter().collect(),
        None => Vec::new(),
    };
    let roster: Roster = Default::default();
    sink.dispatch(Action::Team(TeamAction::Roster(Vec::new())));
    for team in teams {
        let Some(team_id) = string_field(&team, "id").or_else(|| {
            Reflect::get(&team, &JsValue::from_str("id"))
                .ok()?
                .as_f64()
                .map(number_text)
        }) else {
            continue;
        };
        load_team(
            Rc::new(TeamLoad {
                id: team_id,
                sink: sink.clone(),
                rule: rule.clone(),
                roster: roster.clone(),
            }),
            0,
        );
    }
}

/// Each supervised team's members, by team id, in the order the teams loaded.
type Roster = Rc<RefCell<Vec<(String, Vec<TeamMember>)>>>;

/// One supervised team being loaded.
struct TeamLoad {
    id: String,
    sink: Rc<dyn Sink>,
    rule: NumberRule,
    roster: Roster,
}

/// `new Team({id, onLoad, onError})`, then `team.getUsers({onLoad, onError})`; either
/// error asks for the team again (try `attempt`, bounded).
fn load_team(load: Rc<TeamLoad>, attempt: u32) {
    let on_team = {
        let load = load.clone();
        Closure::once_into_js(move |team: ffi::Team| {
            let on_error = team_error(load.clone(), attempt);
            let (on_add, on_delete) = (membership(&load, true), membership(&load, false));
            let on_users = Closure::once_into_js(move |users: ffi::Users| {
                team_loaded(&load, &users);
            });
            let handlers = options(
                None,
                &[
                    ("onLoad", &on_users),
                    ("onCollectionAdd", &on_add),
                    ("onCollectionDelete", &on_delete),
                    ("onError", &on_error),
                ],
            );
            let _ = team.get_users(&handlers);
        })
    };
    let on_error = team_error(load.clone(), attempt);
    let options = options(
        Some(&load.id),
        &[("onLoad", &on_team), ("onError", &on_error)],
    );
    if ffi::Team::new_team(&options).is_err() {
        load.sink
            .trace("Finesse: finesse.restservices.Team could not be created".into());
    }
}

/// The `onError` of a Team or its Users: the team is asked for again (bounded).
fn team_error(load: Rc<TeamLoad>, attempt: u32) -> JsValue {
    Closure::once_into_js(move |error: JsValue| {
        let again = load.clone();
        failed(
            &*load.sink,
            FinesseObject::Team,
            error_status(&error),
            attempt,
            move || load_team(again, attempt + 1),
        );
    })
}

/// A team's Users loaded: its members join the roster, and each one's changes follow.
fn team_loaded(load: &TeamLoad, users: &ffi::Users) {
    let members: Vec<ffi::User> = object_values(&users.get_collection().unwrap_or(JsValue::NULL))
        .into_iter()
        .map(|u| u.unchecked_into::<ffi::User>())
        .collect();
    members.iter().for_each(|member| follow(load, member));
    *team_of(&mut load.roster.borrow_mut(), &load.id) =
        members.iter().map(|u| team_member(u, &load.rule)).collect();
    let all: Vec<TeamMember> = load
        .roster
        .borrow()
        .iter()
        .flat_map(|(_, team)| team)
        .cloned()
        .collect();
    load.sink.dispatch(Action::Team(TeamAction::Roster(all)));
}

/// The members of team `id` in the roster (a new, empty entry for a team not in it yet).
fn team_of<'a>(
    roster: &'a mut Vec<(String, Vec<TeamMember>)>,
    id: &str,
) -> &'a mut Vec<TeamMember> {
    let at = match roster.iter().position(|(team, _)| team == id) {
        Some(at) => at,
        None => {
            roster.push((id.to_string(), Vec::new()));
            roster.len() - 1
        }
    };
    &mut roster[at].1
}

/// Each agent's changes (`user.addHandler('change')`) reach the board.
fn follow(load: &TeamLoad, member: &ffi::User) {
    let (sink, rule) = (load.sink.clone(), load.rule.clone());
    let on_change = Closure::<dyn FnMut(ffi::User)>::new(move |u: ffi::User| {
        sink.dispatch(Action::Team(TeamAction::Member(team_member(&u, &rule))));
    });
    let _ = member.add_handler("change", on_change.as_ref());
    on_change.forget();
}

/// The collection's `onCollectionAdd` / `onCollectionDelete`: an agent joined or left
/// the team after it loaded (issue 19, item 4). Live as long as the page.
fn membership(load: &Rc<TeamLoad>, added: bool) -> JsValue {
    let load = load.clone();
    Closure::<dyn FnMut(ffi::User)>::new(move |user: ffi::User| {
        let member = team_member(&user, &load.rule);
        let mut roster = load.roster.borrow_mut();
        let team = team_of(&mut roster, &load.id);
        team.retain(|m| m.id != member.id);
        if added {
            team.push(member.clone());
        }
        drop(roster);
        if added {
            follow(&load, &user);
            load.sink.dispatch(Action::Team(TeamAction::Member(member)));
        } else {
            load.sink
                .dispatch(Action::Team(TeamAction::Removed { id: member.id }));
        }
    })
    .into_js_value()
}
