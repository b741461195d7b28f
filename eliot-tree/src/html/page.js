// The task timeline of an eliot-tree HTML report. The data format is
// described in eliot-tree/src/html/encode.rs. Every text from the log is put
// in the page with textContent, setAttribute or new Option, never parsed as
// markup.
"use strict";
(() => {
  const data = JSON.parse(document.getElementById("eliot-data").textContent);
  const values = data.values;
  const ROW_HEIGHT = 30; // Of a task list entry: matches .task-entry in the CSS.
  const OVERSCAN = 8;
  const MESSAGES_SHOWN = 200;
  const MIN_BAR = 4; // px: matches .bar's min-width in the CSS.
  const STATUS_NAMES = ["started", "succeeded", "failed"];
  const ICONS = { succeeded: "✓", failed: "✗", started: "⋯", incomplete: "⋯", message: "•" };
  const STATUS_WORDS = {
    succeeded: "succeeded",
    failed: "failed",
    started: "not finished",
    incomplete: "incomplete",
    message: "a message outside any action",
  };
  const $ = (id) => document.getElementById(id);

  // --- Building elements: text only ---------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function icon(status) {
    const node = el("span", "icon st-" + status, ICONS[status]);
    node.title = STATUS_WORDS[status];
    node.setAttribute("aria-label", STATUS_WORDS[status]);
    return node;
  }

  // --- Reading the data ---------------------------------------------------

  const name = (index) => (index < 0 ? null : String(values[index]));
  const isAction = (node) => node[0] === 0;

  /** One task's summary, for the list and the filters. */
  function summarize(raw, index) {
    const [uuid, start, complete, lines, root] = raw;
    let end = 0;
    let failures = 0;
    const visit = (node) => {
      if (isAction(node)) {
        if (node[4] !== null) end = Math.max(end, node[4]);
        if (node[5] !== null) end = Math.max(end, node[5]);
        if (node[3] === 2) failures += 1;
        for (const child of node[8]) visit(child);
      } else {
        end = Math.max(end, node[3]);
      }
    };
    visit(root);
    let status;
    if (!isAction(root)) status = "message";
    else if (!complete) status = "incomplete";
    else status = STATUS_NAMES[root[3]] === "failed" ? "failed" : "succeeded";
    return {
      index,
      uuid,
      start,
      duration: end,
      lines,
      root,
      status,
      failures,
      type: name(root[2]) ?? "(action not in log)",
      types: null,
    };
  }

  const tasks = data.tasks.map(summarize);
  // The list shows the date only when the tasks span several days.
  const days = new Set(tasks.map((task) => Math.floor(task.start / 86400)));
  const oneDay = days.size <= 1;
  if (oneDay) document.documentElement.style.setProperty("--start-w", "100px");

  /** The type indexes used in a task, computed once. */
  function typesOf(task) {
    if (task.types) return task.types;
    const types = new Set();
    const visit = (node) => {
      types.add(node[2]);
      if (isAction(node)) for (const child of node[8]) visit(child);
    };
    visit(task.root);
    task.types = types;
    return types;
  }

  // --- Formatting ---------------------------------------------------------

  function utc(seconds, digits) {
    const date = new Date(Math.floor(seconds * 1000));
    if (isNaN(date.getTime())) return String(seconds);
    const iso = date.toISOString(); // 2026-11-26T08:52:30.123Z
    let text = iso.slice(0, 10) + " " + iso.slice(11, 19);
    if (digits > 0) {
      const fraction = seconds - Math.floor(seconds);
      text += "." + Math.floor(fraction * 1e6).toString().padStart(6, "0").slice(0, digits);
    }
    return text + "Z";
  }

  function duration(micros) {
    if (micros < 1000) return trim(micros.toFixed(1)) + " µs";
    if (micros < 1e6) return trim((micros / 1e3).toFixed(micros < 1e4 ? 3 : micros < 1e5 ? 2 : 1)) + " ms";
    if (micros < 60e6) return trim((micros / 1e6).toFixed(3)) + " s";
    const minutes = Math.floor(micros / 60e6);
    return minutes + " min " + Math.round((micros - minutes * 60e6) / 1e6) + " s";
  }

  const trim = (text) => (text.includes(".") ? text.replace(/\.?0+$/, "") : text);

  function shown(value) {
    return typeof value === "string" ? value : JSON.stringify(value, null, 2);
  }

  // --- The header ---------------------------------------------------------

  if (data.title) {
    $("report-title").textContent = data.title;
    document.title = data.title + " · Eliot tasks";
  }
  {
    const notes = data.notes.slice();
    if (data.malformed > 0) {
      notes.push(data.malformed + " line" + (data.malformed === 1 ? "" : "s") +
        " of the log could not be read and are not shown (eliot-tree reports them on stderr).");
    }
    const when = tasks.length > 0 && oneDay ? " on " + utc(tasks[0].start, 0).slice(0, 10) + " (UTC)" : "";
    notes.push(tasks.length + " task" + (tasks.length === 1 ? "" : "s") + when + ", written by " + data.generator + ".");
    $("report-notes").textContent = notes.join("\n");
  }

  // --- The filters --------------------------------------------------------

  {
    const actionTypes = new Map();
    const messageTypes = new Map();
    const visit = (node) => {
      if (node[2] >= 0) (isAction(node) ? actionTypes : messageTypes).set(node[2], name(node[2]));
      if (isAction(node)) for (const child of node[8]) visit(child);
    };
    for (const task of tasks) visit(task.root);
    const select = $("filter-type");
    for (const [label, types] of [["Action types", actionTypes], ["Message types", messageTypes]]) {
      if (types.size === 0) continue;
      const group = el("optgroup");
      group.label = label;
      const sorted = [...types].sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
      for (const [index, type] of sorted) group.append(new Option(type, String(index)));
      select.append(group);
    }
  }

  /** Whether a value's text holds `query` (lower case), computed once per value and query. */
  let valueMatches = null;
  let valueMatchesQuery = null;
  const lowerTexts = new Array(values.length);

  function matchingValues(query) {
    if (valueMatchesQuery === query) return valueMatches;
    const matches = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) {
      let text = lowerTexts[i];
      if (text === undefined) text = lowerTexts[i] = shown(values[i]).toLowerCase();
      if (text.includes(query)) matches[i] = 1;
    }
    valueMatches = matches;
    valueMatchesQuery = query;
    return matches;
  }

  function fieldsMatch(fields, matches) {
    for (let i = 1; i < fields.length; i += 2) if (matches[fields[i]]) return true;
    return false;
  }

  function textMatches(task, query) {
    if (task.uuid.toLowerCase().includes(query)) return true;
    const matches = matchingValues(query);
    const visit = (node) => {
      if (isAction(node)) {
        if (fieldsMatch(node[6], matches) || fieldsMatch(node[7], matches)) return true;
        for (const child of node[8]) if (visit(child)) return true;
        return false;
      }
      return fieldsMatch(node[4], matches);
    };
    return visit(task.root);
  }

  function statusMatches(task, wanted) {
    if (!wanted) return true;
    if (wanted === "has-failure") return task.failures > 0;
    return task.status === wanted;
  }

  const ORDERS = {
    start: (a, b) => a.start - b.start || a.index - b.index,
    "-start": (a, b) => b.start - a.start || a.index - b.index,
    duration: (a, b) => a.duration - b.duration || a.start - b.start,
    "-duration": (a, b) => b.duration - a.duration || a.start - b.start,
  };

  // --- The task list: only the entries in view are in the page -----------

  const list = $("task-list");
  const listBody = $("task-list-body");
  let view = [];
  let selected = null;

  function applyFilters() {
    const status = $("filter-status").value;
    const type = $("filter-type").value;
    const query = $("filter-text").value.trim().toLowerCase();
    const typeIndex = type === "" ? null : Number(type);
    view = tasks.filter((task) =>
      statusMatches(task, status) &&
      (typeIndex === null || typesOf(task).has(typeIndex)) &&
      (query === "" || textMatches(task, query)));
    view.sort(ORDERS[$("sort").value] || ORDERS.start);
    $("task-count").textContent = view.length === tasks.length
      ? tasks.length + " task" + (tasks.length === 1 ? "" : "s")
      : view.length + " of " + tasks.length + " tasks";
    listBody.style.height = view.length * ROW_HEIGHT + "px";
    list.scrollTop = 0;
    drawList();
    if (view.length > 0 && (selected === null || !view.includes(selected))) selectTask(view[0]);
    else if (view.length === 0) selectTask(null);
  }

  function drawList() {
    if (view.length === 0) {
      listBody.replaceChildren(el("div", "empty", tasks.length ? "No task matches the filters." : "The report holds no task."));
      return;
    }
    const first = Math.max(0, Math.floor(list.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(view.length, Math.ceil((list.scrollTop + list.clientHeight) / ROW_HEIGHT) + OVERSCAN);
    const entries = [];
    for (let i = first; i < last; i++) entries.push(listEntry(view[i], i));
    listBody.replaceChildren(...entries);
  }

  function listEntry(task, position) {
    const entry = el("div", "task-entry task-cols st-" + task.status);
    entry.style.top = position * ROW_HEIGHT + "px";
    entry.setAttribute("role", "option");
    entry.setAttribute("data-task-uuid", task.uuid);
    entry.setAttribute("aria-selected", String(task === selected));
    const type = el("span", "task-type", task.type);
    type.title = task.type + "\n" + task.uuid;
    entry.append(
      icon(task.status),
      type,
      el("span", "task-start", oneDay ? utc(task.start, 3).slice(11) : utc(task.start, 3)),
      el("span", "num", duration(task.duration)),
      el("span", "num", String(task.lines)),
    );
    entry.addEventListener("click", () => selectTask(task));
    return entry;
  }

  list.addEventListener("scroll", drawList, { passive: true });
  window.addEventListener("resize", drawList);
  list.addEventListener("keydown", (event) => {
    const step = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10 }[event.key];
    if (!step || view.length === 0) return;
    event.preventDefault();
    const at = Math.min(view.length - 1, Math.max(0, view.indexOf(selected) + step));
    selectTask(view[at]);
    const top = at * ROW_HEIGHT;
    if (top < list.scrollTop) list.scrollTop = top;
    else if (top + ROW_HEIGHT > list.scrollTop + list.clientHeight) list.scrollTop = top + ROW_HEIGHT - list.clientHeight;
    drawList();
  });
  for (const id of ["filter-status", "filter-type", "sort"]) $(id).addEventListener("change", applyFilters);
  $("filter-text").addEventListener("input", applyFilters);

  function selectTask(task) {
    selected = task;
    if (task !== null && location.protocol !== "about:") {
      history.replaceState(null, "", "#task=" + encodeURIComponent(task.uuid));
    }
    for (const entry of listBody.children) {
      if (entry.hasAttribute("data-task-uuid")) {
        entry.setAttribute("aria-selected", String(task !== null && entry.getAttribute("data-task-uuid") === task.uuid));
      }
    }
    drawWaterfall(task);
  }

  // --- The waterfall of one task -----------------------------------------

  const rowsBox = $("rows");
  let rows = [];
  let selectedRow = null;

  /** The task's rows, in tree order: one per action, with its messages. */
  function layout(task) {
    const out = [];
    const root = task.root;
    if (!isAction(root)) {
      out.push({ action: null, depth: 0, level: [], start: 0, end: 0, messages: [{ node: root, level: [root[1]] }] });
      return out;
    }
    const visit = (node, depth, level) => {
      const row = { action: node, depth, level, start: 0, end: 0, messages: [], children: [] };
      out.push(row);
      let earliest = Infinity;
      for (const child of node[8]) {
        const childLevel = level.concat(child[1]);
        if (isAction(child)) {
          const sub = visit(child, depth + 1, childLevel);
          earliest = Math.min(earliest, sub.start);
        } else {
          row.messages.push({ node: child, level: childLevel });
          earliest = Math.min(earliest, child[3]);
        }
      }
      // An action whose start is not in the log begins with the first
      // thing logged in it; one whose end is not in the log runs to the end
      // of the axis.
      row.start = node[4] !== null ? node[4] : Math.min(earliest, node[5] !== null ? node[5] : Infinity);
      if (!isFinite(row.start)) row.start = 0;
      row.end = node[5] !== null ? node[5] : task.duration;
      return row;
    };
    visit(root, 0, []);
    return out;
  }

  /** A round step of at least one microsecond giving about six marks. */
  function niceStep(span) {
    const rough = Math.max(span / 6, 1);
    const power = Math.pow(10, Math.floor(Math.log10(rough)));
    for (const factor of [1, 2, 2.5, 5, 10]) if (power * factor >= rough) return power * factor;
    return power * 10;
  }

  function drawAxis(span) {
    const axis = $("axis");
    const grid = el("div", "grid");
    const marks = [];
    const step = niceStep(span);
    for (let at = 0; at <= span + step * 1e-9; at += step) {
      const percent = (at / span) * 100;
      const tick = el("div", "axis-tick");
      tick.style.left = percent + "%";
      const label = el("div", "axis-label", at === 0 ? "0" : duration(Math.round(at)));
      label.style.left = percent + "%";
      if (at === 0) label.classList.add("first");
      else if (percent > 96) label.classList.add("last");
      marks.push(tick, label);
      const line = el("div");
      line.style.left = percent + "%";
      grid.append(line);
    }
    axis.replaceChildren(...marks);
    return grid;
  }

  function drawWaterfall(task) {
    const head = $("task-head");
    selectedRow = null;
    if (task === null) {
      head.replaceChildren(el("span", "empty", "No task selected."));
      $("axis").replaceChildren();
      rowsBox.replaceChildren();
      $("fields").replaceChildren();
      rows = [];
      return;
    }
    const statusBadge = el("span", "badge st-" + task.status);
    statusBadge.append(icon(task.status), el("span", null, STATUS_WORDS[task.status]));
    head.replaceChildren(
      el("span", "root", task.type),
      statusBadge,
      el("span", "fact", utc(task.start, 6)),
      el("span", "fact", duration(task.duration)),
      el("span", "fact", task.lines + " message" + (task.lines === 1 ? "" : "s")),
      el("span", "uuid", task.uuid),
    );
    const span = Math.max(task.duration, 1);
    rows = layout(task);
    const grid = drawAxis(span);
    const elements = [grid];
    rows.forEach((row, position) => elements.push(drawRow(row, position, span, task)));
    rowsBox.replaceChildren(...elements);
    rowsBox.scrollTop = 0;
    $("waterfall").scrollTop = 0;
    selectRow(rows[0]);
  }

  function rowStatus(row) {
    return row.action === null ? "message" : STATUS_NAMES[row.action[3]];
  }

  function drawRow(row, position, span, task) {
    const status = rowStatus(row);
    const box = el("div", "row wf-cols st-" + status);
    box.tabIndex = position === 0 ? 0 : -1;
    box.setAttribute("role", "treeitem");
    box.setAttribute("aria-level", String(row.depth + 1));
    const label = el("div", "row-label");
    label.style.paddingLeft = 10 + row.depth * 16 + "px";
    for (let depth = 1; depth <= row.depth; depth++) {
      const guide = el("span", "guide");
      guide.style.left = 18 + (depth - 1) * 16 + "px";
      label.append(guide);
    }
    const track = el("div", "row-track");
    if (row.action === null) {
      box.classList.add("message-row");
      label.append(icon("message"), el("span", "name", "message outside any action"));
    } else {
      const type = name(row.action[2]);
      box.setAttribute("data-action-type", type ?? "");
      box.setAttribute("data-status", status);
      box.setAttribute("data-task-level", "/" + row.level.join("/"));
      const shownName = type ?? "(action not in log)";
      const nameNode = el("span", "name", shownName);
      nameNode.title = shownName;
      label.append(icon(status), nameNode);
      if (type === "eliot:remote_task") label.append(el("span", "tag", "⇄ continued"));
      if (row.action[4] === null && row.action[5] !== null) label.append(el("span", "tag", "start not in log"));
      label.append(el("span", "dur", status === "started" ? "not finished" : duration(row.end - row.start)));
      const bar = el("div", "bar");
      // A bar shorter than its minimum width near the end of the axis
      // still ends on the axis.
      bar.style.left = "min(" + (row.start / span) * 100 + "%, calc(100% - " + MIN_BAR + "px))";
      bar.style.width = ((row.end - row.start) / span) * 100 + "%";
      bar.title = shownName + ": " + (status === "started" ? "no end in the log" : STATUS_WORDS[status] + " in " + duration(row.end - row.start));
      track.append(bar);
      if (status === "started") track.append(el("span", "open-note", "no end in log ⇥"));
    }
    for (const message of row.messages) {
      const type = name(message.node[2]);
      const tick = el("div", type === "eliot:traceback" ? "tick traceback" : "tick");
      tick.setAttribute("data-message-type", type ?? "");
      tick.setAttribute("data-task-level", "/" + message.level.join("/"));
      tick.style.left = (message.node[3] / span) * 100 + "%";
      tick.title = (type ?? "(no message type)") + " at +" + duration(message.node[3]);
      tick.addEventListener("click", (event) => {
        event.stopPropagation();
        selectRow(row, message);
      });
      track.append(tick);
    }
    box.append(label, track);
    row.element = box;
    box.addEventListener("click", () => selectRow(row));
    box.addEventListener("mouseenter", () => showFields(row, task));
    box.addEventListener("focus", () => selectRow(row));
    box.addEventListener("keydown", (event) => {
      const step = { ArrowDown: 1, ArrowUp: -1 }[event.key];
      if (!step) return;
      event.preventDefault();
      const next = rows[rows.indexOf(row) + step];
      if (next) next.element.focus();
    });
    return box;
  }

  rowsBox.addEventListener("mouseleave", () => {
    if (selectedRow) showFields(selectedRow, selected);
  });

  function selectRow(row, message) {
    if (!row) {
      $("fields").replaceChildren(el("p", "hint", "This task has no action."));
      return;
    }
    if (selectedRow && selectedRow.element) {
      selectedRow.element.classList.remove("selected");
      selectedRow.element.tabIndex = -1;
    }
    selectedRow = row;
    row.element.classList.add("selected");
    row.element.tabIndex = 0;
    showFields(row, selected, message);
  }

  // --- The fields panel ---------------------------------------------------

  function fieldsTable(fields, failure) {
    if (fields.length === 0) return el("p", "none", "none");
    const table = el("table", "kv");
    for (let i = 0; i < fields.length; i += 2) {
      const key = name(fields[i]);
      const value = values[fields[i + 1]];
      const tr = el("tr");
      if (failure && (key === "exception" || key === "reason")) tr.className = "failure";
      tr.append(el("th", null, key), el("td", typeof value === "string" ? null : "json", shown(value)));
      table.append(tr);
    }
    return table;
  }

  function messageBlock(message, task) {
    const node = message.node;
    const block = el("div", "msg");
    const head = el("div", "msg-head");
    head.append(
      el("span", "name", name(node[2]) ?? "(no message type)"),
      el("span", "when", "+" + duration(node[3]) + " · " + utc(task.start + node[3] / 1e6, 6)),
      el("span", "when", "task_level /" + message.level.join("/")),
    );
    block.append(head, fieldsTable(node[4], node[2] >= 0 && name(node[2]) === "eliot:traceback"));
    return block;
  }

  function showFields(row, task, highlight) {
    const panel = $("fields");
    const parts = [];
    const status = rowStatus(row);
    const title = el("h2");
    if (row.action === null) {
      title.append(icon("message"), el("span", "name", name(row.messages[0].node[2]) ?? "(no message type)"));
      parts.push(title);
    } else {
      const action = row.action;
      title.append(icon(status), el("span", "name", name(action[2]) ?? "(action not in log)"));
      const facts = el("dl", "facts");
      const fact = (term, text) => facts.append(el("dt", null, term), el("dd", null, text));
      fact("status", STATUS_WORDS[status]);
      fact("task_level", "/" + row.level.join("/"));
      fact("started", action[4] === null ? "start not in the log" : utc(task.start + action[4] / 1e6, 6) + " (+" + duration(action[4]) + ")");
      fact("ended", action[5] === null ? "end not in the log" : utc(task.start + action[5] / 1e6, 6) + " (+" + duration(action[5]) + ")");
      if (action[4] !== null && action[5] !== null) fact("duration", duration(action[5] - action[4]));
      parts.push(title, facts, el("h3", null, "Start fields"), fieldsTable(action[6], false));
      parts.push(el("h3", null, status === "failed" ? "End fields (failure)" : "End fields"), fieldsTable(action[7], status === "failed"));
    }
    const messages = row.messages;
    parts.push(el("h3", null, "Messages (" + messages.length + ")"));
    if (messages.length === 0) parts.push(el("p", "none", "none"));
    const limit = highlight ? Math.max(MESSAGES_SHOWN, messages.indexOf(highlight) + 1) : MESSAGES_SHOWN;
    let highlighted = null;
    for (const message of messages.slice(0, limit)) {
      const block = messageBlock(message, task);
      if (message === highlight) {
        block.classList.add("highlight");
        highlighted = block;
      }
      parts.push(block);
    }
    if (messages.length > limit) {
      const more = el("button", "more", "Show the other " + (messages.length - limit) + " messages");
      more.addEventListener("click", () => {
        more.replaceWith(...messages.slice(limit).map((message) => messageBlock(message, task)));
      });
      parts.push(more);
    }
    panel.replaceChildren(...parts);
    if (highlighted) highlighted.scrollIntoView({ block: "nearest" });
    else panel.scrollTop = 0;
  }

  // --- Start ----------------------------------------------------------------

  // A task can be linked to: report.html#task=UUID.
  const linked = decodeURIComponent(location.hash.replace(/^#task=/, ""));
  applyFilters();
  const linkedTask = tasks.find((task) => task.uuid === linked);
  if (linkedTask) {
    selectTask(linkedTask);
    list.scrollTop = Math.max(0, view.indexOf(linkedTask) * ROW_HEIGHT - list.clientHeight / 2);
    drawList();
  }
  document.documentElement.setAttribute("data-ready", "true");
  performance.mark("eliot:ready");
})();
