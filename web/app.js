// Parley's web client: REST for history, EventSource for live messages.
"use strict";

const LIST_RETRY_FIRST = 1000, LIST_RETRY_MAX = 30000; // ms between list tries
const state = {
  token: localStorage.getItem("parley.token"),
  session: 0,         // bumped at logout: answers for an older session are dropped
  me: null,
  current: null,      // the open conversation
  load: null,         // the open conversation's history load: { arrived: [...] }
  shown: new Set(),   // ids of the messages on screen
  events: null,       // the EventSource
  lastEventId: null,  // of the last event seen, to resume a renewed stream
  loggingOut: null,   // the logout request, which a new login waits for
  conversations: [],  // the list as shown, most recent activity first
  listEvents: null,   // messages seen while the list is being fetched
  listRequests: 0,    // list requests made: only the newest one's answer counts
  listRetry: null,    // the timer of the next try after a failed list request
  listDelay: LIST_RETRY_FIRST, // before that try; doubles, reset by a success
  unconfirmed: null,  // the post sent without a 201 yet: { to, content, key }
};
const $ = (id) => document.getElementById(id);

async function api(method, path, body, headers = {}) {
  const opts = { method, headers: { ...headers, Authorization: `Bearer ${state.token}` } };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const session = state.session;
  const res = await fetch(path, opts);
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (session !== state.session) throw new Error("logged out");
  if (res.status === 401 && path !== "/api/login") logout();
  if (!res.ok) {
    const detail = data && data.errors ? Object.values(data.errors).join(", ") : "";
    throw new Error(detail || (data && data.message) || res.statusText);
  }
  return data;
}

function show(section) {
  $("login").hidden = section !== "login";
  $("chat").hidden = section !== "chat";
  if (section === "login") showLoginMethods();
}

// The login page offers what the server has on: the development login
// form, GitHub, or both. If the server cannot be asked, both show.
async function showLoginMethods() {
  const methods = await fetch("/api/login_methods")
    .then((res) => (res.ok ? res.json() : null)).catch(() => null)
    || { devLogin: true, github: true }; // unknown: offer both
  $("login-form").hidden = !methods.devLogin;
  $("github-login").hidden = !methods.github;
  $("no-login").hidden = methods.devLogin || methods.github;
}

// Back from a GitHub sign-in: the server sent the browser to
// /callback?token=…&expires_at=… (or ?error=…). The token is kept as after
// a login, and leaves the address bar and the history at once. Only a
// sign-in this tab started counts: a /callback link with someone else's
// token, sent to this user, must not log them in as that someone (login
// CSRF). sessionStorage is this tab's and this origin's alone.
const SIGN_IN_MARK = "parley.github-sign-in";
const SIGN_IN_MAX_AGE = 10 * 60 * 1000; // ms: the server's state lasts as long

function takeSignIn() {
  if (location.pathname !== "/callback") return;
  const query = new URLSearchParams(location.search);
  history.replaceState(null, "", "/");
  const started = Number(sessionStorage.getItem(SIGN_IN_MARK));
  sessionStorage.removeItem(SIGN_IN_MARK);
  const token = query.get("token");
  if (token && Date.now() - started < SIGN_IN_MAX_AGE) return keepToken(token);
  $("login-error").textContent = query.get("error") === "access_denied"
    ? "GitHub sign-in was cancelled."
    : token ? "That sign-in link was not started here; sign in again."
            : "GitHub sign-in failed; try again.";
}

// The token for API calls, kept across page loads.
function keepToken(token) {
  state.token = token;
  localStorage.setItem("parley.token", token);
}

function setStatus(text) {
  $("status").textContent = text;
}

function logout() {
  // The server clears the stream's HttpOnly cookie, which script cannot.
  state.loggingOut = fetch("/api/logout", { method: "POST" }).catch(() => {});
  localStorage.removeItem("parley.token");
  state.token = null;
  state.session += 1;
  if (state.events) state.events.close();
  clearTimeout(state.listRetry);
  // Nothing of this user may stay on screen for the next one.
  Object.assign(state, { events: null, me: null, current: null, load: null,
                         lastEventId: null, shown: new Set(),
                         conversations: [], listEvents: null,
                         listRetry: null, listDelay: LIST_RETRY_FIRST,
                         unconfirmed: null });
  $("me").textContent = "";
  setStatus("");
  $("conversations").replaceChildren();
  $("messages").replaceChildren();
  $("peer").textContent = "Pick a conversation";
  $("send-form").hidden = true;
  $("content").value = "";
  $("chat-error").textContent = "";
  show("login");
}

async function start() {
  if (!state.token) return show("login");
  try {
    state.me = await api("GET", "/api/auth_user");
  } catch (e) {
    return show("login");
  }
  $("me").textContent = state.me.username;
  show("chat");
  // The list loads once the stream is open (refresh()), so that nothing
  // falls between the two.
  listen();
}

// The list is fetched when this page may have missed something (start, a
// reset, a conversation it does not list yet); otherwise each message moves
// its conversation up here, without asking the server again. Resolves true
// when its answer is shown, false when a newer request's answer is.
async function loadConversations() {
  const request = ++state.listRequests;
  const seen = state.listEvents = []; // messages during this request
  let list;
  try {
    list = await api("GET", "/api/conversations");
  } catch (e) {
    if (request === state.listRequests) state.listEvents = null;
    throw e;
  }
  if (request !== state.listRequests) return false; // a newer one shows its list
  state.listEvents = null;
  state.conversations = list;
  // The open conversation is read (its history load and live messages
  // mark it), whatever the answer says if it was read before that.
  const open = list.find((c) => isOpen(c.id));
  if (open) open.hasUnreadMessages = false;
  // The answer may have been read before some of them committed; one whose
  // conversation the answer lacks (pushed off the page meanwhile) means
  // asking again.
  const missing = seen.filter((m) => !applyToList(m)).length;
  renderConversations();
  return missing ? loadConversations() : true;
}

// Fetches the list; a failure (the network, a restarting server) tries
// again later, so a conversation new to this tab is not lost until the next
// fetch. One timer at a time; logging out ends it.
function refreshList() {
  const session = state.session;
  loadConversations().then((shown) => {
    if (!shown) return; // superseded: the newer request decides
    clearTimeout(state.listRetry); // this answer is the one it would fetch
    Object.assign(state, { listRetry: null, listDelay: LIST_RETRY_FIRST });
  }, () => {
    if (session !== state.session || state.listRetry) return;
    state.listRetry = setTimeout(() => { // logout clears it
      state.listRetry = null;
      refreshList();
    }, state.listDelay);
    state.listDelay = Math.min(state.listDelay * 2, LIST_RETRY_MAX);
  });
}

// Whether conversation `id` is the one open.
function isOpen(id) {
  return state.current !== null && state.current.id === id;
}

function renderConversations() {
  $("conversations").replaceChildren(...state.conversations.map((c) => {
    const li = document.createElement("li");
    li.textContent = c.otherParticipant.username;
    li.classList.toggle("unread", c.hasUnreadMessages);
    li.classList.toggle("active", isOpen(c.id));
    li.onclick = () => openConversation(c).catch(() => {});
    return li;
  }));
}

// Moves m's conversation to the top, unread unless m is ours or the
// conversation is open. False if the list does not have it.
function applyToList(m) {
  const list = state.conversations;
  const i = list.findIndex((c) => c.id === m.conversationId);
  if (i < 0) return false;
  const c = list[i];
  if (c.lastMessage && Number(c.lastMessage.id) >= Number(m.id)) return true; // had it
  list.splice(i, 1);
  list.unshift(c);
  c.lastMessage = m;
  c.hasUnreadMessages = !m.mine && !isOpen(c.id);
  return true;
}

// A message sent or received: the list follows it.
function noteInList(m) {
  if (state.listEvents) state.listEvents.push(m);
  if (applyToList(m)) renderConversations();
  else refreshList(); // new to this list
}

// The open conversation was read (its history load marks it read).
function markListRead(id) {
  const c = state.conversations.find((x) => x.id === id);
  if (c) c.hasUnreadMessages = false;
  renderConversations();
}

function addMessage(m) {
  if (state.shown.has(m.id)) return; // in the history and live both
  state.shown.add(m.id);
  const li = document.createElement("li");
  li.textContent = m.content;
  li.title = m.createdAt;
  if (m.mine) li.classList.add("mine");
  $("messages").append(li);
  li.scrollIntoView({ block: "end" });
}

async function openConversation(c) {
  state.current = c;
  // Live messages for it wait in this load until its history is shown.
  const load = state.load = { arrived: [] };
  $("peer").textContent = c.otherParticipant.username;
  $("send-form").hidden = false;
  let messages;
  try {
    messages = await api("GET", `/api/conversations/${c.id}/messages`);
  } catch (e) {
    if (state.load === load) state.load = null;
    throw e;
  }
  // The server marked it read, even if the user has moved on.
  markListRead(c.id);
  // Opened again meanwhile (this one or another): the newer load shows it.
  if (state.load !== load) return;
  state.load = null;
  state.shown = new Set();
  $("messages").replaceChildren();
  messages.reverse().forEach(addMessage);
  // Live messages that came during the load: after the history, unless in it.
  load.arrived.forEach(addMessage);
}

// What the stream may have missed: the list, and the open conversation.
function refresh() {
  refreshList();
  if (state.current) openConversation(state.current).catch(() => {});
}

function listen(lastEventId) {
  // The stream authenticates with the HttpOnly cookie set at login.
  if (state.events) state.events.close();
  // include_own: what this user sends from another tab or device shows here
  // too (the sending tab has it already: addMessage skips a shown id).
  let query = "include_own=true";
  if (lastEventId) query += `&lastEventId=${encodeURIComponent(lastEventId)}`;
  const events = state.events = new EventSource(`/api/messages?${query}`);
  setStatus("connecting…");
  events.onopen = () => {
    setStatus("live");
    // A stream without a cursor starts from now: fetch what came before.
    if (!lastEventId) refresh();
  };
  events.onmessage = (ev) => {
    state.lastEventId = ev.lastEventId;
    const m = JSON.parse(ev.data);
    if (isOpen(m.conversationId)) {
      if (state.load) state.load.arrived.push(m); // its history is still loading
      else addMessage(m);
      if (!m.mine)
        api("POST", `/api/conversations/${m.conversationId}/read_messages`).catch(() => {});
    }
    noteInList(m);
  };
  // The server could not resume from our cursor: what we show may have gaps.
  events.addEventListener("reset", (ev) => {
    state.lastEventId = ev.lastEventId;
    refresh();
  });
  // After a dropped stream the browser reconnects by itself (with
  // Last-Event-ID); a refused one (401: the cookie is gone, or the token
  // expired; 429: too many tabs) it gives up on.
  events.onerror = () => {
    if (state.events !== events) return;
    setStatus("reconnecting…");
    if (events.readyState === EventSource.CLOSED) renewStream();
  };
}

// EventSource does not say why the server refused it. The same request by
// fetch (cookie only, as EventSource sends) tells: only its status is read,
// and a stream it opens is closed at once.
async function probeStream() {
  const probe = new AbortController();
  try {
    const res = await fetch("/api/messages",
                            { headers: { Accept: "text/event-stream" }, signal: probe.signal });
    const retryAfter = Number(res.headers.get("Retry-After")) || 0;
    // A refusal's body is a short JSON message; a stream's never ends.
    const message = res.status === 429 ? (await res.json()).message : "";
    return { status: res.status, retryAfter, message };
  } catch (e) {
    return { status: 0, retryAfter: 0, message: "" }; // the server is away
  } finally {
    probe.abort();
  }
}

// A stream the browser gave up on is opened again. Past the user's stream
// limits (too many open, or opened too often) the page says so and tries
// again when the server says to; otherwise a fresh token comes with a
// fresh cookie (a 401 logs out: api()), 2 s later, which also gives the
// server time to free the probe's place.
function renewStream() {
  const session = state.session, events = state.events;
  const current = () => session === state.session && state.events === events;
  probeStream().then(({ status, retryAfter, message }) => {
    if (!current()) return;
    if (status === 429) {
      const tooMany = /streams open/.test(message);
      setStatus(tooMany
        ? "too many tabs or devices open: close one to get live messages here"
        : `live messages paused: ${message}`);
      // Past the allowance of opens the next try is the stream itself: a
      // probe first would spend the open the wait earned.
      setTimeout(() => current() && (tooMany ? renewStream() : listen(state.lastEventId)),
                 Math.max(retryAfter, 2) * 1000);
      return;
    }
    setTimeout(async () => {
      if (!current()) return;
      try {
        const fresh = await api("POST", "/api/refresh_token");
        keepToken(fresh.token);
        listen(state.lastEventId);
      } catch (e) {
        if (current()) renewStream(); // the server is away: later
      }
    }, 2000);
  });
}

$("login-form").onsubmit = async (ev) => {
  ev.preventDefault();
  try {
    // A logout's cookie-clearing answer must not land after our new cookie.
    await state.loggingOut;
    const username = new FormData(ev.target).get("username");
    const res = await fetch("/api/login", { method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username }) });
    const data = await res.json();
    if (!res.ok) throw new Error(data.message);
    keepToken(data.token);
    $("login-error").textContent = "";
    start();
  } catch (e) {
    $("login-error").textContent = e.message;
  }
};

$("search").oninput = async (ev) => {
  const q = ev.target.value.trim();
  if (!q) return;
  const names = await api("GET", `/api/usernames?search=${encodeURIComponent(q)}`).catch(() => null);
  if (names) $("search-results").replaceChildren(...names.map((n) => new Option(n)));
};

$("search-form").onsubmit = async (ev) => {
  ev.preventDefault();
  try {
    const c = await api("POST", "/api/conversations", { username: $("search").value.trim() });
    $("chat-error").textContent = "";
    await openConversation(c);
  } catch (e) {
    if (state.token) $("chat-error").textContent = e.message;
  }
};

// A post whose answer was lost (a timeout, a 503, a dropped connection) may
// have been saved. Sent again, the same text to the same conversation
// carries the same Idempotency-Key, and the server answers with the message
// it saved instead of saving it twice.
function postKey(to, content) {
  const u = state.unconfirmed;
  if (u && u.to === to.id && u.content === content) return u.key;
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const key = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  state.unconfirmed = { to: to.id, content, key };
  return key;
}

$("send-form").onsubmit = async (ev) => {
  ev.preventDefault();
  const to = state.current;
  const content = $("content").value;
  const key = postKey(to, content);
  try {
    const m = await api("POST", `/api/conversations/${to.id}/messages`,
                        { content }, { "Idempotency-Key": key });
    if (state.unconfirmed && state.unconfirmed.key === key) state.unconfirmed = null;
    // Still the conversation it was sent in (the user may have moved on).
    if (state.current === to) {
      addMessage(m);
      $("content").value = "";
    }
    $("chat-error").textContent = "";
    noteInList(m);
  } catch (e) {
    if (state.token) $("chat-error").textContent = e.message;
  }
};

// What other tabs and devices read is not in the events: a tab that comes
// back into view asks for the list again.
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && state.me) refreshList();
});

$("github-login").querySelector("a").onclick = () => {
  sessionStorage.setItem(SIGN_IN_MARK, String(Date.now()));
};

$("logout").onclick = logout;
takeSignIn();
start();
