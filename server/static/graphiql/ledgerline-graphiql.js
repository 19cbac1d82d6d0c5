/*
 * Ledgerline GraphiQL page script.
 *
 * Loaded as a same-origin file because the page's CSP allows no inline script.
 * Credentials never leave memory: the session lives in an HttpOnly cookie set
 * by the server, a pasted bearer token lives in a JS variable only, GraphiQL
 * gets an in-memory storage (nothing is written to browser storage) and
 * shouldPersistHeaders is false. Nothing here ever writes to the URL.
 *
 * Issue 14: the editor opens with the README's contacts query (data-starter-query);
 * in development a picker signs in as each demo user (#ll-demo); the banner shows
 * the email, role and tenant of whichever credential is in use (the form's cookie,
 * a pasted token, or an Authorization header from GraphiQL's Headers tab) with a
 * tenant switcher; the "Redactions" plugin lists the last result's
 * extensions.redactions by row and field, each reason in the plain words of the
 * SDL's RedactionReason descriptions, with a legend and an explainAccess button.
 */
(function () {
  'use strict';

  // GraphiQL's dialogs inject one <style> element; it carries this nonce, which
  // the CSP's style-src allows. Must be set before GraphiQL renders.
  var nonceMeta = document.querySelector('meta[name="csp-nonce"]');
  if (nonceMeta && nonceMeta.content) {
    window.__webpack_nonce__ = nonceMeta.content;
  }

  var GRAPHQL_URL = '/graphql';
  var CSRF_COOKIE = 'll_csrf';
  var LOG_IN = 'mutation LogIn($email: String!, $password: String!) ' +
    '{ logIn(email: $email, password: $password) { ok } }';
  var LOG_OUT = 'mutation { logOut { ok } }';
  var WHO_AM_I = 'query WhoAmI { me { email role currentTenant { id name slug } ' +
    'memberships { role tenant { id name slug } } } }';
  var SWITCH = 'mutation SwitchTenant($tenant: ID!) ' +
    '{ switchTenant(tenant: $tenant) { ok accessToken } }';
  var REASONS = 'query RedactionReasons { __type(name: "RedactionReason") ' +
    '{ enumValues { name description } } }';
  var EXPLAIN = 'query Explain($contact: ID!, $field: String!) ' +
    '{ explainAccess(contact: $contact, field: $field) { outcome reason ' +
    'steps { check passed purpose reason lawfulBasis } } }';

  // The pasted bearer token: memory only, gone when the tab is closed.
  var bearerToken = '';
  // The Authorization header last sent from GraphiQL's Headers tab, if any.
  var editorAuthorization = '';

  // The last result shown and the reason descriptions, for the Redactions plugin.
  var store = { result: null, reasons: {}, listeners: [] };

  function publish(changes) {
    Object.keys(changes).forEach(function (key) { store[key] = changes[key]; });
    store.listeners.slice().forEach(function (listener) { listener(); });
  }

  function readCookie(name) {
    var parts = document.cookie ? document.cookie.split(';') : [];
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i].trim();
      var eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq) === name) {
        return decodeURIComponent(part.slice(eq + 1));
      }
    }
    return null;
  }

  function hasHeader(headers, name) {
    var lower = name.toLowerCase();
    return Object.keys(headers).some(function (key) {
      return key.toLowerCase() === lower;
    });
  }

  /* Build the request headers: JSON, the double-submit CSRF header when the
   * cookie exists, and the in-memory bearer token unless the header editor
   * already sets Authorization. */
  function requestHeaders(extra) {
    var headers = {
      'Content-Type': 'application/json',
      'Accept': 'application/graphql-response+json, application/json'
    };
    Object.keys(extra || {}).forEach(function (key) {
      headers[key] = String(extra[key]);
    });
    var csrf = readCookie(CSRF_COOKIE);
    if (csrf) {
      headers['X-CSRF-Token'] = csrf;
    }
    if (!hasHeader(headers, 'Authorization')) {
      if (bearerToken) {
        headers['Authorization'] = 'Bearer ' + bearerToken;
      } else if (editorAuthorization) {
        headers['Authorization'] = editorAuthorization;
      }
    }
    return headers;
  }

  /* POST one GraphQL request; the body is JSON even for a non-2xx status
   * (application/graphql-response+json), so it is returned as is. */
  function postGraphQL(params, extraHeaders) {
    return fetch(GRAPHQL_URL, {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: requestHeaders(extraHeaders),
      body: JSON.stringify(params)
    }).then(function (response) {
      var type = response.headers.get('Content-Type') || '';
      if (type.indexOf('json') !== -1) {
        return response.json();
      }
      return response.text().then(function (text) {
        throw new Error('HTTP ' + response.status + ': ' + text.slice(0, 200));
      });
    });
  }

  function authorizationOf(headers) {
    var found = '';
    Object.keys(headers || {}).forEach(function (key) {
      if (key.toLowerCase() === 'authorization') {
        found = String(headers[key]);
      }
    });
    return found;
  }

  function fetcher(graphQLParams, options) {
    var headers = (options && options.headers) || {};
    var sentAuthorization = authorizationOf(headers);
    var credentialChanged = sentAuthorization !== editorAuthorization;
    editorAuthorization = sentAuthorization;
    return postGraphQL(graphQLParams, headers).then(function (result) {
      if (graphQLParams.operationName !== 'IntrospectionQuery') {
        publish({ result: result });
      }
      if (credentialChanged) {
        showWhoAmI();
      }
      return result;
    });
  }

  /* A Storage look-alike backed by a Map, so GraphiQL keeps its tabs, history
   * and theme for this page only and writes nothing to the browser. */
  function memoryStorage() {
    var items = new Map();
    return {
      getItem: function (key) { return items.has(key) ? items.get(key) : null; },
      setItem: function (key, value) { items.set(key, String(value)); },
      removeItem: function (key) { items.delete(key); },
      clear: function () { items.clear(); },
      key: function (index) { return Array.from(items.keys())[index] || null; },
      get length() { return items.size; }
    };
  }

  function firstError(result) {
    if (result && Array.isArray(result.errors) && result.errors.length > 0) {
      return String(result.errors[0].message || 'request failed');
    }
    return null;
  }

  function byId(id) {
    return document.getElementById(id);
  }

  function setStatus(text) {
    var status = byId('ll-status');
    if (status) {
      status.textContent = text;
    }
  }

  /* The banner: who the current credential is, and a tenant switcher over their
   * memberships. */
  function showWhoAmI() {
    var whoami = byId('ll-whoami');
    var tenants = byId('ll-tenant');
    return postGraphQL({ query: WHO_AM_I, operationName: 'WhoAmI' }).then(function (result) {
      var me = result && result.data && result.data.me;
      if (!me) {
        whoami.textContent = 'Not signed in';
        fillTenants(tenants, [], '');
        return;
      }
      var tenant = me.currentTenant || {};
      whoami.textContent = 'Signed in as ' + (me.email || '(email hidden)') + ' · ' +
        me.role + ' · ' + tenant.name + ' (' + tenant.slug + ')';
      fillTenants(tenants, me.memberships || [], tenant.id);
    }, function () {
      whoami.textContent = 'Not signed in';
      fillTenants(tenants, [], '');
    });
  }

  function fillTenants(select, memberships, current) {
    select.textContent = '';
    memberships.forEach(function (membership) {
      var option = document.createElement('option');
      option.value = membership.tenant.id;
      option.textContent = membership.tenant.slug + ' (' + membership.role + ')';
      option.selected = membership.tenant.id === current;
      select.appendChild(option);
    });
    if (!memberships.length) {
      var none = document.createElement('option');
      none.value = '';
      none.textContent = '-';
      select.appendChild(none);
    }
    select.disabled = memberships.length < 2;
  }

  function switchTenant() {
    var tenant = byId('ll-tenant').value;
    if (!tenant) {
      return;
    }
    setStatus('Switching tenant…');
    postGraphQL({ query: SWITCH, variables: { tenant: tenant }, operationName: 'SwitchTenant' })
      .then(function (result) {
        var payload = result && result.data && result.data.switchTenant;
        if (payload && payload.ok && bearerToken && payload.accessToken) {
          bearerToken = payload.accessToken;
          byId('ll-token').value = bearerToken;
        }
        setStatus(payload && payload.ok ? '' : (firstError(result) || 'Switch failed'));
      }, function (error) {
        setStatus(String(error.message || error));
      })
      .then(showWhoAmI);
  }

  function logIn(event) {
    event.preventDefault();
    var email = byId('ll-email');
    var password = byId('ll-password');
    var variables = { email: email.value.trim(), password: password.value };
    password.value = '';
    signIn(variables);
  }

  /* Development only: the picker names each demo user; choosing one signs in. */
  function demoLogIn() {
    var picker = byId('ll-demo');
    if (!picker.value) {
      return;
    }
    byId('ll-email').value = picker.value;
    signIn({ email: picker.value, password: picker.getAttribute('data-password') });
  }

  function signIn(variables) {
    bearerToken = '';
    byId('ll-token').value = '';
    setStatus('Signing in…');
    postGraphQL({ query: LOG_IN, variables: variables, operationName: 'LogIn' })
      .then(function (result) {
        var ok = result && result.data && result.data.logIn && result.data.logIn.ok;
        setStatus(ok ? '' : (firstError(result) || 'Sign-in failed'));
      }, function (error) {
        setStatus(String(error.message || error));
      })
      .then(showWhoAmI);
  }

  function logOut() {
    bearerToken = '';
    byId('ll-token').value = '';
    postGraphQL({ query: LOG_OUT })
      .then(function (result) {
        setStatus(firstError(result) || 'Signed out');
      }, function (error) {
        setStatus(String(error.message || error));
      })
      .then(showWhoAmI);
  }

  function useToken() {
    bearerToken = byId('ll-token').value.trim().replace(/^Bearer\s+/i, '');
    setStatus(bearerToken ? 'Using the pasted token (kept in memory only)' : '');
    showWhoAmI();
  }

  function loadReasons() {
    return postGraphQL({ query: REASONS, operationName: 'RedactionReasons' })
      .then(function (result) {
        var type = result && result.data && result.data.__type;
        var reasons = {};
        ((type && type.enumValues) || []).forEach(function (value) {
          reasons[value.name] = value.description || '';
        });
        publish({ reasons: reasons });
      }, function () { /* the panel then shows the codes alone */ });
  }

  /* --- the Redactions plugin --------------------------------------------------- */

  var h = function () { return React.createElement.apply(React, arguments); };

  /* The row object a redaction's path points into (the path without its field). */
  function rowAt(data, path) {
    var node = data;
    for (var i = 0; i < path.length - 1 && node != null; i++) {
      node = node[path[i]];
    }
    return node;
  }

  function contactId(row) {
    if (!row || typeof row.id !== 'string') {
      return null;
    }
    try {
      var raw = atob(row.id.replace(/-/g, '+').replace(/_/g, '/') +
        '==='.slice((row.id.length + 3) % 4));
      return raw.indexOf('Contact:') === 0 ? row.id : null;
    } catch (error) {
      return null;
    }
  }

  /* extensions.redactions grouped by row (the path up to the field), in order. */
  function groupByRow(redactions) {
    var groups = [];
    var byKey = {};
    redactions.forEach(function (entry) {
      var path = entry.path || [];
      var key = path.slice(0, -1).join('.');
      if (!byKey[key]) {
        byKey[key] = { key: key, path: path, entries: [] };
        groups.push(byKey[key]);
      }
      byKey[key].entries.push(entry);
    });
    return groups;
  }

  function useStore() {
    var state = React.useState(0);
    React.useEffect(function () {
      var listener = function () { state[1](function (n) { return n + 1; }); };
      store.listeners.push(listener);
      return function () {
        store.listeners = store.listeners.filter(function (l) { return l !== listener; });
      };
    }, []);
    return store;
  }

  function ExplainButton(props) {
    var state = React.useState(null);
    var explained = state[0];
    var setExplained = state[1];
    function run() {
      setExplained({ loading: true });
      postGraphQL({
        query: EXPLAIN,
        variables: { contact: props.contact, field: props.field },
        operationName: 'Explain'
      }).then(function (result) {
        var data = result && result.data && result.data.explainAccess;
        setExplained(data ? { data: data } : { error: firstError(result) || 'failed' });
      }, function (error) {
        setExplained({ error: String(error.message || error) });
      });
    }
    var body = null;
    if (explained && explained.loading) {
      body = h('div', { className: 'll-explain' }, 'Explaining…');
    } else if (explained && explained.error) {
      body = h('div', { className: 'll-explain ll-error' }, explained.error);
    } else if (explained && explained.data) {
      body = h('ol', { className: 'll-explain' }, explained.data.steps.map(function (step, i) {
        var text = step.check + (step.purpose ? ' (' + step.purpose + ')' : '') + ': ' +
          (step.passed ? 'passed' : 'failed') +
          (step.lawfulBasis ? ', basis ' + step.lawfulBasis : '') +
          (step.reason ? ' → ' + step.reason : '');
        return h('li', { key: i, className: step.passed ? 'll-pass' : 'll-fail' }, text);
      }).concat([h('li', { key: 'outcome', className: 'll-outcome' },
        'Outcome: ' + explained.data.outcome +
        (explained.data.reason ? ' (' + explained.data.reason + ')' : ''))]));
    }
    return h('span', null,
      h('button', { type: 'button', className: 'll-explain-button', onClick: run }, 'Explain'),
      body);
  }

  function RedactionsPanel() {
    var current = useStore();
    var result = current.result;
    var redactions = (result && result.extensions && result.extensions.redactions) || [];
    var reasons = current.reasons;
    var groups = groupByRow(redactions);
    var list = groups.length === 0
      ? h('p', { className: 'll-empty' }, result
        ? 'No redactions in the last result.' : 'Run a query to see its redactions.')
      : h('div', { className: 'll-rows' }, groups.map(function (group) {
        var row = rowAt(result.data, group.path);
        var contact = contactId(row);
        return h('section', { key: group.key, className: 'll-row' },
          h('h4', null, group.key || '(root)'),
          h('ul', null, group.entries.map(function (entry) {
            var field = entry.path[entry.path.length - 1];
            return h('li', { key: String(field), className: 'll-redaction' },
              h('code', null, String(field)), ' ',
              h('span', { className: 'll-badge' }, entry.masked ? 'masked' : 'redacted'), ' ',
              h('strong', null, entry.reason), ' ',
              h('span', { className: 'll-why' }, reasons[entry.reason] || ''),
              contact ? h(ExplainButton, { contact: contact, field: String(field) }) : null);
          })));
      }));
    var legend = h('dl', { className: 'll-legend' }, Object.keys(reasons).map(function (name) {
      return [h('dt', { key: name + '-t' }, name), h('dd', { key: name + '-d' }, reasons[name])];
    }));
    return h('div', { className: 'll-redactions' },
      h('div', { className: 'graphiql-doc-explorer-title' }, 'Redactions'),
      h('p', null, redactions.length + ' value(s) masked or redacted in the last result, by row.'),
      list,
      h('h3', null, 'Legend'),
      legend);
  }

  var redactionsPlugin = {
    title: 'Redactions',
    icon: function () { return h('span', { className: 'll-plugin-icon' }, 'R'); },
    content: RedactionsPanel
  };

  function start() {
    byId('ll-login-form').addEventListener('submit', logIn);
    byId('ll-logout').addEventListener('click', logOut);
    byId('ll-token').addEventListener('change', useToken);
    byId('ll-tenant').addEventListener('change', switchTenant);
    var demo = byId('ll-demo');
    if (demo) {
      demo.addEventListener('change', demoLogIn);
    }

    var root = ReactDOM.createRoot(byId('graphiql'));
    root.render(React.createElement(GraphiQL, {
      fetcher: fetcher,
      shouldPersistHeaders: false,
      storage: memoryStorage(),
      defaultQuery: document.body.getAttribute('data-starter-query') || undefined,
      defaultEditorToolbarOpen: true,
      plugins: [redactionsPlugin],
      visiblePlugin: redactionsPlugin
    }));
    showWhoAmI();
    loadReasons();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
