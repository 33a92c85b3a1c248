// The web client (web/) in headless Chromium against a real server and the
// test database: two users log in, find each other, chat live, and see
// unread state, errors and a reload as a user would. Run by ctest (label
// "browser"); scripts/test installs Chromium and playwright-core.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { createServer as createHttpServer } from "node:http";
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run through scripts/test)`);
  return value;
};

const timeout = 10_000; // per step: generous for a loaded 2-core machine
let server, base, browser;

// Starts the server on a free loopback port; resolves with its base URL once
// it logs where it listens.
function startServer(extra = []) {
  const source = env("PARLEY_SOURCE_DIR");
  const child = spawn(env("PARLEY_BINARY"), [
    `--config-file=${source}/config/parley.ini`,
    "--parley.host=127.0.0.1",
    "--parley.port=0",
    `--parley.db-url=${env("PARLEY_TEST_DB_URL")}`,
    "--parley.jwt-key=browser-test-key",
    `--parley.web-root=${source}/web`,
    ...extra, // later flags win
  ], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`no listening line:\n${output}`)), 30_000);
    child.stdout.on("data", (chunk) => {
      output += chunk;
      const found = output.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (found) {
        clearTimeout(timer);
        child.stdout.removeAllListeners("data");
        child.stdout.resume(); // keep draining the log
        resolve({ child, url: found[1] });
      }
    });
    child.on("exit", (code) => reject(new Error(`server exited (${code}):\n${output}`)));
  });
}

function stopServer(child) {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.on("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

// A loopback port free a moment ago (the server then binds it).
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

const unique = (prefix) => `${prefix}-${randomBytes(5).toString("hex")}`;

// A user in their own browser context (own cookies and localStorage).
async function openAs(username, url = base) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(timeout);
  await page.goto(url);
  await page.fill("#login-form input[name=username]", username);
  await page.click("#login-form button");
  await page.locator("#chat").waitFor({ state: "visible" });
  assert.equal(await page.textContent("#me"), username);
  await live(page);
  // Nothing to send to before a conversation is open.
  assert.equal(await page.locator("#send-form").isVisible(), false);
  return page;
}

// The page's stream is open: from here on it misses nothing.
const live = (page) => page.locator("#status", { hasText: /^live$/ }).waitFor();

const conversationItem = (page, peer) => page.locator("#conversations li", { hasText: peer });
const messageItem = (page, text) => page.locator("#messages li", { hasText: text });

const historyUrl = /\/api\/conversations\/\d+\/messages$/;

// Holds the page's history requests (GET …/messages; posts pass) until
// page.unroute(historyUrl): resolves with the first one's route, which the
// test lets go (or answers) later.
function holdHistory(page) {
  return new Promise((resolve) => {
    page.route(historyUrl, (route) => {
      if (route.request().method() !== "GET") return route.continue();
      resolve(route);
    });
  });
}

// The page marks a live message of its open conversation read: that request
// says the event reached the page.
const liveArrival = (page) =>
  page.waitForRequest((r) => r.url().endsWith("/read_messages"));

async function send(page, text) {
  await page.fill("#content", text);
  await page.click("#send-form button");
}

before(async () => {
  ({ child: server, url: base } = await startServer());
  browser = await chromium.launch({
    executablePath: process.env.PARLEY_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    // No sandbox (root in CI); nothing that reaches outside the machine.
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update",
           "--disable-sync"],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server) await stopServer(server);
});

test("two users chat live, with unread state, errors and a reload", async () => {
  const aliceName = unique("alice"), bobName = unique("bob");
  const alice = await openAs(aliceName);
  const bob = await openAs(bobName);

  // Alice finds Bob by name and opens the conversation.
  await alice.fill("#search", bobName);
  await alice.click("#search-form button");
  await alice.locator("#peer", { hasText: bobName }).waitFor();
  await alice.locator("#send-form").waitFor({ state: "visible" });

  // Her message shows as hers; Bob's list gets the conversation, unread, live.
  await send(alice, "hello bob");
  await messageItem(alice, "hello bob").and(alice.locator(".mine")).waitFor();
  assert.equal(await alice.inputValue("#content"), "");
  const fromAlice = conversationItem(bob, aliceName);
  await fromAlice.and(bob.locator(".unread")).waitFor();

  // Bob opens it: the history is there and it is no longer unread.
  await fromAlice.click();
  await messageItem(bob, "hello bob").waitFor();
  await fromAlice.and(bob.locator(":not(.unread)")).waitFor();

  // Each reply arrives live in the other's open conversation, in order.
  await send(bob, "hi alice");
  await messageItem(alice, "hi alice").and(alice.locator(":not(.mine)")).waitFor();
  await send(alice, "how are you?");
  await messageItem(bob, "how are you?").waitFor();
  assert.deepEqual(await bob.locator("#messages li").allTextContents(),
                   ["hello bob", "hi alice", "how are you?"]);

  // Bad input: the server's 422 message shows, nothing is sent.
  await send(alice, "   \n  ");
  await alice.locator("#chat-error", { hasText: /required/i }).waitFor();
  assert.equal(await alice.locator("#messages li").count(), 3);

  // A reload keeps Bob logged in with the same history, read.
  await bob.reload();
  await bob.locator("#chat").waitFor({ state: "visible" });
  await live(bob);
  await conversationItem(bob, aliceName).and(bob.locator(":not(.unread)")).waitFor();
  await conversationItem(bob, aliceName).click();
  await messageItem(bob, "how are you?").waitFor();
  assert.deepEqual(await bob.locator("#messages li").allTextContents(),
                   ["hello bob", "hi alice", "how are you?"]);

  // Opening a conversation with nobody shows the server's 404 message.
  await alice.fill("#search", unique("nobody"));
  await alice.click("#search-form button");
  await alice.locator("#chat-error", { hasText: /not found/i }).waitFor();

  // Logging out shows the login form again and removes the stream's
  // HttpOnly cookie (which the page's script cannot).
  const hasCookie = async (page) =>
    (await page.context().cookies()).some((c) => c.name === "parley_token");
  assert.equal(await hasCookie(alice), true);
  const loggedOut = alice.waitForResponse((r) => r.url().endsWith("/api/logout"));
  await alice.click("#logout");
  await alice.locator("#login").waitFor({ state: "visible" });
  assert.equal((await loggedOut).status(), 204);
  assert.equal(await hasCookie(alice), false);

  // The next user of this tab sees nothing of Alice's.
  const carolName = unique("carol");
  await alice.fill("#login-form input[name=username]", carolName);
  await alice.click("#login-form button");
  await alice.locator("#me", { hasText: carolName }).waitFor();
  await live(alice);
  assert.equal(await alice.locator("#messages li").count(), 0);
  assert.equal(await alice.locator("#conversations li").count(), 0);
  assert.equal(await alice.textContent("#peer"), "Pick a conversation");
  assert.equal(await alice.locator("#send-form").isVisible(), false);
  await alice.click("#logout");
  await alice.locator("#login").waitFor({ state: "visible" });
  await alice.reload();
  await alice.locator("#login").waitFor({ state: "visible" });
});

test("a message that arrives while a conversation's history loads is shown once, after it",
     async () => {
  const carolName = unique("carol"), daveName = unique("dave");
  const carol = await openAs(carolName);
  const dave = await openAs(daveName);
  await carol.fill("#search", daveName);
  await carol.click("#search-form button");
  await carol.locator("#send-form").waitFor({ state: "visible" });
  await send(carol, "before");
  await conversationItem(dave, carolName).waitFor();

  // Dave opens the conversation; its history is fetched at once but handed
  // to the page only after Carol's next message reached Dave's stream.
  let holding = holdHistory(dave);
  await conversationItem(dave, carolName).click();
  let route = await holding;
  const response = await route.fetch();
  let delivered = liveArrival(dave);
  await send(carol, "during");
  await messageItem(carol, "during").waitFor();
  await delivered;
  await route.fulfill({ response });
  await dave.unroute(historyUrl);
  await messageItem(dave, "before").waitFor();
  await messageItem(dave, "during").waitFor();
  assert.deepEqual(await dave.locator("#messages li").allTextContents(), ["before", "during"]);

  // Opened again, with the history's request held until Carol's next
  // message reached Dave's stream: the message is in the history and came
  // live too, and shows once.
  holding = holdHistory(dave);
  await conversationItem(dave, carolName).click();
  route = await holding;
  delivered = liveArrival(dave);
  await send(carol, "again");
  await messageItem(carol, "again").waitFor();
  await delivered;
  await route.continue();
  await dave.unroute(historyUrl);
  await messageItem(dave, "again").waitFor();
  assert.deepEqual(await dave.locator("#messages li").allTextContents(),
                   ["before", "during", "again"]);
});

test("what a user sends in one tab shows in their other tabs, once in each", async () => {
  const erinName = unique("erin"), frankName = unique("frank");
  const frank = await openAs(frankName);
  const erin = await openAs(erinName);
  // A second tab of Erin's: same context, so same login.
  const erin2 = await erin.context().newPage();
  erin2.setDefaultTimeout(timeout);
  await erin2.goto(base);
  await erin2.locator("#chat").waitFor({ state: "visible" });
  await live(erin2);
  await erin.fill("#search", frankName);
  await erin.click("#search-form button");
  await erin.locator("#send-form").waitFor({ state: "visible" });
  await send(erin, "first");
  await messageItem(erin, "first").waitFor();
  await conversationItem(erin2, frankName).click();
  await messageItem(erin2, "first").waitFor();

  await send(erin, "from tab one");
  await messageItem(erin2, "from tab one").and(erin2.locator(".mine")).waitFor();
  await send(erin2, "from tab two");
  await messageItem(erin, "from tab two").and(erin.locator(".mine")).waitFor();
  await conversationItem(frank, erinName).and(frank.locator(".unread")).waitFor();
  // Tab one has by now had its own "from tab one" back from its stream too
  // (the stream is in seq order): shown once all the same.
  for (const page of [erin, erin2])
    assert.deepEqual(await page.locator("#messages li").allTextContents(),
                     ["first", "from tab one", "from tab two"]);
});

test("live messages move their conversation up the list without fetching it again",
     async () => {
  const ivyName = unique("ivy"), jackName = unique("jack"), kimName = unique("kim");
  const jack = await openAs(jackName);
  const ivy = await openAs(ivyName);
  const kim = await openAs(kimName);
  // Ivy, then Kim, write to Jack: two conversations in his list, Kim's first.
  for (const [page, text] of [[ivy, "ivy here"], [kim, "kim here"]]) {
    await page.fill("#search", jackName);
    await page.click("#search-form button");
    await page.locator("#send-form").waitFor({ state: "visible" });
    await send(page, text);
    await messageItem(page, text).waitFor();
    await conversationItem(jack, page === ivy ? ivyName : kimName).waitFor();
  }
  const listed = () => jack.locator("#conversations li").allTextContents();
  await jack.waitForFunction(
    (first) => document.querySelector("#conversations li")?.textContent === first, kimName);
  assert.deepEqual(await listed(), [kimName, ivyName]);

  // From here on, Jack's page must not ask for the list again.
  const listRequests = [];
  jack.on("request", (r) => {
    if (r.method() === "GET" && new URL(r.url()).pathname === "/api/conversations")
      listRequests.push(r.url());
  });
  // Jack opens Ivy's conversation: read, and still second.
  await conversationItem(jack, ivyName).click();
  await messageItem(jack, "ivy here").waitFor();
  await conversationItem(jack, ivyName).and(jack.locator(":not(.unread)")).waitFor();
  assert.deepEqual(await listed(), [kimName, ivyName]);
  // Ivy writes again: her conversation moves up, read (it is open). Then Kim:
  // hers moves up, unread.
  const delivered = liveArrival(jack);
  await send(ivy, "ivy again");
  await delivered;
  await messageItem(jack, "ivy again").waitFor();
  await jack.waitForFunction(
    (first) => document.querySelector("#conversations li")?.textContent === first, ivyName);
  assert.equal(await conversationItem(jack, ivyName).getAttribute("class"), "active");
  await send(kim, "kim again");
  await jack.waitForFunction((first) => {
    const li = document.querySelector("#conversations li");
    return li?.textContent === first && li.classList.contains("unread");
  }, kimName);
  assert.deepEqual(await listed(), [kimName, ivyName]);
  // Jack's own answer moves Ivy's up again.
  await send(jack, "jack answers");
  await messageItem(ivy, "jack answers").waitFor();
  await jack.waitForFunction(
    (first) => document.querySelector("#conversations li")?.textContent === first, ivyName);
  assert.deepEqual(await listed(), [ivyName, kimName]);
  // One more from Ivy, after which Jack's stream has also brought back his
  // own answer (the stream is in order): none of it asked for the list.
  await send(ivy, "ivy last");
  await messageItem(jack, "ivy last").waitFor();
  assert.deepEqual(listRequests, []);
});

test("a failed list request is tried again, so a new conversation still shows", async () => {
  const leeName = unique("lee"), mayName = unique("may");
  const may = await openAs(mayName);
  const lee = await openAs(leeName);
  // May's next two list requests fail as if the server were restarting.
  let failed = 0;
  await may.route((url) => url.pathname === "/api/conversations", (route) => {
    if (route.request().method() !== "GET" || failed >= 2) return route.continue();
    failed += 1;
    return route.fulfill({ status: 503, contentType: "application/json",
                           body: JSON.stringify({ message: "Service unavailable" }) });
  });
  // Lee writes to May: a conversation her list lacks, so her page asks for
  // the list, which fails twice before it is answered.
  await lee.fill("#search", mayName);
  await lee.click("#search-form button");
  await lee.locator("#send-form").waitFor({ state: "visible" });
  await send(lee, "lee here");
  await messageItem(lee, "lee here").waitFor();
  await conversationItem(may, leeName).and(may.locator(".unread")).waitFor();
  assert.equal(failed, 2);
  await may.context().close();
  await lee.context().close();
});

test("a stream refused after a restart (its cookie gone) is renewed, and resumes where it was",
     async () => {
  // A server of its own, restarted on the same port.
  const port = await freePort();
  const flags = [`--parley.port=${port}`];
  let { child, url } = await startServer(flags);
  try {
    const ginaName = unique("gina"), hankName = unique("hank");
    const gina = await openAs(ginaName, url);
    const hank = await openAs(hankName, url);
    await gina.fill("#search", hankName);
    await gina.click("#search-form button");
    await gina.locator("#send-form").waitFor({ state: "visible" });
    await send(gina, "one");
    await conversationItem(hank, ginaName).click();
    await messageItem(hank, "one").waitFor();

    // Hank's cookie goes (as when it expires before the token he keeps);
    // after the restart his browser's reconnect is refused with 401.
    await hank.context().clearCookies();
    await stopServer(child);
    ({ child, url } = await startServer(flags));
    await send(gina, "two"); // while Hank has no stream
    await messageItem(gina, "two").waitFor();
    // The page renews its token (and so its cookie) and resumes from its
    // last event: "two" is replayed, then "three" arrives live.
    await messageItem(hank, "two").waitFor();
    await live(hank);
    await send(gina, "three");
    await messageItem(hank, "three").waitFor();
    assert.deepEqual(await hank.locator("#messages li").allTextContents(),
                     ["one", "two", "three"]);
    assert.equal((await hank.context().cookies()).some((c) => c.name === "parley_token"), true);
    await gina.context().close();
    await hank.context().close();
  } finally {
    await stopServer(child);
  }
});

test("a tab past the user's stream limit says so, waits as told, and goes live when a place frees",
     async () => {
  // A server of its own that lets each user have one stream.
  const { child, url } = await startServer(["--parley.sse-streams-per-user=1"]);
  try {
    const ivy = await openAs(unique("ivy"), url);
    const ivy2 = await ivy.context().newPage(); // same login
    ivy2.setDefaultTimeout(timeout);
    const streamRequests = [];
    ivy2.on("request", (r) => {
      if (new URL(r.url()).pathname === "/api/messages") streamRequests.push(Date.now());
    });
    await ivy2.goto(url);
    await ivy2.locator("#chat").waitFor({ state: "visible" });
    await ivy2.locator("#status", { hasText: /^too many tabs or devices open/ }).waitFor();
    // The server's Retry-After (10 s) is honoured: no stream requests for 5 s.
    const shown = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5000));
    assert.deepEqual(streamRequests.filter((t) => t > shown), []);
    // The first tab closes: the second goes live at its next try.
    await ivy.close();
    await ivy2.locator("#status", { hasText: /^live$/ }).waitFor({ timeout: 30_000 });
    await ivy2.context().close();
  } finally {
    await stopServer(child);
  }
});

test("a tab past the user's allowance of stream opens says so and goes live after the wait",
     async () => {
  // One open at once, then one per 5 s: the second tab's first open is refused.
  const { child, url } = await startServer(["--parley.sse-open-rate=0.2",
                                            "--parley.sse-open-burst=1"]);
  try {
    const jan = await openAs(unique("jan"), url);
    const jan2 = await jan.context().newPage(); // same login
    jan2.setDefaultTimeout(timeout);
    await jan2.goto(url);
    await jan2.locator("#chat").waitFor({ state: "visible" });
    await jan2.locator("#status", { hasText: /^live messages paused: Too many requests/ })
      .waitFor();
    // The wait earns one open, and the stream itself takes it (a probe first
    // would spend it and leave the tab paused for ever).
    await jan2.locator("#status", { hasText: /^live$/ }).waitFor({ timeout: 30_000 });
    await jan.locator("#status", { hasText: /^live$/ }).waitFor();
    await jan.context().close();
  } finally {
    await stopServer(child);
  }
});

test("a post past the user's limit shows the server's message and keeps the draft",
     async () => {
  // A server of its own with a small limit: two posts, then one per 10 s.
  const { child, url } = await startServer(["--parley.post-rate=0.1",
                                            "--parley.post-burst=2"]);
  try {
    const oliName = unique("oli"), pamName = unique("pam");
    const oli = await openAs(oliName, url);
    const pam = await openAs(pamName, url);
    await oli.fill("#search", pamName);
    await oli.click("#search-form button");
    await oli.locator("#send-form").waitFor({ state: "visible" });
    await send(oli, "one");
    await messageItem(oli, "one").waitFor();
    await send(oli, "two");
    await messageItem(oli, "two").waitFor();
    const refused = oli.waitForResponse((r) => r.url().endsWith("/messages")
                                               && r.request().method() === "POST");
    await send(oli, "three");
    assert.equal((await refused).status(), 429);
    await oli.locator("#chat-error", { hasText: /too many requests; try again in \d+ s/i })
      .waitFor();
    assert.equal(await oli.inputValue("#content"), "three");
    assert.deepEqual(await oli.locator("#messages li").allTextContents(), ["one", "two"]);
    // Pam, another user, still posts.
    await conversationItem(pam, oliName).click();
    await send(pam, "hi oli");
    await messageItem(oli, "hi oli").waitFor();
    await oli.context().close();
    await pam.context().close();
  } finally {
    await stopServer(child);
  }
});

test("a post whose answer was lost is sent again with its key: saved and shown once",
     async () => {
  const quinnName = unique("quinn"), rosaName = unique("rosa");
  const quinn = await openAs(quinnName);
  const rosa = await openAs(rosaName);
  await quinn.fill("#search", rosaName);
  await quinn.click("#search-form button");
  await quinn.locator("#send-form").waitFor({ state: "visible" });
  // The first post reaches the server and is saved, but its answer is lost:
  // the page gets a 503 instead.
  const keys = [];
  const post = (url) => url.pathname.endsWith("/messages");
  await quinn.route(post, async (route) => {
    if (route.request().method() !== "POST") return route.continue();
    keys.push(await route.request().headerValue("idempotency-key"));
    if (keys.length > 1) return route.continue();
    await route.fetch();
    return route.fulfill({ status: 503, contentType: "application/json",
                           body: JSON.stringify({ message: "Service unavailable" }) });
  });
  await send(quinn, "only once");
  await quinn.locator("#chat-error", { hasText: "Service unavailable" }).waitFor();
  assert.equal(await quinn.inputValue("#content"), "only once");
  // The user sends the draft again: the server answers with what it saved.
  const answered = quinn.waitForResponse((r) => post(new URL(r.url()))
                                                 && r.request().method() === "POST");
  await quinn.click("#send-form button");
  assert.equal((await answered).status(), 201);
  await quinn.waitForFunction(() => document.getElementById("chat-error").textContent === "");
  assert.equal(keys.length, 2);
  assert.match(keys[0], /^[0-9a-f]{32}$/);
  assert.equal(keys[1], keys[0]);
  await messageItem(quinn, "only once").waitFor();
  await conversationItem(rosa, quinnName).click();
  await messageItem(rosa, "only once").waitFor();
  // Saved once: the history (from the server) and both pages show it once.
  for (const page of [quinn, rosa]) {
    await page.reload();
    await page.locator("#chat").waitFor({ state: "visible" });
    await conversationItem(page, page === quinn ? rosaName : quinnName).click();
    await messageItem(page, "only once").waitFor();
    assert.deepEqual(await page.locator("#messages li").allTextContents(), ["only once"]);
  }
  // A new message after a confirmed one gets a new key, even with the same text.
  await quinn.unroute(post);
  const again = quinn.waitForRequest((r) => post(new URL(r.url()))
                                            && r.method() === "POST");
  await send(quinn, "only once");
  assert.notEqual((await again).headers()["idempotency-key"], keys[0]);
  await rosa.locator("#messages li", { hasText: "only once" }).nth(1).waitFor();
  await quinn.context().close();
  await rosa.context().close();
});

test("a bad username is refused on the login form", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(timeout);
  await page.goto(base);
  // The form's own pattern check would stop the browser from sending it:
  // remove it, so that the server's answer is what shows.
  await page.evaluate(() => document.querySelector("#login-form input").removeAttribute("pattern"));
  await page.fill("#login-form input[name=username]", "no spaces allowed");
  await page.click("#login-form button");
  await page.locator("#login-error", { hasText: /./ }).waitFor();
  assert.equal(await page.locator("#chat").isVisible(), false);
  await context.close();
});

test("a page from parley.origin may call the API across origins; others may not", async () => {
  // localhost and 127.0.0.1 are different origins (and sites) to the
  // browser: this server allows pages from http://localhost:<its port>.
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const { child, url: apiBase } = await startServer([`--parley.port=${port}`,
                                                     `--parley.origin=${origin}`]);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(timeout);
    await page.goto(`${origin}/`);
    const username = unique("cors");
    const result = await page.evaluate(async ({ apiBase, username }) => {
      const login = await fetch(`${apiBase}/api/login`, {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username }) });
      const { token } = await login.json();
      // Authorization makes this one preflighted.
      const me = await fetch(`${apiBase}/api/auth_user`,
                             { headers: { Authorization: `Bearer ${token}` } });
      const stream = await new Promise((resolve) => {
        const events = new EventSource(`${apiBase}/api/messages?token=${token}`);
        events.onopen = () => { events.close(); resolve("open"); };
        events.onerror = () => { events.close(); resolve("error"); };
      });
      return { login: login.status, me: me.status, name: (await me.json()).username,
               requestId: me.headers.get("X-Request-Id") !== null, stream };
    }, { apiBase, username });
    assert.deepEqual(result, { login: 200, me: 200, name: username, requestId: true,
                               stream: "open" });

    // The first server allows only its default origin: the browser refuses
    // this page the answer.
    const refused = await page.evaluate(async (other) => {
      try {
        await fetch(`${other}/api/login`, { method: "POST",
          headers: { "Content-Type": "application/json" }, body: "{\"username\":\"x\"}" });
        return "read";
      } catch (e) {
        return "refused";
      }
    }, base);
    assert.equal(refused, "refused");
  } finally {
    await context.close();
    await stopServer(child);
  }
});

// A stand-in for GitHub's OAuth endpoints on loopback (GitHub itself is
// outside the machine): its sign-in page has an "Authorize" link that signs
// in as `account`, or answers "access_denied" when `deny` is set.
async function fakeGitHub(account) {
  const fake = { account, deny: false };
  const server = createHttpServer((req, res) => {
    const url = new URL(req.url, "http://fake");
    let body = "";
    req.on("data", (chunk) => { body += chunk; });
    req.on("end", () => {
      if (url.pathname === "/login/oauth/authorize") {
        // GitHub's page, where the user presses a button: the way back is
        // a navigation from this other site, as at github.com.
        const back = new URL(url.searchParams.get("redirect_uri"));
        back.searchParams.set("state", url.searchParams.get("state"));
        if (fake.deny) back.searchParams.set("error", "access_denied");
        else back.searchParams.set("code", "browser-code");
        const href = back.toString().replace(/&/g, "&amp;").replace(/"/g, "&quot;");
        res.writeHead(200, { "Content-Type": "text/html" })
          .end(`<!doctype html><a id="authorize" href="${href}">Authorize</a>`);
      } else if (url.pathname === "/login/oauth/access_token") {
        const form = new URLSearchParams(body);
        const ok = form.get("code") === "browser-code"
                   && form.get("client_secret") === "browser-secret";
        res.writeHead(200, { "Content-Type": "application/json" })
          .end(JSON.stringify(ok ? { access_token: "browser-token" }
                                 : { error: "bad_verification_code" }));
      } else if (url.pathname === "/user"
                 && req.headers.authorization === "Bearer browser-token") {
        res.writeHead(200, { "Content-Type": "application/json" })
          .end(JSON.stringify(fake.account));
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  fake.args = ["--parley.github-client-id=browser-app",
               "--parley.github-client-secret=browser-secret",
               `--parley.github-authorize-url=${url}/login/oauth/authorize`,
               `--parley.github-token-url=${url}/login/oauth/access_token`,
               `--parley.github-user-url=${url}/user`];
  fake.close = () => new Promise((resolve) => server.close(resolve));
  return fake;
}

test("Sign in with GitHub: off to GitHub and back, logged in, the token out of the address bar",
     async () => {
  const login = unique("octo");
  const github = await fakeGitHub({ id: Number.parseInt(randomBytes(5).toString("hex"), 16),
                                    login, avatar_url: null });
  // A server of its own with GitHub on and the development login off; its
  // origin is where GitHub sends the browser back to. localhost, while the
  // stand-in GitHub is 127.0.0.1: another site to the browser, as github.com
  // is, so the state cookie must be SameSite=Lax (Strict would not be sent).
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const { child } = await startServer([`--parley.port=${port}`, `--parley.origin=${origin}`,
                                       "--parley.dev-login=false", ...github.args]);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(timeout);
    await page.goto(`${origin}/`);
    await page.locator("#github-login").waitFor({ state: "visible" });
    assert.equal(await page.locator("#login-form").isVisible(), false);

    // Cancelled at GitHub: back on the login page, told so.
    github.deny = true;
    await page.click("#github-login a");
    await page.click("#authorize");
    await page.locator("#login-error", { hasText: "GitHub sign-in was cancelled." }).waitFor();
    assert.equal(page.url(), `${origin}/`);

    github.deny = false;
    await page.click("#github-login a");
    await page.click("#authorize");
    await page.locator("#chat").waitFor({ state: "visible" });
    assert.equal(await page.textContent("#me"), login);
    assert.equal(page.url(), `${origin}/`); // no token in the address bar
    await live(page); // the stream authenticates with the cookie set on the way
    // A reload keeps the session.
    await page.reload();
    await page.locator("#chat").waitFor({ state: "visible" });
    assert.equal(await page.textContent("#me"), login);

    // A /callback link with a valid token, opened in a tab that started no
    // sign-in (as one sent by someone else, with their token, would be):
    // the token is not taken, nobody is logged in.
    const token = await page.evaluate(() => localStorage.getItem("parley.token"));
    assert.ok(token);
    await page.click("#logout");
    await page.locator("#login").waitFor({ state: "visible" });
    const other = await context.newPage();
    other.setDefaultTimeout(timeout);
    await other.goto(`${origin}/callback?token=${encodeURIComponent(token)}&expires_at=x`);
    await other.locator("#login-error", { hasText: "not started here" }).waitFor();
    assert.equal(await other.locator("#chat").isVisible(), false);
    assert.equal(await other.evaluate(() => localStorage.getItem("parley.token")), null);
    assert.equal(other.url(), `${origin}/`);
  } finally {
    await context.close();
    await stopServer(child);
    await github.close();
  }
});
