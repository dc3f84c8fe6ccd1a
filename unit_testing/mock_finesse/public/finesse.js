/*
 * Mock Finesse: a faithful SUBSET of Cisco's finesse.js, served at /desktop/assets/js/finesse.js
 * by the mock Finesse server. Not Cisco code: written from the public finesse.js API.
 *
 * Same names, call shapes and return values as finesse.js for:
 *   finesse.gadget.Config                      (built from gadgets.Prefs, as gadgets do)
 *   finesse.clientservices.ClientServices      init(config), isInited(), log()
 *   finesse.restservices.User                  new User({id, onLoad, onChange, onError}),
 *                                              addHandler/removeHandler, getters, setState, getDialogs
 *   finesse.restservices.User.States / WorkMode
 *   finesse.restservices.Dialogs / Dialog      collection shape, Dialog getters, Dialog.States
 *   finesse.restservices.Team                  new Team({id, onLoad, onError}), getName, getUsers(handlers)
 *   finesse.restservices.Users                 a team's Users collection: getCollection() {id: User},
 *                                              onCollectionAdd/Delete, each User's 'change' handlers
 *                                              (members from the Team resource, after a node
 *                                              subscription round trip)
 *   finesse.containerservices.ContainerServices init(), addHandler(Topics.ACTIVE_TAB, cb), …
 *   finesse.cslogger.ClientLogger              init(hub, id, config), log(), error()
 * The data comes from the mock desktop page (the QA panel is the source of truth) over
 * postMessage; real finesse.js gets it from the Finesse REST API and XMPP notifications.
 */
(function (w) {
  "use strict";
  var finesse = w.finesse = w.finesse || {};
  finesse.gadget = finesse.gadget || {};
  finesse.clientservices = finesse.clientservices || {};
  finesse.restservices = finesse.restservices || {};
  finesse.containerservices = finesse.containerservices || {};
  finesse.cslogger = finesse.cslogger || {};
  finesse.utilities = finesse.utilities || {};

  // ---------------------------------------------------------------- transport to the desktop
  var bridge = (w.gadgets && w.gadgets.Hub && w.gadgets.Hub.__mockFinesse) || makeBridge();
  function makeBridge() {
    var hasParent = w.parent && w.parent !== w;
    var origin = (w.location && w.location.origin && w.location.origin !== "null") ? w.location.origin : "*";
    var ls = {};
    function send(kind, data) {
      if (!hasParent) { return; }
      try { w.parent.postMessage({ mockFinesse: 1, kind: kind, data: data || {} }, origin); } catch (e) { /* ignore */ }
    }
    if (w.addEventListener) {
      w.addEventListener("message", function (ev) {
        var msg = ev.data;
        if (!msg || msg.mockFinesse !== 1 || ev.source !== w.parent) { return; }
        if (origin !== "*" && ev.origin !== origin) { return; }
        (ls[msg.kind] || []).slice().forEach(function (fn) { fn(msg.data || {}); });
      });
    }
    return {
      send: send,
      on: function (kind, fn) { (ls[kind] = ls[kind] || []).push(fn); },
      event: function (name, detail) { send("event", { name: name, detail: detail || {} }); },
      hasParent: hasParent
    };
  }
  var reqSeq = 0;
  var pending = {};
  function request(kind, data, cb) {
    reqSeq += 1;
    var reqId = "r" + reqSeq + "-" + Math.random().toString(36).slice(2, 8);
    pending[reqId] = cb;
    data.reqId = reqId;
    if (bridge.hasParent) {
      bridge.send(kind, data);
    } else {
      setTimeout(function () { standaloneAnswer(kind, data); }, 0);
    }
  }
  function settle(data) {
    var cb = pending[data.reqId];
    if (cb) { delete pending[data.reqId]; cb(data); }
  }
  bridge.on("user.data", settle);
  bridge.on("rest.response", settle);
  bridge.on("dialogs.data", settle);
  bridge.on("team.data", settle);
  bridge.on("node.subscribed", settle);

  function later(fn) { setTimeout(fn, 0); }
  function safeCall(fn, arg, label) {
    try { fn(arg); } catch (e) {
      if (w.console) { w.console.error("[finesse.js mock] " + label + " handler threw", e); }
    }
  }

  /** Notifier like finesse.utilities.Notifier: listeners called in registration order. */
  function Notifier() { this._listeners = []; }
  Notifier.prototype.addListener = function (fn) {
    if (typeof fn !== "function") { throw new Error("handler must be a function"); }
    if (this._listeners.indexOf(fn) < 0) { this._listeners.push(fn); }
  };
  Notifier.prototype.removeListener = function (fn) {
    var i = this._listeners.indexOf(fn);
    if (i >= 0) { this._listeners.splice(i, 1); }
  };
  Notifier.prototype.notifyListeners = function (arg, label) {
    this._listeners.slice().forEach(function (fn) { safeCall(fn, arg, label || "notify"); });
  };

  finesse.utilities.Utilities = finesse.utilities.Utilities || {
    convertNullToEmptyString: function (v) { return v === null || v === undefined ? "" : v; },
    getArray: function (v) { return v === null || v === undefined ? [] : (Array.isArray(v) ? v : [v]); },
    validateHandler: function (h) { if (typeof h !== "function") { throw new Error("handler must be a function"); } }
  };
  var Utilities = finesse.utilities.Utilities;

  // ---------------------------------------------------------------- hub (OpenAjax pubsub-2)
  // finesse.js reaches the desktop through the gadget's OpenAjax hub client, which throws
  // "OpenAjax.hub.Error.Disconnected" until the container acknowledged the connection.
  // The mock's data still comes over `bridge`; these calls are made for that rule.
  var hub = w.gadgets && w.gadgets.Hub && typeof w.gadgets.Hub.subscribe === "function" ? w.gadgets.Hub : null;
  function hubSubscribe(topic) { if (hub) { hub.subscribe(topic, function () {}); } }
  function hubPublish(topic, data) { if (hub) { hub.publish(topic, data); } }
  /** The OpenAjax topic of a REST URI (finesse.js: "/finesse/api/User/1" is "finesse.api.User.1"). */
  function topicOf(uri) { return String(uri).replace(/^\//, "").replace(/\//g, "."); }

  // ---------------------------------------------------------------- authorization
  // At load (10.5+) finesse.js sets the `authorization` pref from the desktop's session
  // storage (`userFinesseAuth`), whatever the container gave; none there leaves it "".
  if (w.gadgets && w.gadgets.Prefs) {
    var sessionAuth = null;
    try { sessionAuth = w.sessionStorage ? w.sessionStorage.getItem("userFinesseAuth") : null; } catch (e) { sessionAuth = null; }
    new w.gadgets.Prefs().set("authorization", sessionAuth);
  }

  // ---------------------------------------------------------------- finesse.gadget.Config
  // Built the way Finesse gadgets build it: from the container-provided user prefs.
  // A gadget that defines its own finesse.gadget.Config keeps it (it is not overwritten).
  // The desktop's "Config at onConnect" mode (?configAt=onConnect) leaves the object empty
  // until the hub connects, as a gadget that reads Config only inside onConnect would see
  // with Finesse 11.x+; the same object is filled then.
  function configFromPrefs() {
    var p = new w.gadgets.Prefs();
    return {
      id: p.getString("id"),
      authorization: p.getString("authorization"),
      authToken: p.getString("authToken"),
      country: p.getString("country"),
      language: p.getString("language"),
      locale: p.getString("locale"),
      host: p.getString("host"),
      hostPort: p.getString("hostPort"),
      extension: p.getString("extension"),
      mobileAgentMode: p.getString("mobileAgentMode"),
      mobileAgentDialNumber: p.getString("mobileAgentDialNumber"),
      xmppDomain: p.getString("xmppDomain"),
      pubsubDomain: p.getString("pubsubDomain"),
      restHost: p.getString("restHost"),
      scheme: p.getString("scheme"),
      localhostFQDN: p.getString("localhostFQDN"),
      localhostPort: p.getString("localhostPort"),
      teamId: p.getString("teamId"),
      teamName: p.getString("teamName"),
      clientDriftInMillis: p.getInt("clientDriftInMillis")
    };
  }
  function desktopSays(name) {
    try { return bridge.hasParent && w.parent.mockFinesseContainer && w.parent.mockFinesseContainer[name](); } catch (e) { return undefined; }
  }
  if (!finesse.gadget.Config && w.gadgets && w.gadgets.Prefs) {
    if (desktopSays("configAt") === "onConnect" && bridge.beforeConnect) {
      var emptyConfig = finesse.gadget.Config = {};
      bridge.beforeConnect.push(function () {
        depth += 1; // not the gadget's calls (see "call recording")
        try {
          var filled = configFromPrefs();
          Object.keys(filled).forEach(function (k) { emptyConfig[k] = filled[k]; });
        } finally { depth -= 1; }
        bridge.event("finesse.gadget.Config.filled", { at: "onConnect" });
      });
    } else {
      finesse.gadget.Config = configFromPrefs();
    }
  }

  // ---------------------------------------------------------------- ClientServices
  var SECRET_KEYS = { authorization: 1, authToken: 1, password: 1, token: 1 };
  function describeConfig(cfg) {
    var out = {};
    Object.keys(cfg || {}).forEach(function (k) {
      var v = cfg[k];
      if (SECRET_KEYS[k]) { out[k] = v ? "[redacted]" : ""; } else if (v === null || typeof v !== "object") { out[k] = v; }
    });
    return out;
  }
  var csConfig = null;
  var csConnected = new Notifier();
  var csDisconnected = new Notifier();
  // While Finesse fails over, notifications are muted; on recovery the desktop sends the
  // objects again (finesse.js re-reads them).
  // The handlers hear of it only if ClientServices.init subscribed to the connection state.
  var failingOver = false;
  var connectionInfo = false;
  bridge.on("failover", function (msg) {
    if (msg.active && !failingOver) {
      failingOver = true;
      if (!connectionInfo) { return; }
      bridge.event("ClientServices.disconnected", { handlers: csDisconnected._listeners.length });
      csDisconnected.notifyListeners(undefined, "onDisconnect");
    } else if (!msg.active && failingOver) {
      failingOver = false;
      if (!connectionInfo) { return; }
      bridge.event("ClientServices.connected", { handlers: csConnected._listeners.length });
      csConnected.notifyListeners(undefined, "onConnect");
    }
  });
  /** Base64 as finesse.js reads it: one character per byte, no UTF-8 decoding; null if invalid. */
  var B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  function decodeAuthorization(text) {
    var clean = String(text).replace(/=+$/, "");
    if (!/^[A-Za-z0-9+\/]*$/.test(clean) || clean.length % 4 === 1) { return null; }
    var out = "", bits = 0, value = 0;
    for (var i = 0; i < clean.length; i += 1) {
      value = (value << 6) | B64.indexOf(clean.charAt(i));
      bits += 6;
      if (bits >= 8) { bits -= 8; out += String.fromCharCode((value >> bits) & 255); }
    }
    return out;
  }
  function encodeBytes(text) {
    var out = "";
    for (var i = 0; i < text.length; i += 3) {
      var a = text.charCodeAt(i) & 255, b = text.charCodeAt(i + 1) & 255, c = text.charCodeAt(i + 2) & 255;
      var n = (a << 16) | (b << 8) | c;
      out += B64.charAt(n >> 18) + B64.charAt((n >> 12) & 63) +
        (i + 1 < text.length ? B64.charAt((n >> 6) & 63) : "=") + (i + 2 < text.length ? B64.charAt(n & 63) : "=");
    }
    return out;
  }
  finesse.clientservices.ClientServices = {
    /**
     * Must be called before any REST object is created. Returns nothing, like finesse.js.
     * Like finesse.js it runs once, validates host/restHost/authorization, throws when
     * `authorization` is not Base64 of "id:password", and REWRITES the object it was given:
     * config.id from the id inside authorization, config.password added in clear text
     * (an empty authorization becomes Base64 of "<id>:undefined", as 10.6.1 does).
     */
    init: function (config) {
      if (!config || typeof config !== "object") { throw new Error("ClientServices.init(): config object required"); }
      if (csConfig !== null) { return; }
      if (!config.host || !config.restHost) { throw new Error("ClientServices.init(): host and restHost are required"); }
      if (!config.authorization) { config.authorization = encodeBytes(String(config.id) + ":undefined"); }
      var decoded = decodeAuthorization(config.authorization);
      var colon = decoded === null ? -1 : decoded.indexOf(":");
      if (colon < 0) { throw new Error("ClientServices.init(): invalid authorization"); }
      config.id = decoded.slice(0, colon);
      config.password = decoded.slice(colon + 1);
      csConfig = config;
      bridge.event("ClientServices.init", { config: describeConfig(config), extraArgs: arguments.length - 1 });
      // Then, like finesse.js, it subscribes to the connection state on the hub and asks
      // the desktop for it. Before the hub connected that throws, with ClientServices
      // marked inited already: a later init is a no-op, and failover is never reported.
      hubSubscribe("finesse.info.connection");
      connectionInfo = true;
      hubPublish("finesse.info.requests", { type: "ConnectionInfoReq", data: {}, invokeID: Date.now() });
    },
    isInited: function () { return csConfig !== null; },
    /** Failover: called when Finesse is connected again (after a disconnect). */
    registerOnConnectHandler: function (handler) { Utilities.validateHandler(handler); csConnected.addListener(handler); },
    /** Failover: called when Finesse lost its server; subscriptions are muted until it is back. */
    registerOnDisconnectHandler: function (handler) { Utilities.validateHandler(handler); csDisconnected.addListener(handler); },
    getRestHost: function () { return csConfig ? csConfig.restHost : undefined; },
    log: function (msg) { if (w.console && w.console.debug) { w.console.debug("[ClientServices] " + msg); } }
  };
  var ClientServices = finesse.clientservices.ClientServices;

  // ---------------------------------------------------------------- RestBase (shared behaviour)
  var HANDLER_EVENTS = { load: "_loadNotifier", change: "_changeNotifier", add: "_addNotifier", "delete": "_deleteNotifier", error: "_errorNotifier" };
  // What finesse.js's RestCollectionBase adds: the members, and the add/delete
  // notifiers fed by the options' onCollectionAdd / onCollectionDelete.
  function initRestCollection(obj, options) {
    obj._collection = {};
    obj.length = 0;
    obj._collectionAddNotifier = new Notifier();
    obj._collectionDeleteNotifier = new Notifier();
    if (typeof options.onCollectionAdd === "function") { obj._collectionAddNotifier.addListener(options.onCollectionAdd); }
    if (typeof options.onCollectionDelete === "function") { obj._collectionDeleteNotifier.addListener(options.onCollectionDelete); }
    obj._parent = options.parentObj;
  }

  function initRestObject(obj, options, restType) {
    if (csConfig === null) { // not ClientServices.isInited(): that would count as the gadget's call
      throw new Error("ClientServices needs to be initialized before creating a " + restType + " (call finesse.clientservices.ClientServices.init(finesse.gadget.Config) first).");
    }
    options = options || {};
    // Like RestBase: an object that loads itself subscribes to its REST URI's topic on the
    // hub first (throws before the hub connected; the constructor then logs and swallows it).
    // Members built from a collection's data (options.data) do not.
    var base = options.parentObj && options.parentObj._uri ? options.parentObj._uri : "/finesse/api";
    obj._uri = base + "/" + restType + (options.id ? "/" + options.id : "");
    if (!options.data) { hubSubscribe(topicOf(obj._uri)); }
    obj._id = options.id;
    obj._data = null;
    obj._loaded = false;
    obj._restType = restType;
    obj._loadNotifier = new Notifier();
    obj._changeNotifier = new Notifier();
    obj._addNotifier = new Notifier();
    obj._deleteNotifier = new Notifier();
    obj._errorNotifier = new Notifier();
    if (typeof options.onLoad === "function") { obj._loadNotifier.addListener(options.onLoad); }
    if (typeof options.onChange === "function") { obj._changeNotifier.addListener(options.onChange); }
    if (typeof options.onAdd === "function") { obj._addNotifier.addListener(options.onAdd); }
    if (typeof options.onDelete === "function") { obj._deleteNotifier.addListener(options.onDelete); }
    if (typeof options.onError === "function") { obj._errorNotifier.addListener(options.onError); }
    // finesse.js also accepts onLoadError on some objects
    if (typeof options.onLoadError === "function") { obj._errorNotifier.addListener(options.onLoadError); }
  }
  var restBaseMethods = {
    getId: function () { return this._id; },
    getRestType: function () { return this._restType; },
    getData: function () { return this._data; },
    isLoaded: function () {
      if (!this._loaded) { throw new Error(this._restType + " is not loaded yet: wait for onLoad before using its getters."); }
      return true;
    },
    /** addHandler('load'|'change'|'add'|'delete'|'error', fn); a 'load' handler added after load fires at once. */
    addHandler: function (event, handler) {
      var key = HANDLER_EVENTS[event];
      if (!key) { throw new Error("addHandler(): unknown event " + event); }
      Utilities.validateHandler(handler);
      this[key].addListener(handler);
      if (event === "load" && this._loaded) { var self = this; later(function () { safeCall(handler, self, "load"); }); }
      return this;
    },
    removeHandler: function (event, handler) {
      var key = HANDLER_EVENTS[event];
      if (key) { this[key].removeListener(handler); }
      return this;
    }
  };
  function mixin(proto, methods) { for (var k in methods) { if (Object.prototype.hasOwnProperty.call(methods, k)) { proto[k] = methods[k]; } } }

  // ---------------------------------------------------------------- User
  var liveUsers = [];
  function User(options) {
    if (!(this instanceof User)) { return new User(options); }
    initRestObject(this, options, "User");
    if (!options || !options.id) { throw new Error("User: options.id is required"); }
    this._dialogs = null;
    var self = this;
    if (options.data) {
      // A member of a collection (e.g. a team's Users): built from the collection's data,
      // no request of its own, loaded at once (as RestBase does with options.data).
      this._data = options.data;
      this._loaded = true;
      return;
    }
    liveUsers.push(this);
    bridge.event("User.new", { id: String(options.id), onLoad: typeof options.onLoad === "function", onChange: typeof options.onChange === "function" });
    request("user.get", { id: String(options.id) }, function (rsp) {
      if (rsp.status === 200 && rsp.data) {
        self._data = rsp.data;
        self._loaded = true;
        bridge.event("User.onLoad", { id: self._id, state: rsp.data.state, handlers: self._loadNotifier._listeners.length });
        self._loadNotifier.notifyListeners(self, "User onLoad");
      } else {
        bridge.event("User.onError", { id: self._id, status: rsp.status });
        self._errorNotifier.notifyListeners({ status: rsp.status, content: rsp.content || "", object: rsp.object || null,
          error: { errorType: rsp.errorType || "Error", errorMessage: rsp.errorMessage || "" } }, "User onError");
      }
    });
  }
  mixin(User.prototype, restBaseMethods);
  mixin(User.prototype, {
    getFirstName: function () { this.isLoaded(); return Utilities.convertNullToEmptyString(this._data.firstName); },
    getLastName: function () { this.isLoaded(); return Utilities.convertNullToEmptyString(this._data.lastName); },
    getExtension: function () { this.isLoaded(); return Utilities.convertNullToEmptyString(this._data.extension); },
    getTeamId: function () { this.isLoaded(); return this._data.teamId; },
    getTeamName: function () { this.isLoaded(); return this._data.teamName; },
    hasRole: function (role) {
      this.isLoaded();
      var roles = this._data.roles && this._data.roles.role;
      if (typeof roles === "string") { return roles === role; }
      return Array.isArray(roles) && roles.indexOf(role) >= 0;
    },
    hasAgentRole: function () { return this.hasRole("Agent"); },
    hasSupervisorRole: function () { return this.hasRole("Supervisor"); },
    getState: function () { this.isLoaded(); return this._data.state; },
    getPendingState: function () { this.isLoaded(); return Utilities.convertNullToEmptyString(this._data.pendingState); },
    getStateChangeTime: function () { this.isLoaded(); return this._data.stateChangeTime; },
    getReasonCodeLabel: function () { this.isLoaded(); return this._data.reasonCode ? this._data.reasonCode.label : ""; },
    getNotReadyReasonCodeId: function () {
      this.isLoaded();
      return this._data.reasonCodeId !== "-1" ? this._data.reasonCodeId : undefined;
    },
    isMobileAgent: function () {
      this.isLoaded();
      var ma = this._data.mobileAgent;
      return ma !== null && typeof ma === "object";
    },
    getMobileAgentMode: function () { this.isLoaded(); return this.isMobileAgent() ? this._data.mobileAgent.mode : null; },
    getMobileAgentDialNumber: function () { this.isLoaded(); return this.isMobileAgent() ? this._data.mobileAgent.dialNumber : null; },
    isPendingStateChange: function () {
      var s = this.getState();
      return !!s && (s === User.States.TALKING || s === User.States.HOLD || s === User.States.RESERVED_OUTBOUND_PREVIEW);
    },
    isWrapUp: function () { var s = this.getState(); return !!s && (s === User.States.WORK || s === User.States.WORK_READY); },
    getSupervisedTeams: function () {
      this.isLoaded();
      try { return Utilities.getArray(this._data.teams.Team); } catch (e) { return []; }
    },
    /** Dialogs collection; the handlers apply only when it is first created (as in finesse.js). */
    getDialogs: function (callbacks) {
      this.isLoaded();
      var options = callbacks || {};
      options.parentObj = this;
      if (this._dialogs === null) { this._dialogs = new Dialogs(options); }
      return this._dialogs;
    },
    /** PUT /finesse/api/User/{id} {state}: the desktop decides; the change arrives as an update. */
    setState: function (newState, reasonCode, handlers) {
      this.isLoaded();
      handlers = handlers || {};
      bridge.event("User.setState", { id: this._id, state: newState, reasonCodeId: reasonCode && reasonCode.id || null });
      request("user.setState", { id: this._id, state: newState, reasonCodeId: reasonCode && reasonCode.id || null }, function (rsp) {
        if (rsp.status >= 200 && rsp.status < 300) {
          if (typeof handlers.success === "function") { safeCall(handlers.success, { status: rsp.status, content: "" }, "setState success"); }
        } else if (typeof handlers.error === "function") {
          safeCall(handlers.error, { status: rsp.status, content: rsp.content || "",
            error: { errorType: rsp.errorType || "Invalid State", errorMessage: rsp.errorMessage || "" } }, "setState error");
        }
      });
      return this;
    },
    logout: function (reasonCode, handlers) { return this.setState(User.States.LOGOUT, reasonCode, handlers); },
    refresh: function () {
      var self = this;
      request("user.get", { id: this._id }, function (rsp) {
        if (rsp.status === 200 && rsp.data) { self._data = rsp.data; self._changeNotifier.notifyListeners(self, "User onChange"); }
      });
      return this;
    }
  });
  User.prototype._applyUpdate = function (data) {
    if (!this._loaded || !data || String(data.loginId) !== String(this._id)) { return false; }
    this._data = data;
    bridge.event("User.onChange", { id: this._id, state: data.state, handlers: this._changeNotifier._listeners.length });
    this._changeNotifier.notifyListeners(this, "User onChange");
    return true;
  };
  User.States = {
    LOGIN: "LOGIN", LOGOUT: "LOGOUT", NOT_READY: "NOT_READY", READY: "READY", RESERVED: "RESERVED",
    RESERVED_OUTBOUND: "RESERVED_OUTBOUND", RESERVED_OUTBOUND_PREVIEW: "RESERVED_OUTBOUND_PREVIEW",
    TALKING: "TALKING", HOLD: "HOLD", WORK: "WORK", WORK_READY: "WORK_READY"
  };
  User.WorkMode = { CALL_BY_CALL: "CALL_BY_CALL", NAILED_CONNECTION: "NAILED_CONNECTION" };
  User.WrapUpMode = { REQUIRED: "REQUIRED", OPTIONAL: "OPTIONAL", NOT_ALLOWED: "NOT_ALLOWED", REQUIRED_WITH_WRAP_UP_DATA: "REQUIRED_WITH_WRAP_UP_DATA" };
  finesse.restservices.User = User;

  bridge.on("user.update", function (msg) {
    if (failingOver) { return; }
    liveUsers.forEach(function (u) { u._applyUpdate(msg.data); });
  });

  // ---------------------------------------------------------------- Dialog / Dialogs
  function Dialog(options) {
    initRestObject(this, options, "Dialog");
    this._data = options.data;
    this._loaded = true;
  }
  mixin(Dialog.prototype, restBaseMethods);
  mixin(Dialog.prototype, {
    getState: function () { return this._data.state; },
    getFromAddress: function () { return this._data.fromAddress; },
    getToAddress: function () { return this._data.toAddress; },
    getMediaType: function () { return this._data.mediaType; },
    getDialedNumber: function () { return this._data.dialedNumber || this._data.toAddress; },
    getMediaProperties: function () {
      var mp = this._data.mediaProperties || {};
      var out = {};
      Object.keys(mp).forEach(function (k) { if (k !== "callvariables") { out[k] = mp[k]; } });
      var vars = (mp.callvariables && mp.callvariables.CallVariable) || [];
      Utilities.getArray(vars).forEach(function (cv) { out[cv.name] = cv.value; });
      return out;
    },
    getParticipants: function () { return Utilities.getArray(this._data.participants && this._data.participants.Participant); },
    getParticipantState: function (extension) {
      var p = this.getParticipants().filter(function (x) { return x.mediaAddress === extension; })[0];
      return p ? p.state : undefined;
    }
  });
  Dialog.States = {
    ALERTING: "ALERTING", INITIATING: "INITIATING", INITIATED: "INITIATED", ACTIVE: "ACTIVE", DROPPED: "DROPPED",
    HELD: "HELD", FAILED: "FAILED", ACCEPTED: "ACCEPTED", WRAP_UP: "WRAP_UP"
  };
  finesse.restservices.Dialog = Dialog;

  var liveDialogs = [];
  function Dialogs(options) {
    initRestObject(this, options, "Dialogs");
    initRestCollection(this, options);
    liveDialogs.push(this);
    var self = this;
    bridge.event("User.getDialogs", { onCollectionAdd: typeof options.onCollectionAdd === "function", onCollectionDelete: typeof options.onCollectionDelete === "function" });
    request("dialogs.get", { id: this._parent ? this._parent._id : "" }, function (rsp) {
      // finesse.js notifies onCollectionAdd for dialogs that already exist at load, too.
      (rsp.dialogs || []).forEach(function (d) { self._add(d); });
      self._loaded = true;
      self._loadNotifier.notifyListeners(self, "Dialogs onLoad");
    });
  }
  mixin(Dialogs.prototype, restBaseMethods);
  mixin(Dialogs.prototype, {
    getCollection: function () { return this._collection; },
    addHandler: function (event, handler) {
      if (event === "collectionAdd") { this._collectionAddNotifier.addListener(handler); return this; }
      if (event === "collectionDelete") { this._collectionDeleteNotifier.addListener(handler); return this; }
      return restBaseMethods.addHandler.call(this, event, handler);
    },
    removeHandler: function (event, handler) {
      if (event === "collectionAdd") { this._collectionAddNotifier.removeListener(handler); return this; }
      if (event === "collectionDelete") { this._collectionDeleteNotifier.removeListener(handler); return this; }
      return restBaseMethods.removeHandler.call(this, event, handler);
    },
    _add: function (data) {
      var existing = this._collection[data.id];
      if (existing) {
        existing._data = data;
        existing._changeNotifier.notifyListeners(existing, "Dialog onChange");
        return;
      }
      var dialog = new Dialog({ id: data.id, data: data });
      this._collection[data.id] = dialog;
      this.length += 1;
      this._collectionAddNotifier.notifyListeners(dialog, "Dialogs onCollectionAdd");
    },
    _delete: function (data) {
      var dialog = this._collection[data.id];
      if (!dialog) { return; }
      dialog._data = data;
      this._collectionDeleteNotifier.notifyListeners(dialog, "Dialogs onCollectionDelete");
      delete this._collection[data.id];
      this.length -= 1;
    }
  });
  finesse.restservices.Dialogs = Dialogs;
  bridge.on("dialog.add", function (msg) { liveDialogs.forEach(function (c) { if (c._loaded) { c._add(msg.data); } }); });
  bridge.on("dialog.update", function (msg) { liveDialogs.forEach(function (c) { if (c._loaded) { c._add(msg.data); } }); });
  bridge.on("dialog.delete", function (msg) { liveDialogs.forEach(function (c) { if (c._loaded) { c._delete(msg.data); } }); });

  // ---------------------------------------------------------------- Team / Users
  // GET /finesse/api/Team/{id} and /Team/{id}/Users: only for a supervisor of that team.
  function Team(options) {
    if (!(this instanceof Team)) { return new Team(options); }
    initRestObject(this, options, "Team");
    if (!options || options.id === undefined || options.id === null || options.id === "") { throw new Error("Team: options.id is required"); }
    this._id = String(options.id);
    this._users = null;
    var self = this;
    bridge.event("Team.new", { id: this._id, onLoad: typeof options.onLoad === "function" });
    request("team.get", { id: this._id }, function (rsp) {
      if (rsp.status === 200 && rsp.data) {
        self._data = rsp.data;
        self._loaded = true;
        self._loadNotifier.notifyListeners(self, "Team onLoad");
      } else {
        bridge.event("Team.onError", { id: self._id, status: rsp.status });
        self._errorNotifier.notifyListeners({ status: rsp.status, content: "", object: null,
          error: { errorType: rsp.errorType || "Error", errorMessage: rsp.errorMessage || "" } }, "Team onError");
      }
    });
  }
  mixin(Team.prototype, restBaseMethods);
  mixin(Team.prototype, {
    getName: function () { this.isLoaded(); return Utilities.convertNullToEmptyString(this._data.name); },
    /** The team's Users collection; the handlers apply only when it is first created (as in finesse.js). */
    getUsers: function (callbacks) {
      this.isLoaded();
      var options = callbacks || {};
      options.parentObj = this;
      if (this._users === null) { this._users = new Users(options); }
      return this._users;
    }
  });
  finesse.restservices.Team = Team;

  var liveTeamUsers = [];
  function Users(options) {
    initRestObject(this, options, "Users");
    initRestCollection(this, options);
    this._teamId = this._parent ? this._parent._id : "";
    liveTeamUsers.push(this);
    var self = this;
    bridge.event("Team.getUsers", { id: this._teamId, onLoad: typeof options.onLoad === "function" });
    // As finesse.js: the collection asks the desktop to subscribe to its node first (a
    // round trip; the desktop refuses while it has no connection to Finesse, and the
    // answer then goes to onError as it came, without a status), then reads the members
    // from the Team resource (GET /finesse/api/Team/{id}; there is no GET …/Users).
    request("node.subscribe", { node: this._uri }, function (sub) {
      if (sub.error) {
        bridge.event("Users.onError", { id: self._teamId, errorType: sub.error.errorType });
        self._errorNotifier.notifyListeners({ error: { errorType: sub.error.errorType, errorMessage: sub.error.errorMessage } }, "Users onError");
        return;
      }
      request("team.get", { id: self._teamId }, function (rsp) {
        if (rsp.status !== 200 || !rsp.data) {
          bridge.event("Users.onError", { id: self._teamId, status: rsp.status });
          self._errorNotifier.notifyListeners({ status: rsp.status, content: "", object: null,
            error: { errorType: rsp.errorType || "Error", errorMessage: rsp.errorMessage || "" } }, "Users onError");
          return;
        }
        var members = rsp.data.users && rsp.data.users.User; // not Utilities.getArray: that counts as the gadget's call
        (members ? (Array.isArray(members) ? members : [members]) : []).forEach(function (u) { self._put(u, false); });
        self._loaded = true;
        self._loadNotifier.notifyListeners(self, "Users onLoad");
      });
    });
  }
  mixin(Users.prototype, restBaseMethods);
  mixin(Users.prototype, {
    getCollection: function () { return this._collection; },
    addHandler: Dialogs.prototype.addHandler,
    removeHandler: Dialogs.prototype.removeHandler,
    _put: function (data, notify) {
      var id = String(data.loginId);
      var existing = this._collection[id];
      if (existing) {
        if (JSON.stringify(existing._data) === JSON.stringify(data)) { return; }
        existing._data = data;
        bridge.event("User.onChange", { id: id, state: data.state, handlers: existing._changeNotifier._listeners.length });
        existing._changeNotifier.notifyListeners(existing, "User onChange");
        return;
      }
      var user = new User({ id: id, data: data });
      this._collection[id] = user;
      this.length += 1;
      if (notify) { this._collectionAddNotifier.notifyListeners(user, "Users onCollectionAdd"); }
    },
    /** A roster update from Finesse: adds, changes and deletes Users to match `users`. */
    _sync: function (users) {
      var self = this;
      var keep = {};
      users.forEach(function (u) { keep[String(u.loginId)] = true; self._put(u, true); });
      Object.keys(this._collection).forEach(function (id) {
        if (keep[id]) { return; }
        var gone = self._collection[id];
        delete self._collection[id];
        self.length -= 1;
        self._collectionDeleteNotifier.notifyListeners(gone, "Users onCollectionDelete");
      });
    }
  });
  finesse.restservices.Users = Users;
  bridge.on("team.users.update", function (msg) {
    if (failingOver) { return; }
    liveTeamUsers.forEach(function (c) {
      if (c._loaded && String(c._teamId) === String(msg.teamId)) { c._sync(msg.users || []); }
    });
  });

  // ---------------------------------------------------------------- ContainerServices
  var Topics = {
    ACTIVE_TAB: "finesse.containerservices.activeTab",
    WORKFLOW_ACTION_EVENT: "finesse.containerservices.workflowActionEvent"
  };
  var csInited = false;
  var visible = false;
  var csNotifiers = {};
  function csNotifier(topic) { return (csNotifiers[topic] = csNotifiers[topic] || new Notifier()); }
  finesse.containerservices.ContainerServices = {
    Topics: Topics,
    /** Returns the ContainerServices singleton and asks the container which tab is active. */
    init: function () {
      if (!csInited) {
        csInited = true;
        bridge.event("ContainerServices.init", {});
      }
      this.makeActiveTabReq();
      return this;
    },
    addHandler: function (topic, callback) {
      if (!csInited) { throw new Error("ContainerServices: call init() first"); }
      if (topic === "tabVisible") { topic = Topics.ACTIVE_TAB; }
      try { Utilities.validateHandler(callback); } catch (e) { throw new Error("addHandler(): " + e.message); }
      csNotifier(topic).addListener(callback);
      bridge.event("ContainerServices.addHandler", { topic: topic });
    },
    removeHandler: function (topic, callback) { csNotifier(topic).removeListener(callback); },
    makeActiveTabReq: function () { bridge.send("cs.request", { type: "ActiveTabReq" }); },
    tabVisible: function () { return visible; },
    reloadMyGadget: function () { bridge.send("cs.request", { type: "ReloadGadgetReq" }); },
    showDialog: function (options) { bridge.event("ContainerServices.showDialog", { title: options && options.title || "" }); },
    hideDialog: function () { bridge.event("ContainerServices.hideDialog", {}); },
    getMyGadgetId: function () { return w.gadgets && w.gadgets.util ? w.gadgets.util.getUrlParameters().mid : undefined; }
  };
  bridge.on("activeTab", function () {
    if (!visible) {
      visible = true;
      csNotifier(Topics.ACTIVE_TAB).notifyListeners(finesse.containerservices.ContainerServices, "ACTIVE_TAB");
    }
  });
  bridge.on("inactiveTab", function () { visible = false; });

  // ---------------------------------------------------------------- ClientLogger
  finesse.cslogger.ClientLogger = {
    init: function (hub, gadgetId) { this._id = gadgetId || ""; bridge.event("ClientLogger.init", { gadgetId: String(gadgetId || "") }); },
    log: function (msg) { if (w.console) { w.console.log("[" + (this._id || "gadget") + "] " + msg); } },
    error: function (msg) { if (w.console) { w.console.error("[" + (this._id || "gadget") + "] " + msg); } }
  };

  // ---------------------------------------------------------------- standalone (no desktop)
  // When the gadget page is opened on its own, answer from the prefs so it still starts.
  function standaloneAnswer(kind, data) {
    var cfg = finesse.gadget.Config || {};
    if (kind === "user.get") {
      settle({ reqId: data.reqId, status: 200, data: {
        // Shaped as finesse.js converts the XML: empty elements null, one role a string.
        uri: "/finesse/api/User/" + data.id, loginId: data.id, loginName: data.id, firstName: null, lastName: null,
        extension: cfg.extension || null, state: "NOT_READY", pendingState: null, teamId: cfg.teamId || null, teamName: cfg.teamName || null,
        roles: { role: "Agent" },
        mobileAgent: cfg.mobileAgentMode ? { mode: cfg.mobileAgentMode, dialNumber: cfg.mobileAgentDialNumber } : undefined
      } });
    } else if (kind === "team.get") {
      settle({ reqId: data.reqId, status: 403 });
    } else if (kind === "node.subscribe") {
      settle({ reqId: data.reqId, error: null });
    } else if (kind === "dialogs.get") {
      settle({ reqId: data.reqId, dialogs: [] });
    } else {
      settle({ reqId: data.reqId, status: 202 });
    }
  }

  // ---------------------------------------------------------------- call recording
  // What the gadget calls, for the test that compares it with the real library's
  // signatures (REAL-SIGNATURES.md beside this folder): every public function and
  // constructor of this file reached from outside it, with the option names passed.
  // `finesse.__mockCalls()` lists them as "name" or "name {opt,opt}" strings. Calls made
  // by this file itself (a getter using isLoaded, a collection building its Users) are
  // not counted.
  var calls = {};
  var depth = 0;
  function optionKeys(arg) {
    if (!arg || typeof arg !== "object" || Array.isArray(arg)) { return ""; }
    return " {" + Object.keys(arg).filter(function (k) { return k !== "parentObj"; }).sort().join(",") + "}";
  }
  function wrap(name, fn, withOptions) {
    return function () {
      if (depth === 0) {
        var key = name;
        if (name.slice(-11) === ".addHandler" || name.slice(-14) === ".removeHandler") { key += " " + String(arguments[0]); }
        if (withOptions) { key += optionKeys(arguments[0]); }
        calls[key] = (calls[key] || 0) + 1;
      }
      depth += 1;
      try { return fn.apply(this, arguments); } finally { depth -= 1; }
    };
  }
  function wrapMethods(prefix, obj, withOptionsFor) {
    Object.keys(obj).forEach(function (k) {
      if (typeof obj[k] === "function" && k.charAt(0) !== "_" && !/^[A-Z]/.test(k)) {
        obj[k] = wrap(prefix + "." + k, obj[k], (withOptionsFor || []).indexOf(k) >= 0);
      }
    });
  }
  function wrapConstructor(ns, name) {
    var Inner = ns[name];
    var Outer = function (options) {
      if (depth === 0) {
        var key = "new " + name + optionKeys(options);
        calls[key] = (calls[key] || 0) + 1;
      }
      depth += 1;
      try {
        return new Inner(options);
      } catch (e) {
        // finesse.js logs a constructor's problem and swallows it: no exception, no callback.
        if (w.console) { w.console.error("[finesse.js mock] new " + name + ": " + (e && e.message)); }
        bridge.event(name + ".constructorError", { message: String(e && e.message || e) });
        return this;
      } finally { depth -= 1; }
    };
    Outer.prototype = Inner.prototype;
    Object.keys(Inner).forEach(function (k) { Outer[k] = Inner[k]; });
    ns[name] = Outer;
  }
  wrapMethods("User", User.prototype, ["setState"]);
  wrapMethods("Team", Team.prototype, ["getUsers"]);
  wrapMethods("Users", Users.prototype);
  wrapMethods("Dialogs", Dialogs.prototype);
  wrapMethods("Dialog", Dialog.prototype);
  wrapMethods("ClientServices", finesse.clientservices.ClientServices);
  wrapMethods("ContainerServices", finesse.containerservices.ContainerServices);
  wrapMethods("ClientLogger", finesse.cslogger.ClientLogger);
  wrapMethods("Utilities", finesse.utilities.Utilities);
  wrapConstructor(finesse.restservices, "User");
  wrapConstructor(finesse.restservices, "Team");
  if (w.gadgets) {
    if (w.gadgets.window) { wrapMethods("gadgets.window", w.gadgets.window); }
    if (w.gadgets.Prefs) { wrapMethods("gadgets.Prefs", w.gadgets.Prefs.prototype); }
  }
  finesse.__mockCalls = function () { return Object.keys(calls).sort(); };
}(window));
