// The phone simulator's handset, as on a basic phone: the keypad (and the computer's keyboard)
// types into the entry line under the screen, and only Send and End talk to the gateway. So
// 98, 00 and 10 are answers like any other. Send sends the entry: the USSD answer during a
// session; when idle, a typed code (or nothing: redial) dials and any other text goes as an
// SMS to the short code. Del takes back the last character; End hangs up.
"use strict";
(function () {
  const CODE = /^\*[0-9*]*#$/;
  function phone() { return document.getElementById("phone"); }
  function entry() {
    const handset = phone();
    return handset ? handset.querySelector("input[name=input]") : null;
  }
  function inSession() {
    const handset = phone();
    return handset !== null && handset.dataset.state === "session";
  }
  function type(text) {
    const field = entry();
    if (!field) return;
    field.value += text;
    field.focus();
  }
  function del() {
    const field = entry();
    if (!field) return;
    field.value = field.value.slice(0, -1);
    field.focus();
  }
  function press(name) {
    const handset = phone();
    const button = handset ? handset.querySelector("button." + name) : null;
    if (button) button.click();
  }
  function sendAsSms(field) {
    const box = document.getElementById("sms-text");
    const button = document.getElementById("send-sms");
    if (!box || !button) return;
    box.value = field.value.trim();
    field.value = "";
    button.click();
    field.focus();
  }
  // Send: the form's own submit (htmx) unless there is nothing to send or it is an SMS.
  function send(event) {
    const field = entry();
    const value = field ? field.value.trim() : "";
    if (inSession()) {
      if (value === "") event.preventDefault();
      return;
    }
    if (value === "" || CODE.test(value)) return;
    event.preventDefault();
    sendAsSms(field);
  }
  document.addEventListener("click", function (event) {
    const button = event.target instanceof Element ? event.target.closest("#phone button") : null;
    if (!button) return;
    if (button.classList.contains("key")) {
      event.preventDefault();
      type(button.value);
    } else if (button.classList.contains("del")) {
      event.preventDefault();
      del();
    } else if (button.classList.contains("send")) {
      send(event);
    } else if (button.classList.contains("end") && !inSession()) {
      event.preventDefault(); // nothing to hang up: End clears the entry, as on a phone
      const field = entry();
      if (field) { field.value = ""; field.focus(); }
    }
  });
  document.addEventListener("keydown", function (event) {
    const handset = phone();
    if (!handset || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    const target = event.target;
    const inEntry = target === entry();
    const onPhone = target === document.body || (target instanceof Element && handset.contains(target));
    if (!inEntry && !onPhone) return; // typing in the SMS box, the number field, a link…
    if (event.key === "Enter") {
      event.preventDefault();
      press("send");
    } else if (event.key === "Escape") {
      event.preventDefault();
      press("end");
    } else if (!inEntry && event.key === "Backspace") {
      event.preventDefault();
      del();
    } else if (!inEntry && event.key.length === 1 && (event.key !== " " || target === document.body)) {
      event.preventDefault();
      type(event.key);
    }
  });
})();
