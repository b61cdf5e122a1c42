// The host's live board: the show's server-sent events (feed, mark, tally, question) drawn
// with DOM methods. Listeners' words are untrusted: they only ever go into textContent.
"use strict";
(function () {
  const board = document.getElementById("board");
  if (!board) return;
  const feed = document.getElementById("feed");
  const state = document.getElementById("board-state");
  const canMark = board.dataset.canMark === "1";
  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }
  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function button(label, mark, id) {
    const b = el("button", "secondary", label);
    b.type = "button";
    b.dataset.mark = mark;
    b.dataset.id = String(id);
    return b;
  }
  function render(item) {
    const li = el("li");
    li.dataset.id = String(item.id);
    if (item.starred) li.classList.add("starred");
    if (item.read_on_air_at) li.classList.add("on-air");
    const meta = el("div", "meta");
    meta.append(el("span", "time", String(item.received_at).slice(11, 16)),
                el("span", "phone", item.phone), el("span", "county", item.county || ""),
                el("span", "tags", (item.tags || []).join(", ")));
    if (item.read_on_air_at) meta.append(el("span", "badge ok", board.dataset.tOnAir));
    li.append(meta, el("div", "text", item.text));
    if (canMark) {
      const actions = el("div", "actions");
      actions.append(
        button(item.starred ? board.dataset.tUnstar : board.dataset.tStar, item.starred ? "unstar" : "star", item.id),
        button(board.dataset.tRead, item.read_on_air_at ? "off_air" : "on_air", item.id),
        button(board.dataset.tHide, "hide", item.id));
      li.append(actions);
    }
    return li;
  }
  // Hidden messages wait in their own list, each with a button to show it again.
  const hiddenBox = document.getElementById("hidden-box");
  const hiddenList = document.getElementById("hidden-items");
  const empty = document.getElementById("feed-empty");
  function keepHidden(item) {
    if (!hiddenList) return;
    const li = el("li");
    li.dataset.id = String(item.id);
    const meta = el("div", "meta");
    meta.append(el("span", "time", String(item.received_at).slice(11, 16)), el("span", "phone", item.phone));
    li.append(meta, el("div", "text", item.text));
    if (canMark) {
      const actions = el("div", "actions");
      actions.append(button(board.dataset.tShowAgain, "show", item.id));
      li.append(actions);
    }
    hiddenList.prepend(li);
    hiddenBox.hidden = false;
  }
  function place(item) {
    const old = feed.querySelector('li[data-id="' + Number(item.id) + '"]');
    if (old) old.remove();
    const kept = hiddenList ? hiddenList.querySelector('li[data-id="' + Number(item.id) + '"]') : null;
    if (kept) kept.remove();
    if (hiddenBox && hiddenList && !hiddenList.children.length) hiddenBox.hidden = true;
    if (item.hidden) { keepHidden(item); return; }
    if (empty) empty.hidden = true;
    const li = render(item);
    const newer = Array.from(feed.children).filter(n => Number(n.dataset.id) > item.id);
    const after = newer.length ? newer[newer.length - 1] : null;
    feed.insertBefore(li, after ? after.nextSibling : feed.firstChild);
  }
  function tally(t) {
    const poll = document.getElementById("poll");
    if (t.poll) {
      poll.replaceChildren();
      const list = el("ol");
      for (const o of t.poll.options) {
        const li = el("li", null, o.position + ". " + o.label + ": " + o.votes + " (" + o.percent + "%)");
        const bar = el("meter");
        bar.min = 0; bar.max = 100; bar.value = o.percent;
        li.append(bar);
        list.append(li);
      }
      poll.append(el("p", "question", t.poll.question), list);
    }
    document.getElementById("counties").replaceChildren(...t.counties.map(c => {
      const li = el("li");
      li.append(el("span", null, c.county || "?"), el("span", "num", c.messages));
      return li;
    }));
    document.getElementById("totals").textContent = board.dataset.tTotals
      .replace("{messages}", String(t.messages)).replace("{listeners}", String(t.listeners));
  }
  function marking(list, url, draw) {
    list.addEventListener("click", function (event) {
      const b = event.target.closest("button[data-mark]");
      if (!b) return;
      b.disabled = true;
      const body = new URLSearchParams({ mark: b.dataset.mark });
      fetch(url.replace(/0\/mark$/, b.dataset.id + "/mark"), {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrf() },
      }).then(r => r.ok ? r.json() : null).then(item => { if (item) draw(item); else b.disabled = false; })
        .catch(() => { b.disabled = false; });
    });
  }
  marking(feed, board.dataset.mark, place);
  if (hiddenList) marking(hiddenList, board.dataset.mark, place);
  // The episode's clock: minutes in and left, from the slot's start and end.
  const line = document.getElementById("on-air-line");
  function tick() {
    const inSpan = document.getElementById("clock-in");
    const leftSpan = document.getElementById("clock-left");
    if (!line || !line.dataset.starts || !inSpan || !leftSpan) return;
    const now = Date.now();
    const start = Date.parse(line.dataset.starts), end = Date.parse(line.dataset.ends);
    inSpan.textContent = line.dataset.tIn.replace("{minutes}", String(Math.max(0, Math.floor((now - start) / 60000))));
    leftSpan.textContent = line.dataset.tLeft.replace("{minutes}", String(Math.max(0, Math.floor((end - now) / 60000))));
  }
  setInterval(tick, 15000);
  // Callers' recorded questions: a player once the audio is in our storage.
  const questions = document.getElementById("questions");
  function renderQuestion(q, player) {
    const li = el("li");
    li.dataset.id = String(q.id);
    if (q.played_on_air_at) li.classList.add("on-air");
    const meta = el("div", "meta");
    meta.append(el("span", "time", String(q.received_at).slice(11, 16)),
                el("span", "phone", q.phone), el("span", "language", q.language),
                el("span", "county", q.county || ""));
    if (q.played_on_air_at) meta.append(el("span", "badge ok", board.dataset.tPlayed));
    li.append(meta);
    const src = String(q.audio_url || "");
    if (q.audio === "stored" && src.startsWith("/voice/audio/")) {
      if (!player || player.getAttribute("src") !== src) {
        player = document.createElement("audio");
        player.controls = true;
        player.preload = "none";
        player.setAttribute("src", src);
      }
      li.append(player);  // the same player, so a redraw does not stop it playing
    } else {
      li.append(el("p", "audio-state",
        q.audio === "pending" ? board.dataset.tAudioPending : board.dataset.tAudioMissing));
    }
    if (canMark) {
      const actions = el("div", "actions");
      actions.append(
        button(q.played_on_air_at ? board.dataset.tUnplay : board.dataset.tPlay,
               q.played_on_air_at ? "off_air" : "on_air", q.id),
        button(board.dataset.tHide, "hide", q.id));
      li.append(actions);
    }
    return li;
  }
  function placeQuestion(q) {
    const old = questions.querySelector('li[data-id="' + Number(q.id) + '"]');
    if (q.hidden) { if (old) old.remove(); return; }
    const li = renderQuestion(q, old ? old.querySelector("audio") : null);
    if (old) { old.replaceWith(li); return; }
    const newer = Array.from(questions.children).filter(n => Number(n.dataset.id) > q.id);
    const after = newer.length ? newer[newer.length - 1] : null;
    questions.insertBefore(li, after ? after.nextSibling : questions.firstChild);
  }
  if (questions) marking(questions, board.dataset.questionMark, placeQuestion);
  const source = new EventSource(board.dataset.stream);
  source.addEventListener("open", () => { state.hidden = true; });
  source.addEventListener("feed", e => place(JSON.parse(e.data)));
  source.addEventListener("mark", e => place(JSON.parse(e.data)));
  source.addEventListener("tally", e => tally(JSON.parse(e.data)));
  if (questions) source.addEventListener("question", e => placeQuestion(JSON.parse(e.data)));
})();
