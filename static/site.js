// Progressive enhancement only: every page works without this file.
// Registry data is never inserted as HTML: rows and results are built with
// createElement and textContent.
"use strict";

(function () {
  var root = document.body.getAttribute("data-root") || "";
  var PAGE_SIZE = 100;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; } else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function pageLink(path) { return root + path + "index.html"; }

  function humanSize(bytes) {
    if (typeof bytes !== "number" || bytes < 0) { return ""; }
    var units = ["B", "kB", "MB", "GB", "TB"];
    var size = bytes;
    for (var i = 0; i < units.length; i++) {
      if (size < 1000 || i === units.length - 1) {
        return i === 0 ? Math.floor(size) + " B" : size.toFixed(1) + " " + units[i];
      }
      size /= 1000;
    }
    return "";
  }

  function shortDigest(digest) {
    var parts = String(digest || "").split(":");
    return parts.length === 2 ? parts[0] + ":" + parts[1].slice(0, 12) : String(digest || "");
  }

  function displayTime(value) {
    var date = new Date(value);
    if (!value || isNaN(date.getTime())) { return value || ""; }
    return date.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }

  // -- copy buttons and the docker / podman choice ---------------------------------------

  function setUpCopy() {
    if (!navigator.clipboard) { return; }
    document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
          button.textContent = "Copied";
          button.classList.add("copied");
          setTimeout(function () { button.textContent = "Copy"; button.classList.remove("copied"); }, 1500);
        });
      });
    });
  }

  function setUpTool() {
    var commands = document.querySelectorAll("[data-pull-ref]");
    if (!commands.length) { return; }
    var stored = null;
    try { stored = window.localStorage.getItem("sitegen-tool"); } catch (e) { stored = null; }
    var tool = stored === "podman" ? "podman" : "docker";
    var group = el("div", { "class": "tool-choice", role: "group", "aria-label": "Pull with" });
    ["docker", "podman"].forEach(function (name) {
      var button = el("button", { type: "button", "class": "tool", "data-tool": name, text: name });
      button.addEventListener("click", function () { apply(name); });
      group.appendChild(button);
    });
    var first = commands[0].closest(".pulls");
    if (first) { first.insertBefore(group, first.firstChild); }
    function apply(name) {
      tool = name;
      try { window.localStorage.setItem("sitegen-tool", name); } catch (e) { /* private mode */ }
      group.querySelectorAll("button").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b.getAttribute("data-tool") === name));
      });
      commands.forEach(function (code) {
        var text = name + " pull " + code.getAttribute("data-pull-ref");
        code.textContent = text;
        var copy = code.parentNode.querySelector("button.copy");
        if (copy) { copy.setAttribute("data-copy", text); copy.setAttribute("aria-label", "Copy: " + text); }
      });
    }
    apply(tool);
  }

  // -- small tables: sort by clicking a header -------------------------------------------

  function sortValue(cell) {
    if (!cell) { return ""; }
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    return raw !== "" && !isNaN(raw) ? Number(raw) : raw;
  }

  function setUpSortable() {
    document.querySelectorAll("table.sortable").forEach(function (table) {
      var headers = table.querySelectorAll("thead th");
      headers.forEach(function (th, column) {
        var button = el("button", { type: "button", "class": "sort", text: th.textContent });
        th.textContent = "";
        th.appendChild(button);
        button.addEventListener("click", function () {
          var ascending = th.getAttribute("aria-sort") !== "ascending";
          headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
          th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
          var body = table.tBodies[0];
          var rows = Array.prototype.slice.call(body.rows);
          rows.sort(function (a, b) {
            var x = sortValue(a.cells[column]);
            var y = sortValue(b.cells[column]);
            var result = (typeof x === "number" && typeof y === "number") ? x - y : String(x).localeCompare(String(y));
            return ascending ? result : -result;
          });
          rows.forEach(function (row) { body.appendChild(row); });
        });
      });
    });
  }

  // -- the tag table and the platform matrix over ALL tags -------------------------------

  var SORTS = {
    version: function (row) { return row.version_rank; },
    created: function (row) { return row.created || ""; },
    size: function (row) { return row.size || 0; }
  };

  function matches(row, needle) {
    if (!needle) { return true; }
    var haystack = [row.name, row.digest, row.artifact_type].concat(row.aliases || [])
      .concat((row.platforms || []).map(function (p) { return p.platform; })).join(" ").toLowerCase();
    return needle.split(/\s+/).every(function (word) { return haystack.indexOf(word) >= 0; });
  }

  function badge(text) { return el("span", { "class": "badge", text: text }); }

  function digestCode(digest) {
    return el("code", { "class": "digest", title: digest, text: shortDigest(digest) });
  }

  function created(value, source) {
    if (!value) { return el("span", { "class": "muted", text: "unknown" }); }
    var attrs = { datetime: value, text: displayTime(value) };
    if (source === "annotation") { attrs.title = "from the org.opencontainers.image.created annotation"; }
    return el("time", attrs);
  }

  function tagRow(row) {
    var platforms = el("td");
    if (row.manifest_kind === "artifact") {
      platforms.appendChild(badge(row.artifact_type || "artifact"));
    } else {
      (row.platforms || []).forEach(function (p) { platforms.appendChild(badge(p.platform)); platforms.appendChild(document.createTextNode(" ")); });
    }
    var aliases = el("td");
    (row.aliases || []).forEach(function (a) { aliases.appendChild(el("span", { "class": "alias", text: a })); aliases.appendChild(document.createTextNode(" ")); });
    return el("tr", {}, [
      el("td", {}, [el("a", { href: pageLink(row.path), text: row.name })]),
      el("td", {}, [el("a", { href: pageLink(row.digest_path) }, [digestCode(row.digest)])]),
      platforms,
      el("td", { "class": "num", text: humanSize(row.size) }),
      el("td", {}, [created(row.created, row.created_source)]),
      aliases
    ]);
  }

  function matrixRow(row, columns) {
    var cells = {};
    (row.platforms || []).forEach(function (p) { cells[p.platform] = p; });
    var tr = el("tr", {}, [el("th", { scope: "row" }, [el("a", { href: pageLink(row.path), text: row.name })])]);
    columns.forEach(function (column) {
      var cell = cells[column];
      if (!cell) { tr.appendChild(el("td", { "class": "muted", "aria-label": "not built for " + column, text: "–" })); return; }
      var size = cell.path ? el("a", { href: pageLink(cell.path), text: humanSize(cell.size) }) : document.createTextNode(humanSize(cell.size));
      tr.appendChild(el("td", {}, [size, el("br"), digestCode(cell.digest)]));
    });
    return tr;
  }

  function setUpTagTable(table, render) {
    var rows = window.sitegenTags;
    if (!table || !Array.isArray(rows)) { return; }
    var state = { sort: "version", descending: true, needle: "", page: 0 };
    var wrap = table.closest(".table-wrap");
    var pager = wrap.nextElementSibling && wrap.nextElementSibling.classList.contains("pager") ? wrap.nextElementSibling : null;
    if (pager) { pager.hidden = true; }
    var input = el("input", { type: "search", id: table.id + "-filter", placeholder: "Filter by tag, digest or platform", autocomplete: "off", spellcheck: "false" });
    var status = el("span", { "class": "muted", role: "status", "aria-live": "polite" });
    var controls = el("div", { "class": "table-controls" }, [
      el("label", { "for": input.id, "class": "visually-hidden", text: "Filter tags" }), input, status
    ]);
    var nav = el("nav", { "class": "pager", "aria-label": "Pages of tags" });
    wrap.parentNode.insertBefore(controls, wrap);
    wrap.parentNode.insertBefore(nav, wrap.nextSibling);
    table.querySelectorAll("thead th[data-sort]").forEach(function (th) {
      var key = th.getAttribute("data-sort");
      var button = el("button", { type: "button", "class": "sort", text: th.textContent });
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        // A new column starts newest / largest first; the same column flips.
        state.descending = state.sort === key ? !state.descending : true;
        state.sort = key;
        state.page = 0;
        draw();
      });
    });
    input.addEventListener("input", function () { state.needle = input.value.trim().toLowerCase(); state.page = 0; draw(); });

    function draw() {
      var key = SORTS[state.sort];
      var shown = rows.filter(function (row) { return matches(row, state.needle); });
      shown.sort(function (a, b) {
        var x = key(a), y = key(b);
        var result = x < y ? -1 : x > y ? 1 : a.version_rank - b.version_rank;
        return state.descending ? -result : result;
      });
      var pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
      state.page = Math.min(state.page, pages - 1);
      var slice = shown.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE);
      var body = table.tBodies[0];
      var fresh = el("tbody");
      slice.forEach(function (row) { fresh.appendChild(render(row)); });
      table.replaceChild(fresh, body);
      table.querySelectorAll("thead th[data-sort]").forEach(function (th) {
        if (th.getAttribute("data-sort") === state.sort) {
          th.setAttribute("aria-sort", state.descending ? "descending" : "ascending");
        } else { th.removeAttribute("aria-sort"); }
      });
      var caption = table.querySelector("caption");
      var first = shown.length ? state.page * PAGE_SIZE + 1 : 0;
      var text = "Tags " + first + "–" + (state.page * PAGE_SIZE + slice.length) + " of " + shown.length;
      if (caption) { caption.textContent = text; }
      status.textContent = state.needle ? shown.length + " of " + rows.length + " tags match" : "";
      nav.textContent = "";
      if (pages > 1) {
        for (var n = 0; n < pages; n++) {
          if (n === state.page) {
            nav.appendChild(el("span", { "aria-current": "page", text: String(n + 1) }));
          } else {
            var button = el("button", { type: "button", "class": "page", "data-page": String(n), text: String(n + 1) });
            button.addEventListener("click", function (event) { state.page = Number(event.target.getAttribute("data-page")); draw(); });
            nav.appendChild(button);
          }
        }
      }
    }
    draw();
  }

  // -- search, on the Pagefind index built with the site ---------------------------------

  function setUpSearch() {
    var results = document.getElementById("search-results");
    if (!results) { return; }
    var input = document.getElementById("search-input");
    var query = new URLSearchParams(window.location.search).get("q") || "";
    input.value = query;
    if (window.location.protocol === "file:") {
      document.getElementById("search-offline").hidden = false;
      return;
    }
    var pagefind = null;
    function load() {
      if (!pagefind) {
        pagefind = import(root + "pagefind/pagefind.js").then(function (module) {
          module.init();
          return module;
        });
      }
      return pagefind;
    }
    var latest = 0;
    function run(text) {
      var ticket = ++latest;
      if (!text.trim()) { results.textContent = ""; return; }
      load().then(function (module) { return module.debouncedSearch(text, {}, 150); }).then(function (search) {
        if (!search || ticket !== latest) { return null; }
        return Promise.all(search.results.slice(0, 20).map(function (r) { return r.data(); })).then(function (items) {
          if (ticket !== latest) { return; }
          results.textContent = "";
          results.appendChild(el("p", { "class": "muted", text: search.results.length + " result" + (search.results.length === 1 ? "" : "s") }));
          var list = el("ol", { "class": "results" });
          items.forEach(function (item) {
            var path = String(item.url || "").replace(/^\/+/, "");
            var kind = item.meta && item.meta.kind ? item.meta.kind : "";
            list.appendChild(el("li", {}, [
              el("a", { href: root + path + (path === "" || path.slice(-1) === "/" ? "index.html" : ""), text: item.meta && item.meta.title ? item.meta.title : path }),
              kind ? el("span", { "class": "badge", text: kind }) : document.createTextNode(""),
              item.meta && item.meta.summary
                ? el("p", { "class": "excerpt", text: item.meta.summary })
                : el("p", { "class": "excerpt" }, excerpt(item.excerpt))
            ]));
          });
          results.appendChild(list);
        });
      }).catch(function () {
        results.textContent = "Search is not available: the search index could not be loaded.";
      });
    }
    // Pagefind marks matches with <mark>; keep only those, everything else as text.
    function excerpt(html) {
      var doc = new DOMParser().parseFromString("<p>" + (html || "") + "</p>", "text/html");
      var nodes = [];
      doc.body.firstChild.childNodes.forEach(function (node) {
        if (node.nodeName === "MARK") { nodes.push(el("mark", { text: node.textContent })); } else { nodes.push(node.textContent); }
      });
      return nodes;
    }
    input.addEventListener("input", function () {
      var url = new URL(window.location.href);
      url.searchParams.set("q", input.value);
      window.history.replaceState(null, "", url);
      run(input.value);
    });
    run(query);
  }

  // -- freshness: api/stamp.js, the one file every build rewrites -----------------------

  function age(seconds) {
    var hours = Math.floor(seconds / 3600);
    if (hours >= 48) { return Math.floor(hours / 24) + " days"; }
    if (hours >= 1) { return hours + (hours === 1 ? " hour" : " hours"); }
    return Math.max(1, Math.floor(seconds / 60)) + " minutes";
  }

  function took(seconds) {
    if (seconds < 60) { return seconds.toFixed(1) + " s"; }
    if (seconds < 3600) { return Math.round(seconds / 60) + " min"; }
    return (seconds / 3600).toFixed(1) + " h";
  }

  function showFreshness() {
    var stamp = window.sitegenStamp;
    var built = stamp ? new Date(stamp.built) : null;
    if (!built || isNaN(built.getTime())) { return; }
    document.querySelectorAll("[data-stamp-built]").forEach(function (node) {
      node.textContent = " · Catalog built " + displayTime(stamp.built);
      node.hidden = false;
    });
    var old = (Date.now() - built.getTime()) / 1000;
    var warning = document.getElementById("stale-warning");
    if (warning && old > stamp.stale_after) {
      warning.textContent = "This catalog was built " + age(old) + " ago (" + displayTime(stamp.built) +
        "): tags may have moved and images may be gone since.";
      warning.hidden = false;
    }
    (stamp.registries || []).forEach(function (registry) {
      document.querySelectorAll("[data-last-success]").forEach(function (cell) {
        if (cell.getAttribute("data-last-success") !== registry.name) { return; }
        cell.textContent = registry.last_success
          ? displayTime(registry.last_success) + " (took " + took(registry.seconds) + ")"
          : "never";
      });
    });
  }

  showFreshness();
  setUpCopy();
  setUpTool();
  setUpSortable();
  setUpTagTable(document.getElementById("tag-table"), tagRow);
  var matrix = document.getElementById("matrix-table");
  if (matrix) {
    var columns = JSON.parse(matrix.getAttribute("data-columns") || "[]");
    setUpTagTable(matrix, function (row) { return matrixRow(row, columns); });
  }
  setUpSearch();
})();
