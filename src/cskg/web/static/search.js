/* Search on the static site (`cskg publish`): the rules of cskg.search (src/cskg/search.py),
 * run in the browser over the site's own index file (search-index.json, named by the results
 * list's data-index attribute). Nothing else is fetched; results are built as DOM nodes, never
 * as HTML text. Keep this file in step with search.py: tests/test_search.py runs both.
 *
 * One difference is known: positions and lengths count UTF-16 units here and characters in
 * Python, which differ only for characters beyond the Basic Multilingual Plane.
 */
(function () {
  "use strict";

  const MAX_QUERY = 200;
  const MAX_TERMS = 10;
  const DEFAULT_RESULTS = 20;
  const SNIPPET = 160;
  const FUZZY_MIN = 4;
  const KINDS = { exact: 0.9, prefix: 0.8, phrase: 0.7, terms: 0.6, fuzzy: 0.2 };
  const COVERAGE = 0.08;
  const FUZZY = 0.3;
  const BONUS = { label: 0.01, alias: 0.005, name: 0.0 };
  const QUOTE = 0.15;

  const CJK = "\\u2e80-\\u9fff\\uf900-\\ufaff\\u{20000}-\\u{3ffff}";
  const TERM = new RegExp("([" + CJK + "]+)|([^ " + CJK + "]+)", "gu");
  const MARK = /^\p{M}$/u;
  const WORD_CHAR = /^[\p{L}\p{N}]$/u;

  function isCjk(char) {
    const point = char.codePointAt(0);
    return (
      (point >= 0x2e80 && point <= 0x9fff) ||
      (point >= 0xf900 && point <= 0xfaff) ||
      (point >= 0x20000 && point <= 0x3ffff)
    );
  }

  /* normalise(text) and, for each UTF-16 unit of it, the span of `text` it comes from */
  function normaliseMapped(text) {
    const chars = [];
    const from = [];
    let index = 0;
    for (const char of text) {
      for (const part of char.normalize("NFKD")) {
        if (!MARK.test(part)) {
          chars.push(part);
          from.push([index, index + char.length]);
        }
      }
      index += char.length;
    }
    let folded = Array.from(chars.join("").toLowerCase());
    if (folded.length !== chars.length) folded = chars.map((c) => c.toLowerCase());
    const out = [];
    const where = [];
    folded.forEach((char, k) => {
      if (WORD_CHAR.test(char)) {
        out.push(char);
        where.push(from[k]);
      } else if (out.length && out[out.length - 1] !== " ") {
        out.push(" ");
        where.push(from[k]);
      }
    });
    if (out.length && out[out.length - 1] === " ") {
      out.pop();
      where.pop();
    }
    const units = [];
    out.forEach((char, k) => {
      for (let u = 0; u < char.length; u++) units.push(where[k]);
    });
    return [out.join(""), units];
  }

  function normalise(text) {
    return normaliseMapped(text)[0];
  }

  function terms(norm) {
    return Array.from(norm.matchAll(TERM), (m) => ({
      text: m[0],
      start: m.index,
      cjk: m[1] !== undefined,
    }));
  }

  function parseQuery(text) {
    const norm = normalise(Array.from(text).slice(0, MAX_QUERY).join(""));
    return { text: norm, terms: terms(norm).slice(0, MAX_TERMS) };
  }

  function maxEdits(word) {
    const length = Array.from(word).length;
    return length < FUZZY_MIN ? 0 : length <= 7 ? 1 : 2;
  }

  /* optimal string alignment distance, or limit + 1 as soon as it is over limit */
  function osa(first, second, limit) {
    const a = Array.from(first);
    const b = Array.from(second);
    if (Math.abs(a.length - b.length) > limit) return limit + 1;
    let before = [];
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const current = [i];
      for (let j = 1; j <= b.length; j++) {
        const cost = a[i - 1] === b[j - 1] ? 0 : 1;
        let best = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
          best = Math.min(best, before[j - 2] + 1);
        }
        current.push(best);
      }
      if (Math.min(...current) > limit) return limit + 1;
      before = previous;
      previous = current;
    }
    const distance = previous[previous.length - 1];
    return distance <= limit ? distance : limit + 1;
  }

  function bigrams(run) {
    const chars = Array.from(run);
    const out = [];
    for (let i = 0; i < chars.length - 1; i++) out.push(chars[i] + chars[i + 1]);
    return out.length ? out : [run];
  }

  function charBefore(text, at) {
    const unit = text.charCodeAt(at - 1);
    return unit >= 0xdc00 && unit <= 0xdfff && at >= 2 ? text.slice(at - 2, at) : text[at - 1];
  }

  function phraseAt(value, text) {
    let at = value.indexOf(text);
    while (at !== -1) {
      if (at === 0) return at;
      const previous = charBefore(value, at);
      const first = String.fromCodePoint(value.codePointAt(at));
      if (previous === " " || isCjk(previous) || isCjk(first)) return at;
      at = value.indexOf(text, at + 1);
    }
    return -1;
  }

  function termAt(term, value, words) {
    if (term.cjk) {
      const at = value.indexOf(term.text);
      return at !== -1 ? [at, at + term.text.length] : null;
    }
    for (const word of words) {
      if (!word.cjk && word.text.startsWith(term.text)) {
        return [word.start, word.start + term.text.length];
      }
    }
    return null;
  }

  function near(term, value, words) {
    if (term.cjk) {
      const grams = bigrams(term.text);
      const spans = [];
      for (const gram of grams) {
        const at = value.indexOf(gram);
        if (at !== -1) spans.push([at, at + gram.length]);
      }
      const share = spans.length / grams.length;
      return share >= 0.5 ? [share, spans] : null;
    }
    const limit = maxEdits(term.text);
    let best = null;
    for (const word of words) {
      if (!limit || word.cjk) continue;
      const edits = osa(term.text, word.text, limit);
      if (edits <= limit) {
        const longest = Math.max(Array.from(term.text).length, Array.from(word.text).length);
        const similarity = 1 - edits / longest;
        if (best === null || similarity > best[0]) {
          best = [similarity, [[word.start, word.start + word.text.length]]];
        }
      }
    }
    return best;
  }

  function covered(spans) {
    let total = 0;
    let end = 0;
    for (const [start, stop] of [...spans].sort((x, y) => x[0] - y[0] || x[1] - y[1])) {
      total += Math.max(0, stop - Math.max(start, end));
      end = Math.max(end, stop);
    }
    return total;
  }

  function match(query, value, fuzzy) {
    const text = query.text;
    if (!text || !value) return null;
    if (value === text) {
      return { quality: KINDS.exact + COVERAGE, kind: "exact", spans: [[0, text.length]] };
    }
    const at = phraseAt(value, text);
    if (at !== -1) {
      const kind = at === 0 ? "prefix" : "phrase";
      const quality = KINDS[kind] + (COVERAGE * text.length) / value.length;
      return { quality, kind, spans: [[at, at + text.length]] };
    }
    const words = terms(value);
    const spans = [];
    const similarities = [];
    for (const term of query.terms) {
      const found = termAt(term, value, words);
      if (found !== null) {
        spans.push(found);
        similarities.push(1.0);
        continue;
      }
      const close = fuzzy ? near(term, value, words) : null;
      if (close === null) return null;
      similarities.push(close[0]);
      spans.push(...close[1]);
    }
    if (!similarities.length) return null;
    const share = (COVERAGE * covered(spans)) / value.length;
    if (Math.min(...similarities) === 1.0) {
      return { quality: KINDS.terms + share, kind: "terms", spans };
    }
    const similarity = (FUZZY * similarities.reduce((a, b) => a + b, 0)) / similarities.length;
    return { quality: KINDS.fuzzy + similarity + share, kind: "fuzzy", spans };
  }

  function score(field, found) {
    return field === "quote" ? found.quality * QUOTE : found.quality + BONUS[field];
  }

  function rawSpans(text, spans) {
    const origin = normaliseMapped(text)[1];
    const out = [];
    for (const [start, end] of [...spans].sort((x, y) => x[0] - y[0] || x[1] - y[1])) {
      if (start >= end || end > origin.length) continue;
      const begin = origin[start][0];
      let stop = origin[end - 1][1];
      while (stop < text.length && MARK.test(String.fromCodePoint(text.codePointAt(stop)))) {
        stop += String.fromCodePoint(text.codePointAt(stop)).length;
      }
      if (out.length && begin <= out[out.length - 1][1]) {
        out[out.length - 1][1] = Math.max(out[out.length - 1][1], stop);
      } else {
        out.push([begin, stop]);
      }
    }
    return out;
  }

  function snippet(text, marks) {
    if (text.length <= SNIPPET) return [text, marks];
    const first = marks.length ? marks[0][0] : 0;
    const start = Math.max(0, Math.min(first - Math.floor(SNIPPET / 4), text.length - SNIPPET));
    const end = start + SNIPPET;
    const lead = start ? "…" : "";
    const shift = lead.length - start;
    const kept = marks
      .filter(([a, b]) => a < end && b > start)
      .map(([a, b]) => [Math.max(a, start) + shift, Math.min(b, end) + shift]);
    return [lead + text.slice(start, end) + (end < text.length ? "…" : ""), kept];
  }

  /* the index file, with each value normalised once */
  function load(data) {
    return {
      fields: data.fields,
      langs: data.langs,
      classes: data.classes,
      entities: data.entities,
      values: data.values.map(([field, text, entities]) => ({
        field: data.fields[field],
        text,
        norm: normalise(text),
        entities,
      })),
    };
  }

  function search(index, text, limit) {
    const query = parseQuery(text);
    if (!query.terms.length) return [];
    const best = new Map();
    index.values.forEach((value, number) => {
      const found = match(query, value.norm, value.field !== "quote");
      if (found === null) return;
      const scored = score(value.field, found);
      for (const entity of value.entities) {
        const held = best.get(entity);
        if (held === undefined || scored > held.score) {
          best.set(entity, { score: scored, number, found });
        }
      }
    });
    const iri = (entity) => index.entities[entity][0];
    const order = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
    const ranked = [...best.entries()].sort(
      (x, y) => y[1].score - x[1].score || order(iri(x[0]), iri(y[0])),
    );
    return ranked.slice(0, limit).map(([entity, held]) => {
      const value = index.values[held.number];
      const [iriText, href, cls, ...labels] = index.entities[entity];
      const [shown, marks] = snippet(value.text, rawSpans(value.text, held.found.spans));
      const field = value.field;
      return { iri: iriText, href, cls, labels, score: held.score, field, snippet: shown, marks };
    });
  }

  // -- the page ---------------------------------------------------------------------------

  function labelIn(index, labels, lang) {
    const at = index.langs.indexOf(lang);
    return labels[at >= 0 ? at : 0];
  }

  function render(index, results, list, lang) {
    const fieldName = (field) =>
      list.dataset["field" + field[0].toUpperCase() + field.slice(1)] || field;
    list.replaceChildren();
    for (const result of results) {
      const item = document.createElement("li");
      item.className = "hit";
      item.dataset.iri = result.iri;
      item.dataset.field = result.field;
      const name = document.createElement(result.href ? "a" : "span");
      if (result.href) name.setAttribute("href", result.href);
      name.setAttribute("translate", "no"); // the data's names, not the interface's words
      name.textContent = labelIn(index, result.labels, lang);
      item.append(name);
      if (result.cls >= 0) {
        const badge = document.createElement("span");
        badge.className = "badge";
        badge.setAttribute("translate", "no");
        badge.textContent = labelIn(index, index.classes[result.cls], lang);
        item.append(" ", badge);
      }
      const text = document.createElement("div");
      text.className = "snippet";
      const tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = fieldName(result.field) + ":";
      const found = document.createElement("span");
      found.setAttribute("translate", "no");
      text.append(tag, " ", found);
      let at = 0;
      for (const [start, end] of result.marks) {
        const marked = document.createElement("mark");
        marked.textContent = result.snippet.slice(start, end);
        found.append(result.snippet.slice(at, start), marked);
        at = end;
      }
      found.append(result.snippet.slice(at));
      item.append(text);
      list.append(item);
    }
  }

  async function run() {
    const list = document.getElementById("search-results");
    const count = document.getElementById("search-count");
    if (!list || !list.dataset.index) return;
    const text = new URLSearchParams(window.location.search).get("q") || "";
    for (const box of document.querySelectorAll('input[name="q"]')) box.value = text;
    if (!text.trim()) return;
    let index;
    try {
      const response = await fetch(list.dataset.index);
      index = load(await response.json());
    } catch (error) {
      count.textContent = count.dataset.failed || String(error);
      return;
    }
    const results = search(index, text, DEFAULT_RESULTS);
    render(index, results, list, list.dataset.lang || "en");
    count.textContent = results.length
      ? count.dataset.found.replace("{count}", String(results.length))
      : count.dataset.none;
    list.dataset.searched = text;
  }

  document.addEventListener("DOMContentLoaded", run);
})();
