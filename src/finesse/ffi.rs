//! Every `#[wasm_bindgen] extern` binding to finesse.js and the gadget
//! container (`gadgets.*`), in one place. Names follow Cisco's finesse.js.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `finesse.restservices.User`
    #[wasm_bindgen(js_namespace = ["finesse", "restservices"], js_name = User)]
    #[derive(Clone, Debug)]
    pub type User;

    /// `new finesse.restservices.User({ id, onLoad, onChange, onError })`
    #[wasm_bindgen(constructor, catch, js_namespace = ["finesse", "restservices"], js_class = "User")]
    pub fn new(options: &JsValue) -> Result<User, JsValue>;

    #[wasm_bindgen(method, catch, js_name = getId)]
    pub fn get_id(this: &User) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = getExtension)]
    pub fn get_extension(this: &User) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = getState)]
    pub fn get_state(this: &User) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = isMobileAgent)]
    pub fn is_mobile_agent(this: &User) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = getMobileAgentDialNumber)]
    pub fn get_mobile_agent_dial_number(this: &User) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = hasSupervisorRole)]
    pub fn has_supervisor_role(this: &User) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = getFirstName)]
    pub fn get_first_name(this: &User) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = getLastName)]
    pub fn get_last_name(this: &User) -> Result<JsValue, JsValue>;
    /// `[{ id, name, uri }]` of the teams a supervisor supervises.
    #[wasm_bindgen(method, catch, js_name = getSupervisedTeams)]
    pub fn get_supervised_teams(this: &User) -> Result<JsValue, JsValue>;
    /// `user.setState(state, reasonCode, { success, error })`: PUT, 202, then `onChange`.
    #[wasm_bindgen(method, catch, js_name = setState)]
    pub fn set_state(
        this: &User,
        state: &str,
        reason_code: &JsValue,
        handlers: &JsValue,
    ) -> Result<JsValue, JsValue>;
    /// `user.addHandler('change', fn)`
    #[wasm_bindgen(method, catch, js_name = addHandler)]
    pub fn add_handler(this: &User, event: &str, handler: &JsValue) -> Result<JsValue, JsValue>;

    /// `finesse.restservices.Team`
    #[wasm_bindgen(js_namespace = ["finesse", "restservices"], js_name = Team)]
    #[derive(Clone, Debug)]
    pub type Team;
    /// `new finesse.restservices.Team({ id, onLoad, onError })`
    #[wasm_bindgen(constructor, catch, js_namespace = ["finesse", "restservices"], js_class = "Team")]
    pub fn new_team(options: &JsValue) -> Result<Team, JsValue>;
    /// `team.getUsers({ onLoad, onCollectionAdd, onCollectionDelete, onError })`: the team's Users.
    #[wasm_bindgen(method, catch, js_name = getUsers)]
    pub fn get_users(this: &Team, handlers: &JsValue) -> Result<JsValue, JsValue>;

    /// `finesse.restservices.Users` (a RestCollectionBase)
    pub type Users;
    /// `{ id: User, … }`
    #[wasm_bindgen(method, catch, js_name = getCollection)]
    pub fn get_collection(this: &Users) -> Result<JsValue, JsValue>;

    /// `finesse.clientservices.ClientServices.init(finesse.gadget.Config)`
    #[wasm_bindgen(catch, js_namespace = ["finesse", "clientservices", "ClientServices"], js_name = init)]
    pub fn client_services_init(config: &JsValue) -> Result<(), JsValue>;

    /// `ClientServices.registerOnConnectHandler(fn)`: Finesse is connected again (failover over).
    #[wasm_bindgen(catch, js_namespace = ["finesse", "clientservices", "ClientServices"], js_name = registerOnConnectHandler)]
    pub fn register_on_connect_handler(handler: &JsValue) -> Result<(), JsValue>;

    /// `ClientServices.registerOnDisconnectHandler(fn)`: Finesse lost its server (failover).
    #[wasm_bindgen(catch, js_namespace = ["finesse", "clientservices", "ClientServices"], js_name = registerOnDisconnectHandler)]
    pub fn register_on_disconnect_handler(handler: &JsValue) -> Result<(), JsValue>;

    /// `finesse.containerservices.ContainerServices.init()`
    #[wasm_bindgen(catch, js_namespace = ["finesse", "containerservices", "ContainerServices"], js_name = init)]
    pub fn container_services_init() -> Result<JsValue, JsValue>;

    /// `gadgets.window.adjustHeight()` (when popovers, problems or notices change the height)
    #[wasm_bindgen(catch, js_namespace = ["gadgets", "window"], js_name = adjustHeight)]
    pub fn adjust_height() -> Result<(), JsValue>;

    /// `gadgets.Prefs`
    #[wasm_bindgen(js_namespace = gadgets, js_name = Prefs)]
    pub type Prefs;
    #[wasm_bindgen(constructor, catch, js_namespace = gadgets, js_class = "Prefs")]
    pub fn new() -> Result<Prefs, JsValue>;
    #[wasm_bindgen(method, js_name = getString)]
    pub fn get_string(this: &Prefs, name: &str) -> JsValue;
}
