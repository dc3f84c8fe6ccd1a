//! The Finesse bridge: watches the logged-in user through finesse.js and
//! turns what it sees into store actions. No phone logic lives here.
//!
//! Finesse starts a gadget by calling `gadgets.HubSettings.onConnect`; the
//! gadget's CDATA turns that into the promise `window.TTEC.hub`, which we
//! await before touching finesse.js (as Cisco's sample gadgets do).

mod ffi;

use js_sys::{Object, Promise, Reflect};
use ttecphone_components::config::NumberRule;
use ttecphone_components::store::{Action, AgentInfo, AgentState};
use ttecphone_components::team::{TeamAction, TeamMember};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// What the bridge reports to the app.
pub trait Sink: 'static {
    fn dispatch(&self, action: Action);
}

/// Finesse-provided credentials for the broker login (never logged or displayed).
#[derive(Clone)]
pub struct FinesseCredentials {
    pub id: String,
    /// `finesse.gadget.Config.authorization`: Base64 of `id:password` (non-SSO).
    pub authorization: Option<String>,
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

/// A mobile agent's phone identity from `finesse.gadget.Config` alone (its
/// `mobileAgentMode` and `mobileAgentDialNumber`, there as soon as finesse.js ran),
/// before the hub connects and the user loads: the phone registers meanwhile. A mobile
/// agent with a dial number is never in preview unless the configuration forces it.
/// `None` when Config does not say (the phone then waits for the user).
pub fn early_identity(preview_forced: bool) -> Option<(String, bool)> {
    let config = global(&["finesse", "gadget", "Config"])?;
    string_field(&config, "mobileAgentMode")?;
    let number = string_field(&config, "mobileAgentDialNumber")?;
    Some((number, preview_forced))
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

/// Reads `finesse.gadget.Config`'s credentials.
pub fn credentials() -> Option<FinesseCredentials> {
    let config = global(&["finesse", "gadget", "Config"])?;
    Some(FinesseCredentials {
        id: string_field(&config, "id")?,
        authorization: string_field(&config, "authorization"),
    })
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

/// Starts watching the Finesse user: dispatches `AgentLoaded` on load and
/// `AgentLoaded`/`AgentStateChanged` on every change. In preview mode also
/// `Team(Preview(true))` and the supervised teams' rosters.
pub fn watch_user(sink: impl Sink, rule: NumberRule, preview_forced: bool) -> Result<(), String> {
    let config =
        global(&["finesse", "gadget", "Config"]).ok_or("finesse.gadget.Config is missing")?;
    ffi::client_services_init(&config).map_err(|_| "ClientServices.init failed".to_string())?;
    let _ = ffi::container_services_init();
    let id = string_field(&config, "id").ok_or("finesse.gadget.Config.id is missing")?;

    let sink = std::rc::Rc::new(sink);
    let on_load = {
        let (sink, rule) = (sink.clone(), rule.clone());
        Closure::<dyn FnMut(ffi::User)>::new(move |user: ffi::User| {
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
                watch_teams(sink.clone() as std::rc::Rc<dyn Sink>, &user, rule.clone());
            }
        })
    };
    let on_change = Closure::<dyn FnMut(ffi::User)>::new(move |user: ffi::User| {
        sink.dispatch(Action::AgentLoaded(agent_info(&user, &rule)));
    });
    let options = Object::new();
    let set = |k: &str, v: &JsValue| Reflect::set(&options, &JsValue::from_str(k), v).map(|_| ());
    set("id", &JsValue::from_str(&id)).map_err(|_| "options")?;
    set("onLoad", on_load.as_ref()).map_err(|_| "options")?;
    set("onChange", on_change.as_ref()).map_err(|_| "options")?;
    ffi::User::new(&options)
        .map_err(|_| "finesse.restservices.User could not be created".to_string())?;
    // The user object lives as long as the page; so must its handlers.
    on_load.forget();
    on_change.forget();
    Ok(())
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
/// whole roster, then each agent's changes (`user.addHandler('change')`).
pub fn watch_teams(sink: std::rc::Rc<dyn Sink>, user: &ffi::User, rule: NumberRule) {
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    let teams = user.get_supervised_teams().unwrap_or(JsValue::UNDEFINED);
    let teams: Vec<JsValue> = match teams.dyn_ref::<js_sys::Array>() {
        Some(a) => a.iter().collect(),
        None => Vec::new(),
    };
    let roster: std::rc::Rc<RefCell<BTreeMap<String, Vec<TeamMember>>>> = Default::default();
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
        let (sink, rule, roster) = (sink.clone(), rule.clone(), roster.clone());
        let tid = team_id.clone();
        let on_team = Closure::<dyn FnMut(ffi::Team)>::new(move |team: ffi::Team| {
            let (sink, rule, roster, tid) =
                (sink.clone(), rule.clone(), roster.clone(), tid.clone());
            let on_users = Closure::<dyn FnMut(ffi::Users)>::new(move |users: ffi::Users| {
                let members: Vec<ffi::User> =
                    object_values(&users.get_collection().unwrap_or(JsValue::NULL))
                        .into_iter()
                        .map(|u| u.unchecked_into::<ffi::User>())
                        .collect();
                for member in &members {
                    let (sink, rule) = (sink.clone(), rule.clone());
                    let on_change = Closure::<dyn FnMut(ffi::User)>::new(move |u: ffi::User| {
                        sink.dispatch(Action::Team(TeamAction::Member(team_member(&u, &rule))));
                    });
                    let _ = member.add_handler("change", on_change.as_ref());
                    on_change.forget();
                }
                roster.borrow_mut().insert(
                    tid.clone(),
                    members.iter().map(|u| team_member(u, &rule)).collect(),
                );
                let all: Vec<TeamMember> = roster.borrow().values().flatten().cloned().collect();
                sink.dispatch(Action::Team(TeamAction::Roster(all)));
            });
            let handlers = Object::new();
            let _ = Reflect::set(&handlers, &JsValue::from_str("onLoad"), on_users.as_ref());
            let _ = team.get_users(&handlers);
            on_users.forget();
        });
        let options = Object::new();
        let _ = Reflect::set(
            &options,
            &JsValue::from_str("id"),
            &JsValue::from_str(&team_id),
        );
        let _ = Reflect::set(&options, &JsValue::from_str("onLoad"), on_team.as_ref());
        if ffi::Team::new_team(&options).is_err() {
            gloo::console::warn!("finesse.restservices.Team could not be created");
        }
        on_team.forget();
    }
}
