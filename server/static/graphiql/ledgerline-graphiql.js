/*
 * Ledgerline GraphiQL page script.
 *
 * Loaded as a same-origin file because the page's CSP allows no inline script.
 * Credentials never leave memory: the session lives in an HttpOnly cookie set
 * by the server, a pasted bearer token lives in a JS variable only, GraphiQL
 * gets an in-memory storage (nothing is written to browser storage) and
 * shouldPersistHeaders is false. Nothing here ever writes to the URL.
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
  var WHO_AM_I = '{ me { email } }';

  // The pasted bearer token: memory only, gone when the tab is closed.
  var bearerToken = '';

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
    if (bearerToken && !hasHeader(headers, 'Authorization')) {
      headers['Authorization'] = 'Bearer ' + bearerToken;
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

  function fetcher(graphQLParams, options) {
    return postGraphQL(graphQLParams, (options && options.headers) || {});
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

  function showWhoAmI() {
    var whoami = byId('ll-whoami');
    return postGraphQL({ query: WHO_AM_I }).then(function (result) {
      var me = result && result.data && result.data.me;
      whoami.textContent = me && me.email ? 'Signed in as ' + me.email : 'Not signed in';
    }, function () {
      whoami.textContent = 'Not signed in';
    });
  }

  function logIn(event) {
    event.preventDefault();
    var email = byId('ll-email');
    var password = byId('ll-password');
    var variables = { email: email.value.trim(), password: password.value };
    password.value = '';
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

  function start() {
    byId('ll-login-form').addEventListener('submit', logIn);
    byId('ll-logout').addEventListener('click', logOut);
    byId('ll-token').addEventListener('change', useToken);

    var root = ReactDOM.createRoot(byId('graphiql'));
    root.render(React.createElement(GraphiQL, {
      fetcher: fetcher,
      shouldPersistHeaders: false,
      storage: memoryStorage(),
      defaultEditorToolbarOpen: true
    }));
    showWhoAmI();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
