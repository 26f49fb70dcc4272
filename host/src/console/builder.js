// The console's flow builder. Served by the host as /console/assets/builder.js
// (the only script the console's Content-Security-Policy allows): plain
// JavaScript, no framework, nothing remote, no requests of its own.
//
// It edits the definition held in the form's `definition` field: on load it
// reads that JSON, renders the builder into #builder, and writes the JSON
// back after every change, so that Save is the form's own post (with its
// CSRF field). Text from people or from the catalogue is only ever set as
// text (textContent, value), never as markup.
'use strict';

(function () {
  var root = document.getElementById('builder');
  var form = document.getElementById('builder-form');
  var textarea = document.getElementById('definition');
  var offered = document.getElementById('builder-inputs');
  if (!root || !form || !textarea) return;

  var cards = parse(root.getAttribute('data-cards'), []);
  var connections = parse(root.getAttribute('data-connections'), []);
  var cardById = {};
  cards.forEach(function (c) { cardById[c.id] = c; });
  var KNOWN = ['name', 'description', 'trigger', 'steps', 'output'];
  var CONDITIONS = [
    ['equals', 'equals'], ['not_equals', 'does not equal'], ['contains', 'contains'],
    ['greater', 'is greater than'], ['less', 'is less than'], ['exists', 'exists'],
    ['all', 'all of'], ['any', 'any of'], ['not', 'not']
  ];
  var BINARY = ['equals', 'not_equals', 'contains', 'greater', 'less'];

  var state = null;
  // Steps whose optional fields are all shown.
  var expanded = new WeakSet();
  var pendingError = {
    field: form.getAttribute('data-error-field') || '',
    message: form.getAttribute('data-error-message') || ''
  };

  function parse(text, fallback) {
    try { return JSON.parse(text); } catch (e) { return fallback; }
  }

  // ---- state <-> definition -------------------------------------------

  function load(text) {
    var def = parse(text, null);
    if (!def || typeof def !== 'object' || Array.isArray(def)) return null;
    var extras = {};
    Object.keys(def).forEach(function (k) { if (KNOWN.indexOf(k) < 0) extras[k] = def[k]; });
    var output = [];
    if (def.output && typeof def.output === 'object' && !Array.isArray(def.output)) {
      Object.keys(def.output).forEach(function (k) { output.push({ name: k, value: def.output[k] }); });
    }
    var inputs = [];
    if (offered) {
      offered.value.split(',').forEach(function (n) {
        n = n.trim();
        if (n && inputs.indexOf(n) < 0) inputs.push(n);
      });
    }
    var re = /\$\.input\.([A-Za-z0-9_-]+)/g;
    var m;
    while ((m = re.exec(text)) !== null) {
      if (inputs.indexOf(m[1]) < 0) inputs.push(m[1]);
    }
    return {
      name: typeof def.name === 'string' ? def.name : '',
      description: typeof def.description === 'string' ? def.description : '',
      trigger: def.trigger && typeof def.trigger === 'object' ? def.trigger : { type: 'manual' },
      steps: Array.isArray(def.steps) ? def.steps : [],
      output: output,
      inputs: inputs,
      extras: extras
    };
  }

  function definition() {
    var out = { name: state.name };
    if (state.description) out.description = state.description;
    if (state.trigger && state.trigger.type && state.trigger.type !== 'manual') {
      out.trigger = state.trigger;
    }
    out.steps = state.steps;
    var o = {};
    var any = false;
    state.output.forEach(function (row) {
      if (row.name) { o[row.name] = row.value; any = true; }
    });
    if (any) out.output = o;
    Object.keys(state.extras).forEach(function (k) { out[k] = state.extras[k]; });
    return out;
  }

  function sync() {
    textarea.value = JSON.stringify(definition(), null, 2);
    if (offered) offered.value = state.inputs.join(', ');
  }

  // ---- DOM helpers --------------------------------------------------------

  // An element: props are attributes (`text` sets textContent), kids are
  // nodes or strings (added as text).
  function h(tag, props) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (k) {
      var v = props[k];
      if (v === undefined || v === null || v === false) return;
      if (k === 'text') node.textContent = v;
      else if (k === 'value') node.value = v;
      else if (k === 'checked') node.checked = !!v;
      else node.setAttribute(k, v === true ? '' : String(v));
    });
    for (var i = 2; i < arguments.length; i++) add(node, arguments[i]);
    return node;
  }

  function add(node, kid) {
    if (kid === undefined || kid === null || kid === false) return;
    if (Array.isArray(kid)) { kid.forEach(function (k) { add(node, k); }); return; }
    node.appendChild(typeof kid === 'string' ? document.createTextNode(kid) : kid);
  }

  function option(value, label, selected) {
    var o = h('option', { value: value, text: label });
    if (selected) o.selected = true;
    return o;
  }

  function on(node, event, fn) { node.addEventListener(event, fn); return node; }

  var serial = 0;

  // A label tied to its control (the control gets an id if it has none).
  function labelFor(control, kids) {
    if (!control.id) control.id = 'b-' + (++serial);
    var label = h('label', { 'for': control.id });
    add(label, kids);
    return label;
  }

  function field(path, label, control, hint) {
    return h('div', { 'class': 'field', 'data-path': path },
      labelFor(control, label), control, hint ? h('p', { 'class': 'hint', text: hint }) : null);
  }

  // ---- schemas ------------------------------------------------------------

  function resolve(node, rootSchema) {
    for (var i = 0; i < 8 && node && typeof node.$ref === 'string'; i++) {
      var ref = node.$ref;
      if (ref.charAt(0) !== '#') return node;
      var target = rootSchema;
      ref.slice(1).split('/').filter(Boolean).forEach(function (part) {
        target = target && target[part.replace(/~1/g, '/').replace(/~0/g, '~')];
      });
      if (!target) return node;
      node = target;
    }
    return node || {};
  }

  // The non-null branch of `anyOf`/`oneOf` (how nullable fields are written).
  function solid(node, rootSchema) {
    node = resolve(node, rootSchema);
    var options = node.anyOf || node.oneOf;
    if (Array.isArray(options)) {
      for (var i = 0; i < options.length; i++) {
        var o = resolve(options[i], rootSchema);
        if (o.type !== 'null') return o;
      }
    }
    return node;
  }

  function types(node) {
    if (Array.isArray(node.type)) return node.type.filter(function (t) { return t !== 'null'; });
    if (typeof node.type === 'string') return [node.type];
    if (node.properties) return ['object'];
    if (node.items) return ['array'];
    return [];
  }

  function typeWords(node, rootSchema) {
    node = solid(node, rootSchema);
    if (Array.isArray(node['enum'])) return 'one of ' + node['enum'].map(function (v) { return JSON.stringify(v); }).join(', ');
    var t = types(node);
    if (!t.length) return 'any';
    return t.map(function (x) {
      if (x === 'array' && node.items) return 'array of ' + typeWords(node.items, rootSchema);
      return x;
    }).join(' or ');
  }

  // Every path under an output schema: [{path, words, schema}], `[0]` for items.
  function paths(node, base, rootSchema, depth, out) {
    node = solid(node, rootSchema);
    out.push({ path: base, words: typeWords(node, rootSchema), schema: node, root: rootSchema });
    if (depth >= 5) return out;
    var props = node.properties || {};
    Object.keys(props).forEach(function (k) {
      paths(props[k], base + '.' + k, rootSchema, depth + 1, out);
    });
    if (node.items && !Array.isArray(node.items)) {
      paths(node.items, base + '[0]', rootSchema, depth + 1, out);
    }
    return out;
  }

  // ---- references in scope ---------------------------------------------

  // A scope lists where references may point: the flow's input, earlier
  // steps, the loop a step is in. It is read when a picker is filled (at
  // render and again when it gets focus), so renamed steps and new input
  // names show without a new render.
  function baseScope() {
    return [{ kind: 'input' }];
  }

  function withStep(scope, step) {
    return scope.concat([{ kind: 'step', step: step }]);
  }

  function itemScope(scope, step) {
    return scope.concat([{ kind: 'loop', step: step, outer: scope }]);
  }

  // The groups of a scope: [{label, refs: [{value, label, schema}]}].
  function groups(scope) {
    var out = [];
    scope.forEach(function (source) {
      if (source.kind === 'input') {
        out.push({
          label: 'Flow input',
          refs: state.inputs.map(function (n) { return { value: '$.input.' + n, label: '$.input.' + n }; })
        });
        var ev = state.trigger.type === 'event' && cardById[state.trigger.card];
        if (ev) {
          out.push({
            label: 'Event (' + ev.name + ')',
            refs: paths(ev.output_schema || {}, '$.event', ev.output_schema || {}, 0, []).map(function (p) {
              return { value: p.path, label: p.path + ' — ' + p.words, schema: p.schema, root: p.root };
            })
          });
        }
      } else if (source.kind === 'step') {
        var step = source.step;
        var card = cardById[step.card];
        if (!card || !step.id) return;
        var base = '$.steps.' + step.id + '.output';
        out.push({
          label: 'Step ' + step.id + ' (' + card.name + ')',
          refs: paths(card.output_schema || {}, base, card.output_schema || {}, 0, []).map(function (p) {
            var rel = p.path === base ? '(whole output)' : p.path.slice(base.length + 1);
            return { value: p.path, label: rel + ' — ' + p.words, schema: p.schema, root: p.root };
          })
        });
      } else if (source.kind === 'loop') {
        var list = null;
        groups(source.outer).forEach(function (g) {
          g.refs.forEach(function (r) { if (r.value === source.step.for_each && r.schema) list = r; });
        });
        var refs = [{ value: '$.index', label: '$.index — integer (0, 1, …)' }];
        if (list && list.schema.items) {
          paths(list.schema.items, '$.item', list.root, 0, []).forEach(function (p) {
            refs.push({ value: p.path, label: p.path + ' — ' + p.words, schema: p.schema, root: p.root });
          });
        } else {
          refs.push({ value: '$.item', label: '$.item — the current item' });
        }
        out.push({ label: 'Loop ' + (source.step.id || ''), refs: refs });
      }
    });
    return out;
  }

  // Scope after a whole list of steps (what later steps may refer to).
  function scopeAfter(scope, steps) {
    steps.forEach(function (s) {
      if (s.card !== undefined) scope = withStep(scope, s);
      else if (s['if'] !== undefined) {
        scope = scopeAfter(scope, s.then || []);
        scope = scopeAfter(scope, s['else'] || []);
      }
    });
    return scope;
  }

  // A "Map to…" picker: choosing a reference calls pick(value).
  function refPicker(scope, pick, filter) {
    var select = h('select', { 'class': 'map-ref', 'aria-label': 'Map to a reference' });
    var shownNow = null;
    // (Re)fill the options, only when they changed: a picker being used
    // keeps its elements.
    var fill = function () {
      var list = groups(scope).map(function (g) {
        return { label: g.label, refs: filter ? g.refs.filter(filter) : g.refs };
      }).filter(function (g) { return g.refs.length; });
      var signature = JSON.stringify(list.map(function (g) {
        return [g.label, g.refs.map(function (r) { return [r.value, r.label]; })];
      }));
      if (signature === shownNow) return;
      shownNow = signature;
      var kids = [option('', 'Map to…', true)];
      list.forEach(function (g) {
        var group = h('optgroup', { label: g.label });
        g.refs.forEach(function (r) { group.appendChild(option(r.value, r.label)); });
        kids.push(group);
      });
      select.replaceChildren.apply(select, kids);
    };
    fill();
    on(select, 'focus', fill);
    on(select, 'mousedown', fill);
    return on(select, 'change', function () {
      if (select.value) pick(select.value);
    });
  }

  // ---- steps --------------------------------------------------------------

  function allIds(steps, out) {
    steps.forEach(function (s) {
      if (s.id) out.push(s.id);
      ['then', 'else', 'steps'].forEach(function (k) { if (Array.isArray(s[k])) allIds(s[k], out); });
    });
    return out;
  }

  function freshId(base) {
    var taken = allIds(state.steps, []);
    base = (base || 'step').toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'step';
    if (taken.indexOf(base) < 0) return base;
    for (var i = 2; ; i++) if (taken.indexOf(base + '_' + i) < 0) return base + '_' + i;
  }

  function actionCards() {
    return cards.filter(function (c) { return c.kind !== 'event'; });
  }

  function connectionsOf(connector) {
    return connections.filter(function (c) { return c.connector === connector; });
  }

  function cardSelect(cls, list, chosen, onPick) {
    var select = h('select', { 'class': cls });
    select.appendChild(option('', 'Choose a card…', !chosen));
    var groups = {};
    var order = [];
    list.forEach(function (c) {
      if (!groups[c.connector_name]) { groups[c.connector_name] = []; order.push(c.connector_name); }
      groups[c.connector_name].push(c);
    });
    order.sort().forEach(function (name) {
      var group = h('optgroup', { label: name });
      groups[name].sort(function (a, b) { return a.name.localeCompare(b.name); }).forEach(function (c) {
        group.appendChild(option(c.id, c.name + ' (' + c.id + ')', c.id === chosen));
      });
      select.appendChild(group);
    });
    if (chosen && !cardById[chosen]) select.appendChild(option(chosen, chosen + ' (not installed)', true));
    return on(select, 'change', function () { onPick(select.value); });
  }

  function connectionSelect(cls, connector, chosen, onPick) {
    var select = h('select', { 'class': cls });
    var list = connectionsOf(connector);
    select.appendChild(option('', list.length ? 'Choose a connection…' : 'No connection for this connector yet', !chosen));
    var found = false;
    list.forEach(function (c) {
      var label = c.nickname + (c.status === 'connected' ? '' : ' (' + c.status.replace('_', ' ') + ')');
      var mine = c.id === chosen || c.nickname === chosen;
      found = found || mine;
      select.appendChild(option(c.id, label, mine));
    });
    if (chosen && !found) select.appendChild(option(chosen, chosen, true));
    return on(select, 'change', function () { onPick(select.value); });
  }

  function stepHead(list, i, title) {
    var move = function (delta) {
      return function () {
        var j = i + delta;
        if (j < 0 || j >= list.length) return;
        var s = list[i]; list[i] = list[j]; list[j] = s;
        changed(true);
      };
    };
    return h('div', { 'class': 'step-head' },
      h('span', { 'class': 'step-num', text: String(i + 1) }),
      h('strong', { 'class': 'step-title', text: title }),
      h('span', { 'class': 'step-tools' },
        on(h('button', { type: 'button', 'class': 'move-up', title: 'Move up', text: '↑', disabled: i === 0 }), 'click', move(-1)),
        on(h('button', { type: 'button', 'class': 'move-down', title: 'Move down', text: '↓', disabled: i === list.length - 1 }), 'click', move(1)),
        on(h('button', { type: 'button', 'class': 'delete-step danger', text: 'Delete' }), 'click', function () {
          list.splice(i, 1);
          changed(true);
        })));
  }

  function idField(step, path) {
    var input = h('input', { type: 'text', 'class': 'step-id', value: step.id || '', spellcheck: 'false' });
    on(input, 'input', function () { step.id = input.value; changed(false); });
    input.title = 'Lowercase letters, digits and _; later steps refer to it as $.steps.<id>.';
    return field(path + '.id', 'Step id', input);
  }

  function renderSteps(list, path, scope, top) {
    var box = h('div', { 'class': 'step-list', 'data-path': path });
    list.forEach(function (step, i) {
      var p = path + '[' + i + ']';
      if (step['if'] !== undefined) box.appendChild(renderIf(list, i, p, scope));
      else if (step.for_each !== undefined) box.appendChild(renderLoop(list, i, p, scope));
      else box.appendChild(renderCard(list, i, p, scope));
      if (step['if'] !== undefined) scope = scopeAfter(scope, [step]);
      else if (step.card !== undefined) scope = withStep(scope, step);
    });
    if (!list.length) box.appendChild(h('p', { 'class': 'muted empty-steps', text: 'No steps yet.' }));
    var adder = function (make) {
      return function () { list.push(make()); changed(true); };
    };
    box.appendChild(h('div', { 'class': 'add-row' },
      on(h('button', { type: 'button', 'class': 'add-step', id: top ? 'add-step' : null, text: '+ Card step' }), 'click',
        adder(function () { return { id: freshId('step'), card: '', connection: '', input: {} }; })),
      on(h('button', { type: 'button', 'class': 'add-if', id: top ? 'add-if' : null, text: '+ Condition' }), 'click',
        adder(function () { return { id: freshId('check'), 'if': { equals: ['', ''] }, then: [], 'else': [] }; })),
      on(h('button', { type: 'button', 'class': 'add-loop', id: top ? 'add-loop' : null, text: '+ Loop' }), 'click',
        adder(function () { return { id: freshId('each'), for_each: '', max_items: 100, steps: [] }; }))));
    return box;
  }

  function renderCard(list, i, path, scope) {
    var step = list[i];
    if (!step.input || typeof step.input !== 'object') step.input = {};
    var card = cardById[step.card];
    var node = h('div', { 'class': 'step-card', 'data-kind': 'card', 'data-path': path },
      stepHead(list, i, card ? card.name : 'Card step'));
    var meta = h('div', { 'class': 'step-meta' }, idField(step, path));
    node.appendChild(meta);
    meta.appendChild(field(path + '.card', 'Card', cardSelect('step-card-pick', actionCards(), step.card, function (id) {
      var auto = !step.id || /^step(_\d+)?$/.test(step.id);
      var before = cardById[step.card];
      step.card = id;
      var chosen = cardById[id];
      if (chosen) {
        if (auto) step.id = freshId(id.split('.').pop());
        if (!before || before.connector !== chosen.connector) {
          var list2 = connectionsOf(chosen.connector);
          var healthy = list2.filter(function (c) { return c.status === 'connected'; })[0] || list2[0];
          step.connection = healthy ? healthy.id : '';
        }
        var props = (solid(chosen.input_schema, chosen.input_schema).properties) || {};
        Object.keys(step.input).forEach(function (k) { if (!(k in props)) delete step.input[k]; });
      }
      changed(true);
    })));
    var connector = card ? card.connector : (step.card || '').split('.')[0];
    meta.appendChild(field(path + '.connection', 'Connection', connectionSelect('step-connection', connector, step.connection, function (id) {
      step.connection = id;
      changed(false);
    })));
    if (card) node.appendChild(h('p', { 'class': 'hint card-description', text: card.description }));
    if (card) node.appendChild(renderInputs(step, card, path + '.input', scope));
    node.appendChild(renderOnError(step, path + '.on_error'));
    return node;
  }

  function renderInputs(step, card, path, scope) {
    var schema = card.input_schema || {};
    var top = solid(schema, schema);
    var props = top.properties || {};
    // The host's wording of each field (type, required, description, notes).
    var words = {};
    (card.fields || []).forEach(function (f) { words[f.name] = f; });
    var isRequired = function (n) { return !!(words[n] && words[n].required); };
    var box = h('fieldset', { 'class': 'inputs', 'data-path': path }, h('legend', { text: 'Input' }));
    var names = Object.keys(props);
    names.sort(function (a, b) { return isRequired(b) - isRequired(a); });
    // Required fields and those with a value show; the other optional ones
    // wait behind "more fields".
    var folded = names.filter(function (n) {
      return !isRequired(n) && !(n in step.input) && !expanded.has(step);
    });
    names.forEach(function (name) {
      if (folded.indexOf(name) >= 0) return;
      box.appendChild(inputField(step.input, name, props[name], schema, words[name], path + '.' + name, scope));
    });
    if (folded.length) {
      box.appendChild(on(h('button', {
        type: 'button', 'class': 'link more-fields',
        text: 'Show ' + folded.length + ' more optional field' + (folded.length === 1 ? '' : 's') + ': ' + folded.join(', ')
      }), 'click', function () {
        expanded.add(step);
        render();
      }));
    }
    Object.keys(step.input).forEach(function (name) {
      if (!(name in props)) box.appendChild(inputField(step.input, name, {}, schema, null, path + '.' + name, scope));
    });
    if (!names.length) box.appendChild(h('p', { 'class': 'muted', text: 'This card takes no input.' }));
    return box;
  }

  function isRef(v) { return typeof v === 'string' && v.slice(0, 2) === '$.'; }

  // One input field: its control by type (text, number, yes/no, a choice or
  // JSON), or the reference it maps to; and the "Map to…" picker.
  function inputField(input, name, propSchema, rootSchema, words, path, scope) {
    var node = solid(propSchema, rootSchema);
    var t = types(node);
    var value = input[name];
    var set = function (v) {
      if (v === undefined) delete input[name]; else input[name] = v;
      changed(false);
    };
    var control;
    if (isRef(value) || (typeof value === 'string' && value.indexOf('{{') >= 0 && t.indexOf('string') < 0)) {
      control = h('input', { type: 'text', 'class': 'value ref', value: value, spellcheck: 'false' });
      on(control, 'input', function () { set(control.value === '' ? undefined : control.value); });
    } else if (Array.isArray(node['enum'])) {
      control = h('select', { 'class': 'value' });
      control.appendChild(option('', '— not set —', value === undefined));
      node['enum'].forEach(function (v, k) {
        control.appendChild(option(String(k), typeof v === 'string' ? v : JSON.stringify(v), JSON.stringify(v) === JSON.stringify(value)));
      });
      on(control, 'change', function () { set(control.value === '' ? undefined : node['enum'][Number(control.value)]); });
    } else if (t.length === 1 && t[0] === 'boolean') {
      control = h('select', { 'class': 'value' },
        option('', '— not set —', value === undefined), option('true', 'true', value === true), option('false', 'false', value === false));
      on(control, 'change', function () { set(control.value === '' ? undefined : control.value === 'true'); });
    } else if (t.length === 1 && (t[0] === 'integer' || t[0] === 'number')) {
      control = h('input', { type: 'text', inputmode: 'decimal', 'class': 'value', value: value === undefined ? '' : String(value), spellcheck: 'false' });
      on(control, 'input', function () {
        var s = control.value.trim();
        set(s === '' ? undefined : (/^-?\d+(\.\d+)?$/.test(s) ? Number(s) : s));
      });
    } else if (t.length === 1 && t[0] === 'string' || (t.length === 0 && (value === undefined || typeof value === 'string'))) {
      control = h('input', { type: 'text', 'class': 'value', value: value === undefined ? '' : value, spellcheck: 'false' });
      on(control, 'input', function () { set(control.value === '' ? undefined : control.value); });
    } else {
      control = h('textarea', { 'class': 'value json', rows: '2', spellcheck: 'false', value: value === undefined ? '' : JSON.stringify(value) });
      var local = h('p', { 'class': 'field-error local', hidden: true });
      on(control, 'input', function () {
        var s = control.value.trim();
        if (s === '') { local.hidden = true; set(undefined); return; }
        if (isRef(s)) { local.hidden = true; set(s); return; }
        try { set(JSON.parse(s)); local.hidden = true; } catch (e) {
          local.textContent = 'Not valid JSON yet: write e.g. ["a", "b"] or {"key": "value"}.';
          local.hidden = false;
        }
      });
      control = h('div', {}, control, local);
    }
    var required = !!(words && words.required);
    var target = control.tagName === 'DIV' ? control.firstChild : control;
    var label = labelFor(target, [h('code', { text: name }),
      required ? h('span', { 'class': 'req', text: ' required' }) : null,
      h('span', { 'class': 'type', text: ' ' + (words ? words.type : typeWords(propSchema, rootSchema)) })]);
    var help = [];
    var description = words ? words.description : (node.description || propSchema.description);
    if (description) help.push(description);
    if (words && words.notes && words.notes.length) help.push('(' + words.notes.join('; ') + ')');
    return h('div', { 'class': 'field input-field', 'data-path': path, 'data-field': name },
      label,
      h('div', { 'class': 'value-row' }, control, scope.length ? refPicker(scope, function (ref) {
        input[name] = ref;
        changed(true);
      }) : null),
      help.length ? h('p', { 'class': 'hint', text: help.join(' ') }) : null);
  }

  function renderOnError(step, path) {
    var policy = (step.on_error && step.on_error.policy) || 'halt';
    var select = h('select', { 'class': 'on-error' },
      option('halt', 'Stop the flow', policy === 'halt'),
      option('continue', 'Go on (the output is the error)', policy === 'continue'),
      option('retry', 'Try again, then stop', policy === 'retry'));
    on(select, 'change', function () {
      if (select.value === 'halt') delete step.on_error;
      else if (select.value === 'continue') step.on_error = { policy: 'continue' };
      else step.on_error = { policy: 'retry', times: 3, delay_ms: 1000 };
      changed(true);
    });
    var box = field(path, 'When it fails', select);
    box.classList.add('on-error-field');
    if (policy === 'retry') {
      var times = h('input', { type: 'text', inputmode: 'numeric', 'class': 'retry-times', value: String(step.on_error.times || '') });
      var delay = h('input', { type: 'text', inputmode: 'numeric', 'class': 'retry-delay', value: String(step.on_error.delay_ms || 0) });
      on(times, 'input', function () { step.on_error.times = Number(times.value) || times.value; changed(false); });
      on(delay, 'input', function () { step.on_error.delay_ms = Number(delay.value) || 0; changed(false); });
      box.appendChild(h('div', { 'class': 'inline-fields' },
        h('span', { 'data-path': path + '.times' }, labelFor(times, 'Tries (1–10)'), times),
        h('span', { 'data-path': path + '.delay_ms' }, labelFor(delay, 'Delay (ms)'), delay)));
    }
    return box;
  }

  // An operand of a condition: a reference, a number, true/false or text.
  function operand(text) {
    var s = text.trim();
    if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
    if (s === 'true') return true;
    if (s === 'false') return false;
    return text;
  }

  function shown(v) { return typeof v === 'string' ? v : JSON.stringify(v); }

  function operandInput(holder, key, path, scope, label) {
    var input = h('input', { type: 'text', 'class': 'operand', value: shown(holder[key]), spellcheck: 'false', 'aria-label': label });
    on(input, 'input', function () { holder[key] = operand(input.value); changed(false); });
    return h('div', { 'class': 'value-row', 'data-path': path }, input,
      refPicker(scope, function (ref) { holder[key] = ref; changed(true); }));
  }

  function renderCondition(holder, key, path, scope) {
    var cond = holder[key];
    if (!cond || typeof cond !== 'object') cond = holder[key] = { equals: ['', ''] };
    var op = Object.keys(cond)[0] || 'equals';
    var select = h('select', { 'class': 'cond-op' });
    CONDITIONS.forEach(function (c) { select.appendChild(option(c[0], c[1], c[0] === op)); });
    on(select, 'change', function () {
      var next = select.value;
      var old = cond[op];
      var pair = Array.isArray(old) && BINARY.indexOf(op) >= 0 ? old : ['', ''];
      var made = {};
      if (BINARY.indexOf(next) >= 0) made[next] = pair;
      else if (next === 'exists') made.exists = typeof pair[0] === 'string' ? pair[0] : '';
      else if (next === 'not') made.not = { equals: pair };
      else made[next] = [{ equals: pair }];
      holder[key] = made;
      changed(true);
    });
    var box = h('div', { 'class': 'condition', 'data-path': path }, select);
    if (BINARY.indexOf(op) >= 0) {
      if (!Array.isArray(cond[op])) cond[op] = ['', ''];
      box.appendChild(operandInput(cond[op], 0, path + '.' + op + '[0]', scope, 'Left operand'));
      box.appendChild(operandInput(cond[op], 1, path + '.' + op + '[1]', scope, 'Right operand'));
    } else if (op === 'exists') {
      box.appendChild(operandInput(cond, 'exists', path + '.exists', scope, 'Reference that must exist'));
    } else if (op === 'not') {
      box.appendChild(renderCondition(cond, 'not', path + '.not', scope));
    } else {
      if (!Array.isArray(cond[op])) cond[op] = [];
      var list = cond[op];
      list.forEach(function (c, i) {
        var row = h('div', { 'class': 'sub-condition' }, renderCondition(list, i, path + '.' + op + '[' + i + ']', scope),
          on(h('button', { type: 'button', 'class': 'remove-condition', text: 'Remove' }), 'click', function () {
            list.splice(i, 1);
            changed(true);
          }));
        box.appendChild(row);
      });
      box.appendChild(on(h('button', { type: 'button', 'class': 'add-condition', text: '+ Condition' }), 'click', function () {
        list.push({ equals: ['', ''] });
        changed(true);
      }));
    }
    return box;
  }

  function renderIf(list, i, path, scope) {
    var step = list[i];
    if (!Array.isArray(step.then)) step.then = [];
    if (!Array.isArray(step['else'])) step['else'] = [];
    return h('div', { 'class': 'step-card', 'data-kind': 'if', 'data-path': path },
      stepHead(list, i, 'Condition'),
      idField(step, path),
      h('div', { 'class': 'field', 'data-path': path + '.if' }, h('label', { text: 'If' }), renderCondition(step, 'if', path + '.if', scope)),
      h('div', { 'class': 'branch' }, h('h4', { text: 'Then' }), renderSteps(step.then, path + '.then', scope, false)),
      h('div', { 'class': 'branch' }, h('h4', { text: 'Else' }), renderSteps(step['else'], path + '.else', scope, false)));
  }

  function renderLoop(list, i, path, scope) {
    var step = list[i];
    if (!Array.isArray(step.steps)) step.steps = [];
    var over = h('input', { type: 'text', 'class': 'for-each ref', value: shown(step.for_each), spellcheck: 'false' });
    on(over, 'input', function () { step.for_each = over.value; changed(false); });
    var max = h('input', { type: 'text', inputmode: 'numeric', 'class': 'max-items', value: String(step.max_items === undefined ? '' : step.max_items) });
    on(max, 'input', function () {
      var s = max.value.trim();
      if (s === '') delete step.max_items; else step.max_items = /^\d+$/.test(s) ? Number(s) : s;
      changed(false);
    });
    var arrays = function (r) { return r.schema && types(r.schema).indexOf('array') >= 0; };
    return h('div', { 'class': 'step-card', 'data-kind': 'for_each', 'data-path': path },
      stepHead(list, i, 'Loop'),
      idField(step, path),
      h('div', { 'class': 'field', 'data-path': path + '.for_each' }, labelFor(over, 'For each item of'),
        h('div', { 'class': 'value-row' }, over, refPicker(scope, function (ref) { step.for_each = ref; changed(true); }, arrays)),
        h('p', { 'class': 'hint', text: 'A list; inside the loop, $.item is the item and $.index its place.' })),
      field(path + '.max_items', 'At most this many items', max),
      h('div', { 'class': 'branch' }, h('h4', { text: 'Steps for each item' }),
        renderSteps(step.steps, path + '.steps', itemScope(scope, step), false)));
  }

  // ---- the flow's name, trigger, input and output ------------------------

  function renderHead() {
    var name = h('input', { type: 'text', id: 'flow-name', value: state.name, maxlength: '200' });
    on(name, 'input', function () { state.name = name.value; changed(false); });
    var description = h('input', { type: 'text', id: 'flow-description', value: state.description });
    on(description, 'input', function () { state.description = description.value; changed(false); });
    var inputs = h('input', { type: 'text', id: 'flow-inputs', value: state.inputs.join(', '), spellcheck: 'false' });
    on(inputs, 'input', function () {
      state.inputs = inputs.value.split(',').map(function (s) { return s.trim(); }).filter(Boolean);
      sync();
    });
    return h('section', { 'class': 'panel builder-panel' },
      h('h2', { text: 'Flow' }),
      field('name', 'Name', name),
      field('description', 'Description', description),
      field('input', 'Input fields', inputs,
        'Names the flow takes as input, separated by commas, e.g. email, task. Each becomes $.input.<name> in the pickers.'));
  }

  function renderTrigger() {
    var t = state.trigger;
    var type = t.type || 'manual';
    var select = h('select', { id: 'trigger-type' },
      option('manual', 'Manual: run from here or the API', type === 'manual'),
      option('schedule', 'Schedule', type === 'schedule'),
      option('webhook', 'Webhook', type === 'webhook'),
      option('event', 'Event from a connector', type === 'event'));
    on(select, 'change', function () {
      var v = select.value;
      if (v === 'schedule') state.trigger = { type: 'schedule', cron: '0 9 * * MON-FRI', timezone: 'UTC', missed: 'skip', allow_overlap: false };
      else if (v === 'event') state.trigger = { type: 'event', card: '', connection: '', input: {} };
      else state.trigger = { type: v };
      changed(true);
    });
    var box = h('section', { 'class': 'panel builder-panel', 'data-path': 'trigger' },
      h('h2', { text: 'Trigger' }), field('trigger.type', 'Runs when', select));
    var text = function (key, label, hint) {
      var input = h('input', { type: 'text', id: 'trigger-' + key, value: t[key] === undefined ? '' : t[key], spellcheck: 'false' });
      on(input, 'input', function () { t[key] = input.value; changed(false); });
      return field('trigger.' + key, label, input, hint);
    };
    if (type === 'schedule') {
      box.appendChild(text('cron', 'Cron', 'Minute hour day month weekday, e.g. 0 9 * * MON-FRI.'));
      box.appendChild(text('timezone', 'Time zone', 'An IANA name, e.g. Europe/Paris.'));
      var missed = h('select', { id: 'trigger-missed' },
        option('skip', 'Skip runs missed while the host was down', t.missed !== 'run_once'),
        option('run_once', 'Run once for the runs missed', t.missed === 'run_once'));
      on(missed, 'change', function () { t.missed = missed.value; changed(false); });
      box.appendChild(field('trigger.missed', 'Missed runs', missed));
      var overlap = h('input', { type: 'checkbox', id: 'trigger-overlap', checked: t.allow_overlap === true });
      on(overlap, 'change', function () { t.allow_overlap = overlap.checked; changed(false); });
      box.appendChild(h('div', { 'class': 'field', 'data-path': 'trigger.allow_overlap' },
        h('label', { 'class': 'choice', 'for': overlap.id }, overlap, h('span', { text: 'Start a run even when the previous one is still going' }))));
    } else if (type === 'webhook') {
      box.appendChild(h('p', { 'class': 'hint', text: 'Once saved, the flow runs on each POST to its webhook address; the body is $.input.' }));
    } else if (type === 'event') {
      var events = cards.filter(function (c) { return c.kind === 'event'; });
      if (!events.length) box.appendChild(h('p', { 'class': 'hint', text: 'No event card is installed yet.' }));
      box.appendChild(field('trigger.card', 'Event', cardSelect('trigger-card', events, t.card, function (id) {
        t.card = id;
        var c = cardById[id];
        var list = c ? connectionsOf(c.connector) : [];
        t.connection = list.length ? list[0].id : '';
        changed(true);
      })));
      var ev = cardById[t.card];
      if (ev) {
        box.appendChild(field('trigger.connection', 'Connection', connectionSelect('trigger-connection', ev.connector, t.connection, function (id) {
          t.connection = id;
          changed(false);
        })));
        if (!t.input || typeof t.input !== 'object') t.input = {};
        box.appendChild(renderInputs(t, ev, 'trigger.input', []));
      }
    }
    return box;
  }

  function renderOutput(scope) {
    var box = h('section', { 'class': 'panel builder-panel', 'data-path': 'output' },
      h('h2', { text: 'Output' }),
      h('p', { 'class': 'hint', text: 'What a run returns: names and the values or references they take.' }));
    state.output.forEach(function (row, i) {
      var name = h('input', { type: 'text', 'class': 'output-name', value: row.name, 'aria-label': 'Output name', spellcheck: 'false' });
      on(name, 'input', function () { row.name = name.value; changed(false); });
      var value = h('input', { type: 'text', 'class': 'output-value', value: shown(row.value), 'aria-label': 'Output value', spellcheck: 'false' });
      on(value, 'input', function () { row.value = value.value; changed(false); });
      box.appendChild(h('div', { 'class': 'value-row output-row', 'data-path': 'output.' + row.name },
        name, value,
        refPicker(scope, function (ref) { row.value = ref; changed(true); }),
        on(h('button', { type: 'button', 'class': 'remove-output', text: 'Remove' }), 'click', function () {
          state.output.splice(i, 1);
          changed(true);
        })));
    });
    box.appendChild(h('div', { 'class': 'add-row' },
      on(h('button', { type: 'button', id: 'add-output', text: '+ Output' }), 'click', function () {
        state.output.push({ name: '', value: '' });
        changed(true);
      })));
    return box;
  }

  // ---- render, errors, wiring ------------------------------------------

  function render() {
    var scope = baseScope();
    var steps = h('section', { 'class': 'panel builder-panel', 'data-path': 'steps' },
      h('h2', { text: 'Steps' }), renderSteps(state.steps, 'steps', scope, true));
    root.replaceChildren(h('div', { 'class': 'builder-top' }, renderHead(), renderTrigger()),
      steps, renderOutput(scopeAfter(scope, state.steps)));
  }

  // `steps[1].input` of `steps[1].input.assignee`, `steps` of `steps[1]`.
  function parentPath(path) {
    var up = path.replace(/(\.[^.[\]]*|\[\d+\])$/, '');
    return up === path ? '' : up;
  }

  // Show the server's error next to the field it names, or the nearest
  // enclosing part of the builder that is shown.
  function showError() {
    var field = pendingError.field;
    if (!field || !pendingError.message) return;
    var nodes = root.querySelectorAll('[data-path]');
    var target = null;
    for (var path = field; path && !target; path = parentPath(path)) {
      for (var i = 0; i < nodes.length; i++) {
        if (nodes[i].getAttribute('data-path') === path) { target = nodes[i]; break; }
      }
    }
    if (!target) return;
    target.classList.add('has-error');
    target.appendChild(h('p', { 'class': 'field-error', role: 'alert', 'data-error-for': field, text: pendingError.message }));
    pendingError.field = '';
  }

  function changed(rerender) {
    sync();
    if (rerender) render();
  }

  state = load(textarea.value);
  if (!state) return; // not an object: the JSON field stays the editor
  root.classList.add('ready');
  var box = document.getElementById('definition-box');
  if (box) box.removeAttribute('open');
  on(textarea, 'change', function () {
    var next = load(textarea.value);
    if (next) { state = next; render(); }
  });
  on(form, 'submit', function () { sync(); });
  render();
  showError();
  sync();
})();
