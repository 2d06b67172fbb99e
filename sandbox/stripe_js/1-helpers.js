/*
 * Stand-in for Stripe.js v3, served by the Stripe sandbox at /js.stripe.com/v3/.
 *
 * It implements the part of Stripe.js our payment page uses, with the same API, so that the page
 * runs unchanged against real Stripe: Stripe(pk) -> elements({clientSecret}) -> create('payment')
 * -> mount(); confirmPayment(); confirmSetup(); handleNextAction(); retrievePaymentIntent(). The payment
 * element is rendered into the page (no iframe) as a plain accessible card form. With a Customer
 * Session (elements({customerSessionClientSecret})) it lists the Customer's saved cards and offers
 * "Save this card for next time", as the real one does with the session's features.
 * Plain ES2017, no dependencies. Three files (this one, 2-elements.js, 3-stripe.js) that the
 * sandbox serves joined in name order, as one script: one function scope, split only to keep
 * each file readable.
 */
(function () {
  'use strict';

  var script = document.currentScript ||
    document.querySelector('script[src*="/js.stripe.com/v3"]');
  // API calls go back to whichever sandbox served this file.
  var API_ORIGIN = script && script.src ? new URL(script.src, window.location.href).origin
    : window.location.origin;

  var MESSAGES = {
    incomplete_number: 'Your card number is incomplete.',
    invalid_number: 'Your card number is invalid.',
    incomplete_expiry: "Your card's expiration date is incomplete.",
    invalid_expiry_month: "Your card's expiration month is invalid.",
    invalid_expiry_month_past: "Your card's expiration date is in the past.",
    invalid_expiry_year: "Your card's expiration year is invalid.",
    invalid_expiry_year_past: "Your card's expiration year is in the past.",
    incomplete_cvc: "Your card's security code is incomplete.",
    invalid_cvc: "Your card's security code is invalid.",
  };
  var AUTH_FAILURE = {
    type: 'invalid_request_error',
    code: 'payment_intent_authentication_failure',
    message: 'We are unable to authenticate your payment method. Please choose a different ' +
      'payment method and try again.',
  };
  var CONNECTION_ERROR = {
    type: 'api_connection_error',
    message: 'We could not reach the payment server. Check your connection and try again.',
  };
  var CSS = [
    '.sbx-pe{font-family:var(--sbx-font,inherit);color:var(--sbx-text,#1f2937)}',
    '.sbx-pe fieldset{border:0;margin:0;padding:0;min-width:0}',
    '.sbx-pe legend{font-weight:600;padding:0;margin-bottom:.5rem}',
    '.sbx-pe__field{margin-bottom:.75rem}',
    '.sbx-pe__row{display:flex;gap:.75rem;flex-wrap:wrap}',
    '.sbx-pe__row>.sbx-pe__field{flex:1 1 8rem}',
    '.sbx-pe label{display:block;margin-bottom:.25rem;font-size:.95rem}',
    '.sbx-pe input{box-sizing:border-box;width:100%;padding:.6rem .7rem;font:inherit;' +
      'font-size:1rem;color:inherit;background:#fff;border:1px solid #6b7280;' +
      'border-radius:var(--sbx-radius,6px)}',
    '.sbx-pe input:focus{outline:3px solid var(--sbx-primary,#1d4ed8);outline-offset:2px}',
    '.sbx-pe input[aria-invalid="true"]{border-color:var(--sbx-danger,#b42318);border-width:2px}',
    '.sbx-pe__error{color:var(--sbx-danger,#b42318);font-size:.9rem;margin:.25rem 0 0}',
    '.sbx-pe__note{color:#374151;font-size:.85rem;margin:.25rem 0 0}',
    '.sbx-pe__choice{display:flex;align-items:center;gap:.5rem;margin:.35rem 0}',
    '.sbx-pe__choice input{width:auto;margin:0}',
    '.sbx-pe__saved{margin-bottom:.75rem}',
    '.sbx-3ds{max-width:28rem;border:1px solid #6b7280;border-radius:8px;padding:1.25rem;' +
      'color:#1f2937;background:#fff}',
    '.sbx-3ds::backdrop{background:rgba(17,24,39,.6)}',
    '.sbx-3ds[role="dialog"]{position:fixed;top:20%;left:50%;transform:translateX(-50%);' +
      'z-index:2147483647;box-shadow:0 0 0 100vmax rgba(17,24,39,.6)}',
    '.sbx-3ds h2{margin:0 0 .75rem;font-size:1.25rem}',
    '.sbx-3ds__actions{display:flex;gap:.75rem;flex-wrap:wrap;margin-top:1rem}',
    '.sbx-3ds button{font:inherit;padding:.55rem 1rem;border-radius:6px;cursor:pointer;' +
      'border:1px solid #1f2937;background:#fff;color:#1f2937}',
    '.sbx-3ds button[data-action="complete"]{background:#1d4ed8;border-color:#1d4ed8;color:#fff}',
    '.sbx-3ds button:focus{outline:3px solid #1d4ed8;outline-offset:2px}',
  ].join('\n');

  var uid = 0;
  var stylesAdded = false;

  function addStyles() {
    if (stylesAdded) return;
    stylesAdded = true;
    // A constructed stylesheet is not blocked by a strict style-src CSP, unlike <style>.
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      document.adoptedStyleSheets = document.adoptedStyleSheets.concat([sheet]);
    } catch (e) {
      var style = document.createElement('style');
      style.textContent = CSS;
      document.head.appendChild(style);
    }
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === 'text') node.textContent = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function integrationError(message) {
    var error = new Error(message);
    error.name = 'IntegrationError';
    return error;
  }

  function encode(params, prefix, out) {
    out = out || new URLSearchParams();
    Object.keys(params).forEach(function (key) {
      var value = params[key];
      var name = prefix ? prefix + '[' + key + ']' : key;
      if (value === undefined || value === null) return;
      if (typeof value === 'object') encode(value, name, out);
      else out.append(name, String(value));
    });
    return out;
  }

  /* Resolves {status, body}, or {networkError: true} when the sandbox cannot be reached. */
  async function request(method, path, params) {
    var url = API_ORIGIN + path;
    var init = { method: method, credentials: 'omit' };
    if (method === 'GET') {
      url += '?' + encode(params).toString();
    } else {
      init.headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
      init.body = encode(params).toString();
    }
    var response;
    try {
      response = await fetch(url, init);
    } catch (e) {
      return { networkError: true };
    }
    var body;
    try {
      body = await response.json();
    } catch (e) {
      body = { error: { type: 'api_error', message: 'The payment server sent an invalid response.' } };
    }
    return { status: response.status, body: body };
  }

  function setupIdFromSecret(clientSecret) {
    var match = /^(seti_[A-Za-z0-9]+)_secret_/.exec(clientSecret || '');
    if (!match) throw integrationError('Invalid value for clientSecret: expected seti_..._secret_...');
    return match[1];
  }

  function cardLabel(pm) {
    var card = pm.card || {};
    var brand = (card.brand || 'card').charAt(0).toUpperCase() + (card.brand || 'card').slice(1);
    return brand + ' ending in ' + card.last4 + ', expires ' +
      String(card.exp_month).padStart(2, '0') + '/' + card.exp_year;
  }

  function intentIdFromSecret(clientSecret) {
    var match = /^(pi_[A-Za-z0-9]+)_secret_/.exec(clientSecret || '');
    if (!match) throw integrationError('Invalid value for clientSecret: expected pi_..._secret_...');
    return match[1];
  }

  function formatAmount(amount, currency) {
    try {
      var fmt = new Intl.NumberFormat(document.documentElement.lang || undefined,
        { style: 'currency', currency: currency.toUpperCase() });
      var digits = fmt.resolvedOptions().maximumFractionDigits;
      return fmt.format(amount / Math.pow(10, digits));
    } catch (e) {
      return (amount / 100).toFixed(2) + ' ' + currency.toUpperCase();
    }
  }

  /* ----------------------------------------------------------------- payment element */

  function digits(value) { return (value || '').replace(/\D/g, ''); }

  function validateNumber(value) {
    var d = digits(value);
    if (/[^\d\s-]/.test(value) || d.length > 16) return 'invalid_number';
    if (d.length < 16) return 'incomplete_number';
    return null;
  }

  function parseExpiry(value) {
    var d = digits(value);
    if (d.length !== 4 && d.length !== 6) return null;
    var year = Number(d.slice(2));
    return { month: Number(d.slice(0, 2)), year: year < 100 ? 2000 + year : year };
  }

  function validateExpiry(value) {
    var exp = parseExpiry(value);
    if (!exp) return digits(value).length > 6 ? 'invalid_expiry_year' : 'incomplete_expiry';
    if (exp.month < 1 || exp.month > 12) return 'invalid_expiry_month';
    var now = new Date();
    var year = now.getFullYear();
    if (exp.year < year) return 'invalid_expiry_year_past';
    if (exp.year > year + 50) return 'invalid_expiry_year';
    if (exp.year === year && exp.month < now.getMonth() + 1) return 'invalid_expiry_month_past';
    return null;
  }

  function validateCvc(value) {
    var d = digits(value);
    if (/\D/.test(value) || d.length > 3) return 'invalid_cvc';
    if (d.length < 3) return 'incomplete_cvc';
    return null;
  }

  function formatNumber(value) {
    return digits(value).slice(0, 16).replace(/(\d{4})(?=\d)/g, '$1 ');
  }

  function formatExpiry(value) {
    var d = digits(value).slice(0, 4);
    if (d.length === 1 && d > '1') d = '0' + d;  // "5" means May
    return d.length > 2 ? d.slice(0, 2) + ' / ' + d.slice(2) : d;
  }
