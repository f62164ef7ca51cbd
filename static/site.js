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

  // A column header's text becomes a button that sorts by it.
  function sortButton(th, onClick) {
    var button = el("button", { type: "button", "class": "sort", text: th.textContent });
    th.textContent = "";
    th.appendChild(button);
    button.addEventListener("click", onClick);
  }

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
        sortButton(th, function () {
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

  // The supply-chain badges, as the templates draw them (_partials/tags.html): by
  // token, the same tokens search results carry ("signed", "vuln-high:2 high", ...).
  var BADGES = {
    "signed": ["badge-signed", "signed", "A signature refers to this digest (shown, not verified by sitegen)"],
    "provenance": ["badge-provenance", "provenance", "A provenance statement says how this was built (shown, not verified by sitegen)"],
    "sbom": ["badge-sbom", "SBOM", "An SBOM lists the packages inside (shown, not checked by sitegen)"],
    "stale-base": ["badge-stale-base", "stale base", "The base image has moved since this was built: rebuild to pick it up"],
    "new": ["badge-new", "new", "First seen within the week before this catalog was built"]
  };

  // Where a tag's first-seen time comes from, as the templates say it.
  var FIRST_SEEN = {
    "registry": "When the tag was created, as the registry's API says",
    "catalog": "The first build of this catalog that listed the tag"
  };

  function rowBadges(row) {
    var tokens = ["signed", "provenance", "sbom"].filter(function (name) { return row[name]; });
    if (row.vulnerabilities) {
      tokens.push({ severity: row.vulnerabilities.severity, text: row.vulnerabilities.text, title: row.vulnerabilities.title });
    }
    if (row.stale_base) { tokens.push("stale-base"); }
    if (row.new) { tokens.push("new"); }
    return tokens;
  }

  function supplyBadge(token) {
    if (typeof token === "string" && token.indexOf("vuln-") === 0) {
      var colon = token.indexOf(":");
      token = { severity: token.slice(5, colon), text: token.slice(colon + 1),
        title: "A vulnerability report (shown, not checked by sitegen)" };
    }
    if (typeof token !== "string") {
      return el("span", { "class": "badge badge-vuln badge-vuln-" + token.severity, title: token.title, text: token.text });
    }
    var known = BADGES[token] || ["", token, ""];
    return el("span", { "class": "badge " + known[0], title: known[2], text: known[1] });
  }

  function digestCode(digest) {
    return el("code", { "class": "digest", title: digest, text: shortDigest(digest) });
  }

  function created(value, source) {
    if (!value) { return el("span", { "class": "muted", text: "unknown" }); }
    var attrs = { datetime: value, text: displayTime(value) };
    if (source === "annotation") { attrs.title = "from the org.opencontainers.image.created annotation"; }
    return el("time", attrs);
  }

  // The created cell: when it was created, pushed and first seen.
  function times(row) {
    var cell = el("td", {}, [created(row.created, row.created_source)]);
    if (row.pushed) {
      cell.appendChild(el("br"));
      cell.appendChild(el("span", { "class": "muted" }, [document.createTextNode("pushed "), created(row.pushed)]));
    }
    if (row.first_seen) {
      cell.appendChild(el("br"));
      cell.appendChild(el("span", { "class": "muted", title: FIRST_SEEN[row.first_seen_source] || "" },
        [document.createTextNode("first seen "), created(row.first_seen)]));
    }
    return cell;
  }

  function tagRow(row) {
    var platforms = el("td");
    if (row.manifest_kind === "helm-chart") {
      var chart = badge("Helm chart");
      chart.classList.add("badge-kind");
      platforms.appendChild(chart);
    } else if (row.manifest_kind !== "image" && row.manifest_kind !== "index") {
      platforms.appendChild(badge(row.artifact_type || row.manifest_kind || "artifact"));
    } else {
      (row.platforms || []).forEach(function (p) { platforms.appendChild(badge(p.platform)); platforms.appendChild(document.createTextNode(" ")); });
    }
    var aliases = el("td");
    (row.aliases || []).forEach(function (a) { aliases.appendChild(el("span", { "class": "alias", text: a })); aliases.appendChild(document.createTextNode(" ")); });
    var name = el("td", {}, [el("a", { href: pageLink(row.path), text: row.name })]);
    if (row.points_to) {
      name.appendChild(document.createTextNode(" "));
      name.appendChild(el("span", { "class": "points-to", text: "= " + row.points_to }));
    }
    if (row.prerelease) {
      name.appendChild(document.createTextNode(" "));
      name.appendChild(el("span", { "class": "badge badge-pre", text: "pre-release" }));
    }
    rowBadges(row).forEach(function (token) {
      name.appendChild(document.createTextNode(" "));
      name.appendChild(supplyBadge(token));
    });
    return el("tr", {}, [
      name,
      el("td", {}, [el("a", { href: pageLink(row.digest_path) }, [digestCode(row.digest)])]),
      platforms,
      el("td", { "class": "num" }, [
        typeof row.size === "number" ? humanSize(row.size) : el("span", { "class": "muted", text: "unknown" })
      ]),
      times(row),
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
      var size = cell.path ? el("a", { href: pageLink(cell.path), text: humanSize(cell.size) }) : el("span", { "class": "muted", text: "size unknown" });
      tr.appendChild(el("td", {}, [size, el("br"), digestCode(cell.digest)]));
    });
    return tr;
  }

  // A filter that matches nothing says so in the table, and how to see every tag again.
  function noMatch(table, input, total) {
    var clear = el("button", { type: "button", "class": "copy", text: "Clear the filter" });
    clear.addEventListener("click", function () {
      input.value = "";
      input.dispatchEvent(new Event("input"));
      input.focus();
    });
    var cell = el("td", { "class": "no-match", colspan: String(table.tHead.rows[0].cells.length) }, [
      document.createTextNode("No tag, digest or platform matches “" + input.value.trim() + "”. "),
      clear,
      document.createTextNode(" to see all " + total + " tags.")
    ]);
    return el("tr", {}, [cell]);
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
      sortButton(th, function () {
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
      if (!shown.length && state.needle) { fresh.appendChild(noMatch(table, input, rows.length)); }
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

  // -- an SBOM's package table, a report's findings: filtered in place by every word typed -----------------------

  function setUpPackageTables() {
    document.querySelectorAll("table.packages, table.findings").forEach(function (table) {
      var wrap = table.closest(".table-wrap");
      var rows = Array.prototype.slice.call(table.tBodies[0].rows);
      var noun = table.getAttribute("data-noun") || "packages";
      var placeholder = table.getAttribute("data-filter") || "Filter by name, version, type, license or purl";
      var input = el("input", { type: "search", id: table.id + "-filter", placeholder: placeholder, autocomplete: "off", spellcheck: "false" });
      var status = el("span", { "class": "muted", role: "status", "aria-live": "polite" });
      wrap.parentNode.insertBefore(el("div", { "class": "table-controls" }, [
        el("label", { "for": input.id, "class": "visually-hidden", text: "Filter " + noun }), input, status
      ]), wrap);
      var texts = rows.map(function (row) { return row.textContent.toLowerCase(); });
      input.addEventListener("input", function () {
        var words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
        var shown = 0;
        rows.forEach(function (row, n) {
          var hit = words.every(function (word) { return texts[n].indexOf(word) >= 0; });
          row.hidden = !hit;
          if (hit) { shown += 1; }
        });
        status.textContent = words.length ? shown + " of " + rows.length + " " + noun + " match" : "";
      });
    });
  }

  // -- the registry page: one table of every repository, sorted and filtered in place ------

  var REPOSITORY_SORTS = {
    name: { column: 0, first: "ascending" },
    namespace: { column: 1, first: "ascending" },
    tags: { column: 2, first: "descending", numeric: true },
    updated: { column: 3, first: "descending" }
  };

  function setUpRepositoryTable() {
    var table = document.getElementById("repository-table");
    if (!table) { return; }
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var texts = rows.map(function (row) { return row.textContent.toLowerCase(); });
    var wrap = table.closest(".table-wrap");
    var input = el("input", { type: "search", id: "repository-filter", placeholder: "Filter by name, namespace or description", autocomplete: "off", spellcheck: "false" });
    var status = el("span", { "class": "muted", role: "status", "aria-live": "polite" });
    var none = el("p", { "class": "no-match", hidden: "", text: "" });
    wrap.parentNode.insertBefore(el("div", { "class": "table-controls" }, [
      el("label", { "for": input.id, "class": "visually-hidden", text: "Filter repositories" }), input, status
    ]), wrap);
    wrap.parentNode.insertBefore(none, wrap.nextSibling);
    function value(row, key) {
      var sort = REPOSITORY_SORTS[key];
      var cell = row.cells[sort.column];
      var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
      return sort.numeric ? Number(raw) : raw;
    }
    table.querySelectorAll("thead th[data-sort]").forEach(function (th) {
      var key = th.getAttribute("data-sort");
      sortButton(th, function () {
        var current = th.getAttribute("aria-sort");
        var order = current ? (current === "ascending" ? "descending" : "ascending") : REPOSITORY_SORTS[key].first;
        table.querySelectorAll("thead th").forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", order);
        var sign = order === "ascending" ? 1 : -1;
        // Ties (and an unknown update, which sorts last either way) keep name order.
        var sorted = rows.slice().sort(function (a, b) {
          var x = value(a, key), y = value(b, key);
          if (x === "" || y === "") { return x === y ? 0 : (x === "" ? 1 : -1); }
          var result = typeof x === "number" ? x - y : (x < y ? -1 : x > y ? 1 : 0);
          return result * sign || rows.indexOf(a) - rows.indexOf(b);
        });
        var fresh = document.createDocumentFragment();
        sorted.forEach(function (row) { fresh.appendChild(row); });
        body.appendChild(fresh);
      });
    });
    input.addEventListener("input", function () {
      var words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row, i) {
        var match = words.every(function (word) { return texts[i].indexOf(word) >= 0; });
        row.hidden = !match;
        if (match) { shown++; }
      });
      status.textContent = words.length ? shown + " of " + rows.length + " repositories match" : "";
      none.hidden = shown > 0;
      none.textContent = shown ? "" : "No repository matches \u201c" + input.value.trim() + "\u201d. Try part of a name, a namespace, or a word of a description.";
    });
  }

  // -- search, on the Pagefind index built with the site ---------------------------------
  // What a reader pastes is often a pull reference or a whole command; it is read as one
  // (readReference) and searched as the names the index holds (searchCandidates).

  var COMMAND_WORDS = ["sudo", "docker", "podman", "nerdctl", "ctr", "crictl", "crane", "skopeo",
    "helm", "oras", "cosign", "image", "images", "pull", "run", "inspect", "copy", "verify",
    "download", "manifest", "from"];
  var FLAGS_WITH_VALUE = ["--platform", "--version", "--tag", "-t", "--name", "--key", "--type"];
  var DOCKER_HUB_HOSTS = ["docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"];

  // "docker pull host/repo:tag", "FROM repo:tag AS build", "helm pull oci://host/repo
  // --version 1.0", "host/repo@sha256:..." -> {host, repository, tag, digest}; null when
  // the text is no reference (plain words are searched as they are).
  function readReference(text) {
    var words = text.trim().split(/\s+/);
    var found = [];
    var version = "";
    var command = false;
    for (var i = 0; i < words.length; i++) {
      var word = words[i];
      var lower = word.toLowerCase();
      if (lower.charAt(0) === "-") {
        var flag = lower.split("=")[0];
        var value = lower.indexOf("=") > 0 ? word.slice(word.indexOf("=") + 1) : null;
        if (FLAGS_WITH_VALUE.indexOf(flag) >= 0 && value === null) { value = words[++i] || ""; }
        if (flag === "--version") { version = value || ""; }
        command = true;
      } else if (COMMAND_WORDS.indexOf(lower) >= 0 && found.length === 0) {
        command = true;
      } else if (lower === "as" && found.length === 1) {
        i++; // FROM image AS stage
      } else {
        found.push(word);
      }
    }
    if (found.length !== 1) { return null; }
    var ref = found[0].replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
    if (!command && !/[\/:@]/.test(ref)) { return null; }
    var digest = "";
    var at = ref.indexOf("@");
    if (at >= 0) { digest = ref.slice(at + 1); ref = ref.slice(0, at); }
    var tag = version;
    var slash = ref.lastIndexOf("/");
    var colon = ref.lastIndexOf(":");
    if (colon > slash) { tag = ref.slice(colon + 1); ref = ref.slice(0, colon); }
    var parts = ref.split("/").filter(function (part) { return part !== ""; });
    var host = "";
    if (parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === "localhost")) { host = parts.shift(); }
    if (!parts.length) { return null; }
    return { host: host.toLowerCase(), repository: parts.join("/"), tag: tag, digest: digest };
  }

  // The queries to try in turn for a reference, best first: the first whose results hold
  // that repository (and that tag) wins; the repository alone comes last.
  function searchCandidates(ref) {
    var names = [ref.repository];
    var hub = !ref.host || DOCKER_HUB_HOSTS.indexOf(ref.host) >= 0;
    if (hub && ref.repository.indexOf("/") < 0) { names.push("library/" + ref.repository); }
    if (hub && ref.repository.indexOf("library/") === 0) { names.push(ref.repository.slice(8)); }
    if (ref.host) { names.push(ref.host + "/" + ref.repository); } // a namespace with a dot
    var candidates = [];
    names.forEach(function (name) {
      if (ref.digest) { candidates.push({ query: name + " " + ref.digest, repository: name, digest: ref.digest }); }
      if (ref.tag) { candidates.push({ query: name + ":" + ref.tag, repository: name, tag: ref.tag }); }
    });
    if (ref.digest) { candidates.push({ query: ref.digest, digest: ref.digest }); }
    names.forEach(function (name) {
      candidates.push({ query: name, repository: name, missing: ref.tag || ref.digest });
    });
    return candidates;
  }

  // The index holds a digest or commit hash by its first 16 hex digits (search.HEX_INDEXED):
  // a whole one typed or pasted is searched as those. (Pagefind falls back to the longest
  // indexed word a search word starts with, but only among the words of the one index
  // chunk it loads for it; cut, the word is the one the index holds.)
  var HEX_INDEXED = 16;
  function indexedQuery(text) {
    return text.split(/\s+/).map(function (word) {
      var found = /^((?:sha256|sha512):)?([0-9a-f]+)$/i.exec(word);
      return found && found[2].length > HEX_INDEXED ? (found[1] || "") + found[2].slice(0, HEX_INDEXED) : word;
    }).join(" ");
  }

  // Whether a result is what a candidate asks for: its repository, with that tag (or a
  // longer one: 1.25 finds 1.25.3) among the tags of its image.
  function answers(candidate, item) {
    var meta = item.meta || {};
    if (candidate.repository && String(meta.repository || "").toLowerCase() !== candidate.repository.toLowerCase()) { return false; }
    if (!candidate.tag) { return true; }
    var wanted = candidate.tag.toLowerCase();
    return String(meta.tags || "").toLowerCase().split(" ").some(function (tag) { return tag.indexOf(wanted) === 0; });
  }

  // Newest first: results of one repository together (where its best result ranks), the
  // repository first, then its images by version. An exact reference keeps Pagefind's order.
  function orderResults(items) {
    var groups = [];
    var byRepository = {};
    items.forEach(function (item) {
      var meta = item.meta || {};
      var key = (item.filters && item.filters.registry ? item.filters.registry[0] : "") + "\n" + (meta.repository || item.url);
      if (!byRepository[key]) { byRepository[key] = []; groups.push(byRepository[key]); }
      byRepository[key].push(item);
    });
    var ordered = [];
    groups.forEach(function (group) {
      group.sort(function (a, b) {
        var x = a.meta.kind === "repository" ? Infinity : Number(a.meta.rank || 0);
        var y = b.meta.kind === "repository" ? Infinity : Number(b.meta.rank || 0);
        return y - x;
      });
      ordered = ordered.concat(group);
    });
    return ordered;
  }

  // A package whose name is a word of the query comes first: "musl 1.2" finds musl before
  // musl-utils, whose name only starts with it. The rest keep their order.
  function namedFirst(items, text) {
    var words = text.trim().toLowerCase().split(/\s+/);
    function named(item) {
      var meta = item.meta || {};
      return meta.kind === "package" && words.indexOf(String(meta.title || "").toLowerCase()) >= 0;
    }
    return items.filter(named).concat(items.filter(function (item) { return !named(item); }));
  }

  // [filter, legend, what one value means]: "seen" has the one value "new" (images with a
  // tag first seen within the week before the build), so it is shown with that alone.
  var FACETS = [["registry", "Registry"], ["kind", "Kind"], ["platform", "Platform"], ["has", "Supply chain"],
    ["seen", "First seen", BADGES["new"][2]]];
  var RESULTS_SHOWN = 40;

  function setUpSearch() {
    var results = document.getElementById("search-results");
    if (!results) { return; }
    var input = document.getElementById("search-input");
    var facets = document.getElementById("search-facets");
    var params = new URLSearchParams(window.location.search);
    var query = params.get("q") || "";
    var chosen = {};
    FACETS.forEach(function (facet) { chosen[facet[0]] = params.getAll(facet[0]); });
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
    function filters() {
      var active = {};
      FACETS.forEach(function (facet) { if (chosen[facet[0]].length) { active[facet[0]] = { any: chosen[facet[0]] }; } });
      return active;
    }
    // The first candidate that some result answers, its results loaded (those answering
    // first); else the first candidate with any result; else the last, with none.
    function searchFirst(module, candidates) {
      var loose = null;
      var last = null;
      function attempt(index) {
        if (index >= candidates.length) { return loose || { search: last, items: [], candidate: candidates[candidates.length - 1] }; }
        var candidate = candidates[index];
        return module.search(indexedQuery(candidate.query), { filters: filters() }).then(function (search) {
          last = search || last;
          if (!search || !search.results.length) { return attempt(index + 1); }
          return Promise.all(search.results.slice(0, RESULTS_SHOWN).map(function (r) { return r.data(); })).then(function (items) {
            var found = { search: search, items: items, candidate: candidate };
            if (candidates.length === 1) { return found; }
            var hits = items.filter(function (item) { return answers(candidate, item); });
            if (!hits.length) { loose = loose || found; return attempt(index + 1); }
            if (candidate.tag || candidate.digest) {
              found.items = hits.concat(items.filter(function (item) { return hits.indexOf(item) < 0; }));
              found.exact = true;
            }
            return found;
          });
        });
      }
      return attempt(0);
    }
    function saveState() {
      var url = new URL(window.location.href);
      url.searchParams.set("q", input.value);
      FACETS.forEach(function (facet) {
        url.searchParams.delete(facet[0]);
        chosen[facet[0]].forEach(function (value) { url.searchParams.append(facet[0], value); });
      });
      window.history.replaceState(null, "", url);
    }
    var latest = 0;
    function run(text) {
      var ticket = ++latest;
      if (!text.trim()) { results.textContent = ""; facets.textContent = ""; return; }
      var ref = readReference(text);
      var candidates = ref ? searchCandidates(ref) : [{ query: text.trim() }];
      load().then(function (module) {
        return new Promise(function (resolve) { setTimeout(resolve, 150); }).then(function () {
          if (ticket !== latest) { return null; }
          // Pagefind counts filter values per query only while a filter is on; before
          // that, the facets show the catalog's counts.
          return Promise.all([searchFirst(module, candidates), module.filters()]).then(function (both) {
            both[0].all = both[1];
            return both[0];
          });
        });
      }).then(function (found) {
        if (!found || ticket !== latest) { return; }
        var items = found.items;
        var total = found.search ? found.search.results.length : 0;
        if (found.search) { drawFacets(found.search, found.all); }
        results.textContent = "";
        if (!items.length) { results.appendChild(noMatch(text)); return; }
        var note = total + " result" + (total === 1 ? "" : "s");
        if (found.candidate.query !== text.trim()) {
          note += " for " + found.candidate.query;
          if (found.candidate.missing) { note += " (no " + found.candidate.missing + " there)"; }
        }
        results.appendChild(el("p", { "class": "muted", role: "status", text: note }));
        var list = el("ol", { "class": "results" });
        (found.exact ? items : namedFirst(orderResults(items), text)).forEach(function (item) {
          list.appendChild(resultItem(item));
        });
        results.appendChild(list);
      }).catch(function () {
        results.textContent = "Search is not available: the search index could not be loaded.";
      });
    }
    function noMatch(text) {
      var filtered = FACETS.some(function (facet) { return chosen[facet[0]].length; });
      return el("div", { "class": "no-match", role: "status" }, [
        el("p", {}, ["No match for ", el("strong", { text: text.trim() }), "."]),
        el("p", { "class": "muted", text: "Try a repository name (such as web or library/nginx), a tag (1.2 or latest), " +
          "the first characters of a digest, or a pull reference such as host/repository:tag" +
          (filtered ? "; or clear the filters." : ".") })
      ]);
    }
    function resultItem(item) {
      var path = String(item.url || "").replace(/^\/+/, "");
      var meta = item.meta || {};
      return el("li", {}, [
        el("a", { href: root + path + (path === "" || path.slice(-1) === "/" ? "index.html" : ""), text: meta.title || path }),
        meta.kind ? el("span", { "class": "badge", text: meta.kind }) : document.createTextNode(""),
        el("span", { "class": "result-badges" }, (meta.badges ? meta.badges.split("|") : []).map(supplyBadge)),
        meta.summary ? el("p", { "class": "excerpt", text: meta.summary }) : el("p", { "class": "excerpt" }, excerpt(item.excerpt))
      ]);
    }
    // Checkboxes per facet (values of one facet are alternatives); a facet with a single
    // value and nothing chosen says nothing and is left out, unless that value is all
    // the facet has (First seen: new).
    function drawFacets(search, all) {
      facets.textContent = "";
      // Counts for the query: a facet that is on counts each of its values alone
      // (totalFilters); the others count within the filters that are on.
      FACETS.forEach(function (facet) {
        var name = facet[0];
        var counts = {};
        var any = FACETS.some(function (f) { return chosen[f[0]].length; });
        counts[name] = ((!any ? all : chosen[name].length ? search.totalFilters : search.filters) || {})[name] || {};
        var values = Object.keys(counts[name] || {}).filter(function (value) {
          return (counts[name][value] || 0) > 0 || chosen[name].indexOf(value) >= 0;
        }).sort();
        if (values.length < (facet[2] ? 1 : 2) && !chosen[name].length) { return; }
        var box = el("fieldset", { "class": "facet" }, [el("legend", { text: facet[1] })]);
        values.forEach(function (value) {
          var id = "facet-" + name + "-" + value.replace(/[^A-Za-z0-9_-]/g, "_");
          var check = el("input", { type: "checkbox", id: id, value: value });
          check.checked = chosen[name].indexOf(value) >= 0;
          check.addEventListener("change", function () {
            chosen[name] = chosen[name].filter(function (v) { return v !== value; });
            if (check.checked) { chosen[name].push(value); }
            saveState();
            run(input.value);
          });
          var count = (counts[name] || {})[value];
          var label = el("label", { "for": id }, [check, " " + value + " ", el("span", { "class": "muted", text: "(" + (count || 0) + ")" })]);
          if (facet[2]) { label.title = facet[2]; }
          box.appendChild(label);
        });
        facets.appendChild(box);
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
      saveState();
      run(input.value);
    });
    run(query);
  }

  // -- "group by image": one of the two tag views at a time --------------------------------
  // Without JavaScript both sections are on the page, linked to each other.

  function setUpViews() {
    var views = { tags: document.getElementById("tags"), images: document.getElementById("images") };
    if (!views.tags || !views.images) { return; }
    function show(name) {
      Object.keys(views).forEach(function (key) { views[key].hidden = key !== name; });
    }
    document.querySelectorAll("a.view-switch[data-view]").forEach(function (link) {
      link.setAttribute("role", "button");
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var name = link.getAttribute("data-view");
        show(name);
        window.history.replaceState(null, "", "#" + name);
        var heading = views[name].querySelector("h2");
        if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
      });
    });
    function fromHash() { show(window.location.hash === "#images" ? "images" : "tags"); }
    window.addEventListener("hashchange", fromHash);
    fromHash();
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
  setUpViews();
  setUpSortable();
  setUpRepositoryTable();
  setUpPackageTables();
  setUpTagTable(document.getElementById("tag-table"), tagRow);
  var matrix = document.getElementById("matrix-table");
  if (matrix) {
    var columns = JSON.parse(matrix.getAttribute("data-columns") || "[]");
    setUpTagTable(matrix, function (row) { return matrixRow(row, columns); });
  }
  setUpSearch();
})();
